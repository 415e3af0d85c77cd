"""The SQL database as one adapter: the units of work, the hot reads and the change feed
that suit its dialect, and what operations ask of it (readiness, the pool, migrations).

Every choice that depends on the dialect is made here, once, when the process starts.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from lastseat.adapters.db import migrate
from lastseat.adapters.db.change_feed import PgChangeFeed
from lastseat.adapters.db.engine import create_engine, pool_status
from lastseat.adapters.db.errors import unavailability
from lastseat.adapters.db.hot_reads import PgSeatReader, SeatReader
from lastseat.adapters.db.replica import ReplicaSeats
from lastseat.adapters.db.unit_of_work import SqlUnitOfWorkFactory
from lastseat.config import Settings
from lastseat.domain.errors import DatabaseUnavailable
from lastseat.services.ports import (
    ChangeFeed,
    Database,
    PoolStatus,
    Readiness,
    ReplicaSeatReader,
)
from lastseat.services.ports import SeatReader as SeatReaderPort


class SqlDatabase:
    def __init__(self, settings: Settings) -> None:
        self._engine = create_engine(settings)
        self._postgres = self._engine.dialect.name == "postgresql"
        self.units_of_work = SqlUnitOfWorkFactory(self._engine)
        self._bound = settings.replica_max_staleness_seconds
        self._replica: AsyncEngine | None = None
        if settings.replica_database_url is not None:
            if not self._postgres:
                raise ValueError("a replica (LASTSEAT_REPLICA_DATABASE_URL) needs PostgreSQL")
            # Its own pool: nothing but ReplicaSeats ever gets a connection from it.
            replica = settings.model_copy(update={"database_url": settings.replica_database_url})
            self._replica = create_engine(replica, writer=False)

    def seat_reader(self) -> SeatReaderPort:
        if self._postgres:
            return PgSeatReader(self._engine)
        return SeatReader(self.units_of_work)

    def replica_seat_reader(self) -> ReplicaSeatReader | None:
        """The seat map from the replica within the staleness bound, else the primary; None
        without a replica. For the seat map only: it reads seats outside any transaction."""
        if self._replica is None:
            return None
        return ReplicaSeats(self._replica, self._engine, self.seat_reader(), self._bound)

    def change_feed(
        self,
        on_seats: Callable[[int], None],
        on_sessions: Callable[[UUID | None], None],
        on_live: Callable[[bool, bool], None],
    ) -> ChangeFeed | None:
        """Other processes' changes to seats and sessions (LISTEN on PostgreSQL); None where
        there is no feed (SQLite: one process, whose own changes it already knows)."""
        if not self._postgres:
            return None
        return PgChangeFeed(self._engine, on_seats, on_sessions, on_live)

    async def readiness(self) -> Readiness:
        wanted = migrate.head_revision()
        try:
            async with self._engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
            schema = await migrate.current_revision(self._engine)
        except (SQLAlchemyError, OSError):
            return Readiness(reachable=False, schema=None, wanted=wanted)
        return Readiness(reachable=True, schema=schema, wanted=wanted)

    def pool(self) -> PoolStatus:
        status = pool_status(self._engine)
        return PoolStatus(size=status["size"], checked_out=status["checked_out"])

    async def upgrade(self) -> str | None:
        """Migrate to the latest schema; the revision it is at then."""
        await migrate.upgrade(self._engine)
        return await migrate.current_revision(self._engine)

    def unavailability(self, failure: BaseException) -> DatabaseUnavailable | None:
        return unavailability(failure)

    async def close(self) -> None:
        if self._replica is not None:
            await self._replica.dispose()
        await self._engine.dispose()


def engine_of(database: Database) -> AsyncEngine:
    """The engine under `database`, for tests and tools that inspect the store directly."""
    assert isinstance(database, SqlDatabase)
    return database._engine
