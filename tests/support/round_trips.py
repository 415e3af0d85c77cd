"""Count the round trips an app makes to PostgreSQL, at the driver's wire protocol.

Each asyncpg protocol call below sends its messages and waits for the server's answer once:
BEGIN and COMMIT (a simple query), a statement's execution (bind + execute), an
executemany (pipelined, one wait), and a statement's first preparation on a connection
(parse + describe, cached afterwards per connection). So their count is the number of times
a request waits on the database, whatever SQLAlchemy does above it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

# protocol coroutine -> what it is on the wire
_WAITS = {
    "query": "simple",
    "prepare": "prepare",
    "bind_execute": "execute",
    "bind_execute_many": "execute",
    "bind": "execute",
    "execute": "execute",
    "close_statement": "close",
}


_INTROSPECTION = (
    "SELECT current_setting('jit')",
    "WITH RECURSIVE typeinfo_tree",
    "SELECT set_config('jit'",
)


@dataclass
class RoundTrips:
    """What was sent and waited for, in order: (kind, first words of the SQL)."""

    trips: list[tuple[str, str]] = field(default_factory=list)

    def clear(self) -> None:
        self.trips.clear()

    def statements(self) -> list[str]:
        return [sql for kind, sql in self.trips if kind != "prepare"]

    def of_the_app(self) -> list[str]:
        """The statements but asyncpg's own: the first time a connection meets a type
        (a `varchar[]` parameter), asyncpg reads its description once, with JIT off."""
        return [sql for sql in self.statements() if not sql.startswith(_INTROSPECTION)]

    def prepared(self) -> int:
        return sum(1 for kind, _ in self.trips if kind == "prepare")


def _words(sql: str, count: int = 4) -> str:
    return " ".join(sql.split()[:count])


class _CountingProtocol:
    """Stands in for a connection's asyncpg protocol, counting the calls that wait."""

    def __init__(self, inner: Any, tally: RoundTrips) -> None:
        self._inner = inner
        self._tally = tally

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        kind = _WAITS.get(name)
        if kind is None:
            return value
        return _counted(value, kind, self._tally)


def _counted(call: Callable[..., Any], kind: str, tally: RoundTrips) -> Callable[..., Any]:
    async def counted(*args: Any, **kwargs: Any) -> Any:
        tally.trips.append((kind, _words(_sql_of((*args, *kwargs.values())))))
        return await call(*args, **kwargs)

    return counted


def _sql_of(args: tuple[Any, ...]) -> str:
    """The SQL text among a protocol call's arguments: given as text, or a prepared
    statement's state holding it."""
    for arg in args:
        query = getattr(arg, "query", None)
        if isinstance(query, str):
            return query
    texts = [arg for arg in args if isinstance(arg, str) and arg]
    return texts[0] if texts else "?"


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[RoundTrips]:
    """Count every round trip of connections checked out of `engine`'s pool meanwhile."""
    tally = RoundTrips()

    def on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        raw = dbapi_connection.driver_connection  # the asyncpg Connection
        protocol = raw._protocol
        if not isinstance(protocol, _CountingProtocol):
            raw._protocol = _CountingProtocol(protocol, tally)
        else:
            protocol._tally = tally

    event.listen(engine.sync_engine, "checkout", on_checkout)
    try:
        yield tally
    finally:
        event.remove(engine.sync_engine, "checkout", on_checkout)
