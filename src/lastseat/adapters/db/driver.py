"""asyncpg itself, inside the transaction of a SQLAlchemy connection: the hot path's way to
send its statements on PostgreSQL.

`exec_driver_sql` still crosses SQLAlchemy's execution layer for each statement (its
greenlet, execution context, cursor adapter and result): some 100 us of CPU more than the
statement sent by asyncpg (163-174 against 56-71 us a `SELECT $1` in a transaction,
`python bench/driver_sql.py`), and a booking without Idempotency-Keys sends 9 of them
(docs/payments.md). Here the statement goes from the same pooled connection
straight to asyncpg, after the transaction SQLAlchemy's adapter keeps for that connection
has begun (its BEGIN, as its own statements do), so the unit of work's commit, rollback and
the pool's reset cover it as before. The adapter's lock is held, as its own statements
hold it, so no two statements interleave on the connection.

This uses three names of SQLAlchemy's asyncpg adapter that are not public
(`_execute_mutex`, `_transaction`, `_start_transaction`), of the version pinned in
pyproject.toml; tests/integration/test_dialect_twins.py and the booking tests run every
statement sent here, and `test_driver_statements_are_in_the_unit_of_works_transaction`
checks the transaction.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from lastseat.timing import add_db_time

Row = Any  # an asyncpg Record: by position (row[0]) or by column name (row["id"])


class Driver:
    """The asyncpg connection under `conn`, sending in `conn`'s transaction."""

    __slots__ = ("_adapted",)

    def __init__(self, conn: AsyncConnection) -> None:
        # (the connection is checked out once the unit of work has begun: no I/O here)
        self._adapted: Any = conn.sync_connection.connection.dbapi_connection  # type: ignore[union-attr]

    async def rows(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        """The rows `sql` returns (none for a statement without RETURNING)."""
        adapted = self._adapted
        started = time.perf_counter()
        try:
            async with adapted._execute_mutex:
                if adapted._transaction is None:
                    await adapted._start_transaction()  # BEGIN, unless autocommit
                rows: list[Row] = await adapted._connection.fetch(sql, *args)
                return rows
        finally:
            add_db_time(time.perf_counter() - started)

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
        adapted = self._adapted
        started = time.perf_counter()
        try:
            async with adapted._execute_mutex:
                if adapted._transaction is None:
                    await adapted._start_transaction()
                await adapted._connection.executemany(sql, rows)
        finally:
            add_db_time(time.perf_counter() - started)
