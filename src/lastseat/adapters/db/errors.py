"""Database failures a client should simply retry, told apart from bugs.

A restart, a failover or an overload reaches us in many shapes: SQLAlchemy's wrappers
(`OperationalError`, `InterfaceError`, a bare `DBAPIError` around asyncpg's
`CannotConnectNowError`), asyncpg's own `InternalClientError`, a plain
`ConnectionRefusedError` from the socket, a pool timeout, PostgreSQL's lock and statement
timeouts. They all become `DatabaseUnavailable` (or `DatabaseBusy`, when waiting was the
problem): a 503 with Retry-After, never a 500 with a traceback.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

from sqlalchemy import exc as sa_exc

from lastseat.domain.errors import DatabaseBusy, DatabaseUnavailable, DomainError, ValueRefused

# SQLSTATE classes and codes (PostgreSQL appendix A).
_GONE_CLASS = "08"  # connection exception
# Shutdown (admin or crash), cannot connect now, and a read-only transaction: after a
# failover, a pooled connection may still reach the old primary, now a standby.
_GONE = frozenset({"57P01", "57P02", "57P03", "25006"})
_BUSY_CLASS = "53"  # insufficient resources (too many connections, ...)
_BUSY = frozenset({"55P03", "57014", "40P01", "40001"})  # lock/statement timeout, deadlock...
_DATA_CLASS = "22"  # data exception (a value too long, out of range, ...)
_SQLITE_BUSY = re.compile(r"database is (locked|busy)|database table is locked")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what it wraps (`orig`) and what caused it, a few levels deep (not what
    it was raised while handling: a bug inside an `except OSError` is still a bug)."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo and len(seen) < 8:
        item = todo.pop(0)
        if item is None or any(item is s for s in seen):
            continue
        seen.append(item)
        yield item
        todo += [getattr(item, "orig", None), item.__cause__]


def _driver_lost_connection(item: BaseException) -> bool:
    """asyncpg's ways of saying the connection is gone (not: it was misused)."""
    if not type(item).__module__.startswith("asyncpg"):
        return False
    name = type(item).__name__
    if name in ("InternalClientError", "ConnectionDoesNotExistError"):
        return True
    return name == "InterfaceError" and "closed" in str(item)


def unavailability(exc: BaseException) -> DatabaseUnavailable | None:
    """What a client should be told of `exc`, if it is the database being away or busy;
    None for anything else, which is a bug and must stay a 500 with its traceback."""
    if isinstance(exc, DatabaseUnavailable):
        return exc
    if isinstance(exc, sa_exc.TimeoutError):  # the pool: every connection is in use
        return DatabaseBusy("all database connections are in use; retry shortly")
    for item in _chain(exc):
        state = getattr(item, "sqlstate", None) or getattr(item, "pgcode", None)
        if isinstance(state, str):
            if state in _BUSY or state.startswith(_BUSY_CLASS):
                return DatabaseBusy("the database is busy (a wait ran past its bound); retry")
            if state in _GONE or state.startswith(_GONE_CLASS):
                return DatabaseUnavailable("the database is unavailable; retry shortly")
        if isinstance(item, sa_exc.OperationalError) and _SQLITE_BUSY.search(str(item)):
            return DatabaseBusy("the database is busy; retry shortly")
        if _driver_lost_connection(item):
            return DatabaseUnavailable("the database connection was lost; retry shortly")
        if isinstance(item, ConnectionError | TimeoutError):
            return DatabaseUnavailable("the database cannot be reached; retry shortly")
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return DatabaseUnavailable("the database is unavailable; retry shortly")
    return None


def domain_error(exc: BaseException) -> DomainError | None:
    """`exc` as the domain error a client can act on: a value the database refused, or
    the database away or busy; None for anything else (a bug)."""
    refused = isinstance(exc, sa_exc.DataError) or any(
        str(getattr(item, "sqlstate", "")).startswith(_DATA_CLASS) for item in _chain(exc)
    )
    if refused:
        return ValueRefused("a value in the request is invalid")
    return unavailability(exc)


@contextlib.contextmanager
def translated() -> Iterator[None]:
    """Raise a database failure inside as the domain error a client can act on."""
    try:
        yield
    except Exception as exc:
        mapped = domain_error(exc)
        if mapped is None or mapped is exc:
            raise
        raise mapped from exc
