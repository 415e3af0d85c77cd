"""Database failures a client should retry are 503s with Retry-After, told apart from bugs:
the shapes a restart, a failover or an overload takes, and a lock wait past its bound."""

from __future__ import annotations

import time

import asyncpg
import httpx
import pytest
from sqlalchemy import exc as sa_exc

from lastseat.adapters.db.errors import unavailability
from lastseat.bootstrap import build_services
from lastseat.domain.errors import DatabaseBusy, DatabaseUnavailable
from lastseat.entrypoints.http.app import create_app
from lastseat.stack.postgres import PostgresServer
from tests.support.databases import create_pg_database, drop_pg_database, make_settings
from tests.support.flights import new_flight


def _wrapped(error: Exception) -> sa_exc.DBAPIError:
    """As SQLAlchemy's asyncpg dialect hands a driver error on."""
    try:
        raise error
    except Exception as cause:
        wrapper = sa_exc.DBAPIError("SELECT 1", None, cause)
        wrapper.__cause__ = cause
        return wrapper


def _raised_while_handling(bug: Exception, handled: Exception) -> Exception:
    try:
        try:
            raise handled
        except Exception:
            raise bug  # noqa: B904 - the point: raised while handling, not caused by
    except Exception as raised:
        return raised


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (_wrapped(asyncpg.CannotConnectNowError("the database system is starting up")), "gone"),
        (_wrapped(asyncpg.AdminShutdownError("terminating connection")), "gone"),
        (_wrapped(asyncpg.ConnectionDoesNotExistError("connection was closed")), "gone"),
        (_wrapped(asyncpg.exceptions.InternalClientError("cannot switch to state 12")), "gone"),
        (ConnectionRefusedError(111, "Connect call failed"), "gone"),
        (sa_exc.OperationalError("SELECT 1", None, ConnectionResetError(104, "reset")), "gone"),
        (
            _wrapped(
                asyncpg.InterfaceError("cannot call Connection.fetch(): connection is closed")
            ),
            "gone",
        ),
        (_wrapped(asyncpg.LockNotAvailableError("canceling statement: lock timeout")), "busy"),
        (_wrapped(asyncpg.QueryCanceledError("canceling statement: statement timeout")), "busy"),
        (_wrapped(asyncpg.TooManyConnectionsError("too many clients")), "busy"),
        (sa_exc.TimeoutError("QueuePool limit reached"), "busy"),
        (sa_exc.OperationalError("BEGIN", None, Exception("database is locked")), "busy"),
        (_wrapped(asyncpg.UniqueViolationError("duplicate key")), None),
        (sa_exc.IntegrityError("INSERT", None, Exception("UNIQUE constraint failed")), None),
        (ValueError("a bug"), None),
        # bugs that look like the database's trouble stay bugs (500, with their traceback)
        (sa_exc.OperationalError("SELECT", None, Exception("no such table: throttles")), None),
        (FileNotFoundError(2, "No such file or directory"), None),
        (_wrapped(asyncpg.InterfaceError("another operation is in progress")), None),
        (_raised_while_handling(KeyError("bug"), ConnectionRefusedError(111, "refused")), None),
    ],
)
def test_each_shape_of_an_unavailable_database_is_told_apart_from_a_bug(
    error: Exception, kind: str | None
) -> None:
    found = unavailability(error)
    if kind is None:
        assert found is None
    elif kind == "busy":
        assert isinstance(found, DatabaseBusy)
    else:
        assert isinstance(found, DatabaseUnavailable) and not isinstance(found, DatabaseBusy)


async def test_a_lock_held_past_the_bound_is_a_503_busy_the_client_retries(
    postgres: PostgresServer,
) -> None:
    name = await create_pg_database(postgres)
    settings = make_settings(postgres.sqlalchemy_url(name), db_lock_timeout_seconds=0.5)
    services = build_services(settings)
    blocker = None
    try:
        await services.database.upgrade()
        flight = await services.catalog.create_flight(new_flight(services.catalog.now()))
        await services.accounts.signup("ann@example.com", "ann-password-1")
        app = create_app(settings, services)
        transport = httpx.ASGITransport(app=app, client=("198.51.100.1", 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as api:
            creds = {"email": "ann@example.com", "password": "ann-password-1"}
            token = (await api.post("/api/v1/auth/login", json=creds)).json()["access_token"]
            # a stuck transaction elsewhere holds the seat's row
            blocker = await asyncpg.connect(postgres.dsn(name))
            stuck = blocker.transaction()
            await stuck.start()
            await blocker.execute(
                "SELECT * FROM seats WHERE flight_id = $1 AND seat = '12A' FOR UPDATE", flight.id
            )
            started = time.monotonic()
            busy = await api.post(
                "/api/v1/holds",
                json={"flight_id": flight.id, "seats": ["12A"]},
                headers={"Authorization": f"Bearer {token}"},
            )
            waited = time.monotonic() - started
            assert busy.status_code == 503, busy.text
            assert busy.headers["content-type"] == "application/problem+json"
            assert busy.json()["type"].endswith(":database-busy")
            assert busy.headers["retry-after"] == "1"
            assert waited < 10  # bounded by the lock timeout, not by the stuck transaction
            await stuck.rollback()
            retried = await api.post(
                "/api/v1/holds",
                json={"flight_id": flight.id, "seats": ["12A"]},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert retried.status_code == 201
    finally:
        if blocker is not None:
            await blocker.close()
        await services.close()
        await drop_pg_database(postgres, name)
