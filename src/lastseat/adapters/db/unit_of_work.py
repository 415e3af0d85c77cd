"""The SQL unit of work: one connection, one transaction, the repositories bound to it."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lastseat.adapters.db.engine import WRITE_OPTION
from lastseat.adapters.db.errors import domain_error, translated
from lastseat.adapters.db.repositories.accounts import SqlTokens, SqlUsers
from lastseat.adapters.db.repositories.bookings import SqlBookings
from lastseat.adapters.db.repositories.discounts import SqlDiscounts
from lastseat.adapters.db.repositories.holds import SqlHolds, SqlIdempotencyKeys
from lastseat.adapters.db.repositories.inventory import SqlEvents, SqlFlights, SqlSeats
from lastseat.adapters.db.repositories.mail import SqlMailOutbox
from lastseat.adapters.db.repositories.pg_bookings import PgBookings
from lastseat.adapters.db.repositories.postgres import (
    PgEvents,
    PgHolds,
    PgIdempotencyKeys,
    PgSeats,
    PgThrottles,
    PgTokens,
)
from lastseat.adapters.db.repositories.sales import SqlSales
from lastseat.adapters.db.repositories.throttling import SqlThrottles
from lastseat.domain.errors import DomainError


@dataclass(frozen=True, slots=True)
class Repositories:
    """Which class of each repository a unit of work binds to its connection."""

    users: type[SqlUsers] = SqlUsers
    tokens: type[SqlTokens] = SqlTokens
    flights: type[SqlFlights] = SqlFlights
    seats: type[SqlSeats] = SqlSeats
    events: type[SqlEvents] = SqlEvents
    holds: type[SqlHolds] = SqlHolds
    bookings: type[SqlBookings] = SqlBookings
    idempotency: type[SqlIdempotencyKeys] = SqlIdempotencyKeys
    discounts: type[SqlDiscounts] = SqlDiscounts
    throttles: type[SqlThrottles] = SqlThrottles
    mail: type[SqlMailOutbox] = SqlMailOutbox
    sales: type[SqlSales] = SqlSales


# Portable Core statements; on PostgreSQL the hot path goes as driver SQL instead.
PORTABLE = Repositories()
POSTGRESQL = Repositories(
    tokens=PgTokens,
    events=PgEvents,
    seats=PgSeats,
    holds=PgHolds,
    bookings=PgBookings,
    idempotency=PgIdempotencyKeys,
    throttles=PgThrottles,
)


class SqlUnitOfWork:
    users: SqlUsers
    tokens: SqlTokens
    flights: SqlFlights
    seats: SqlSeats
    events: SqlEvents
    holds: SqlHolds
    bookings: SqlBookings
    idempotency: SqlIdempotencyKeys
    discounts: SqlDiscounts
    throttles: SqlThrottles
    mail: SqlMailOutbox
    sales: SqlSales

    def __init__(self, engine: AsyncEngine, repositories: Repositories = PORTABLE) -> None:
        self._engine = engine
        self._repositories = repositories
        self._conn: AsyncConnection | None = None
        self._committed = False

    async def __aenter__(self) -> SqlUnitOfWork:
        with translated():
            conn = await self._engine.connect()
        try:
            with translated():
                await conn.begin()
        except BaseException:
            with contextlib.suppress(Exception):  # the connection may be gone already
                await conn.close()
            raise
        self._conn = conn
        chosen = self._repositories
        self.users = chosen.users(conn)
        self.tokens = chosen.tokens(conn)
        self.flights = chosen.flights(conn)
        self.seats = chosen.seats(conn)
        self.events = chosen.events(conn)
        self.holds = chosen.holds(conn)
        self.bookings = chosen.bookings(conn)
        self.idempotency = chosen.idempotency(conn)
        self.discounts = chosen.discounts(conn)
        self.throttles = chosen.throttles(conn)
        self.mail = chosen.mail(conn)
        self.sales = chosen.sales(conn)
        return self

    async def commit(self) -> None:
        assert self._conn is not None
        with translated():
            await self._conn.commit()
        self._committed = True

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._conn is not None
        conn, self._conn = self._conn, None
        failure: BaseException | None = None
        try:
            if not self._committed:
                await conn.rollback()
        except BaseException as error:  # lost, or cancelled mid-way: do not pool it again
            failure = error
        try:
            await (conn.close() if failure is None else conn.invalidate())
        except Exception as error:
            failure = failure or error
        if failure is not None and not isinstance(failure, Exception):
            raise failure  # a cancellation goes on, the connection dealt with
        if exc is None and isinstance(failure, Exception):
            with translated():
                raise failure
        if isinstance(exc, Exception) and not isinstance(exc, DomainError):
            mapped = domain_error(exc)
            if mapped is not None:  # else the body's error goes on as it is
                raise mapped from exc


class SqlUnitOfWorkFactory:
    def __init__(self, engine: AsyncEngine, repositories: Repositories | None = None) -> None:
        """`repositories`: the dialect's own set unless given (the twin test runs both)."""
        postgres = engine.dialect.name == "postgresql"
        self._repositories = repositories or (POSTGRESQL if postgres else PORTABLE)
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        # Read-only work is one statement per unit of work; on PostgreSQL it runs without
        # BEGIN/ROLLBACK round trips. SQLite keeps its (local, cheap) transactions.
        self._reader = (
            engine.execution_options(isolation_level="AUTOCOMMIT") if postgres else engine
        )
        # A write of one statement commits as it runs on PostgreSQL (SQLite keeps BEGIN
        # IMMEDIATE: its write lock is the transaction's).
        self._single_writer = (
            self._writer.execution_options(isolation_level="AUTOCOMMIT")
            if postgres
            else self._writer
        )

    def __call__(self, write: bool = False, single: bool = False) -> SqlUnitOfWork:
        if write and single:
            return SqlUnitOfWork(self._single_writer, self._repositories)
        return SqlUnitOfWork(self._writer if write else self._reader, self._repositories)
