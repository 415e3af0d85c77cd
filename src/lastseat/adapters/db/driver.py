"""asyncpg itself, inside the transaction of a SQLAlchemy connection: the hot path's way to
send its statements on PostgreSQL.

`exec_driver_sql` still crosses SQLAlchemy's execution layer for each statement (its
greenlet, execution context, cursor adapter and result): some 100 us of CPU more than the
statement sent by asyncpg (160-188 against 60-72 us a `SELECT $1` in a transaction,
`python bench/driver_sql.py`), and a booking without Idempotency-Keys sends 9 of them
(docs/payments.md). Here the statement goes from the same pooled connection
straight to asyncpg, after the transaction SQLAlchemy's adapter keeps for that connection
has begun (its BEGIN, as its own statements do), so the unit of work's commit, rollback and
the pool's reset cover it as before. The adapter's lock is held, as its own statements
hold it, so no two statements interleave on the connection. A failure the server did not
report (the connection lost, the driver's timeout, a cancellation mid-statement, even of
the BEGIN) leaves the connection in a state nobody knows: it is invalidated then, as
SQLAlchemy does for its own statements, so the pool never hands it out again; a lost
connection also has the pool connect afresh for the connections older than it (after a
PostgreSQL restart they are all gone).

This uses names of SQLAlchemy that are not public (the asyncpg adapter's `_execute_mutex`,
`_transaction` and `_start_transaction`, and the pool's `_invalidate`), of the version
pinned in pyproject.toml; tests/integration/test_dialect_twins.py and the booking tests run
every statement sent here, and tests/integration/test_driver_sql.py checks the transaction
and the connections thrown away.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from asyncpg import PostgresError
from sqlalchemy.ext.asyncio import AsyncConnection

from lastseat.timing import add_db_time

Row = Any  # an asyncpg Record: by position (row[0]) or by column name (row["id"])


class Driver:
    """The asyncpg connection under `conn`, sending in `conn`'s transaction."""

    __slots__ = ("_adapted", "_conn")

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        # (the connection is checked out once the unit of work has begun: no I/O here)
        self._adapted: Any = conn.sync_connection.connection.dbapi_connection  # type: ignore[union-attr]

    async def rows(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        """The rows `sql` returns (none for a statement without RETURNING)."""
        rows: list[Row] = await self._send("fetch", sql, *args)
        return rows

    async def first(self, sql: str, args: Sequence[Any] = ()) -> Row | None:
        found = await self.rows(sql, args)
        return found[0] if found else None

    async def one(self, sql: str, args: Sequence[Any] = ()) -> Row:
        found = await self.rows(sql, args)
        if len(found) != 1:
            raise LookupError(f"expected one row, got {len(found)}: {sql[:60]}")
        return found[0]

    async def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """`sql` once for each of `rows`, in one round trip."""
        await self._send("executemany", sql, rows)

    async def _send(self, call: str, sql: str, *args: Any) -> Any:
        """asyncpg's `call` (fetch, executemany) of `sql`, with the transaction begun
        (unless autocommit) and the adapter's lock held; the connection is thrown away on a
        failure the server did not report."""
        adapted = self._adapted
        started = time.perf_counter()
        try:
            async with adapted._execute_mutex:
                if adapted._transaction is None:
                    await adapted._start_transaction()  # BEGIN, unless autocommit
                return await getattr(adapted._connection, call)(sql, *args)
        except PostgresError:
            raise  # the server's answer: the transaction is as it left it, rolled back later
        except BaseException as error:
            self._throw_away(error)
            raise
        finally:
            add_db_time(time.perf_counter() - started)

    def _throw_away(self, error: BaseException) -> None:
        """Invalidate the connection (closed at once, never pooled again); if it was lost,
        the pool's older connections are connected afresh at their next checkout too."""
        sync = self._conn.sync_connection
        if sync is None or sync.invalidated:
            return
        if self._adapted._connection.is_closed():
            sync.engine.pool._invalidate(sync.connection, error)
        if not sync.invalidated:
            sync.invalidate(error)
