"""Attempt counters, each counted by one atomic upsert.

The upsert both counts and locks the key's row until the transaction ends, so concurrent
attempts on one key (in any process) take their counts one after another.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from lastseat.adapters.db.tables import throttles
from lastseat.domain.throttling import Counter


def _upsert(insert: Any, keys: Sequence[str], now: datetime, window_start_after: datetime) -> Any:
    table: Any = throttles
    insert = insert.values([{"key": key, "attempts": 1, "window_start": now} for key in keys])
    stale = table.c.window_start <= window_start_after
    locked = sa.and_(table.c.locked_until.is_not(None), table.c.locked_until > now)
    return insert.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            # While a lock is in force nothing is counted: the attempt is refused unheard.
            "attempts": sa.case((locked, table.c.attempts), (stale, 1), else_=table.c.attempts + 1),
            "window_start": sa.case(
                (sa.and_(stale, sa.not_(locked)), insert.excluded.window_start),
                else_=table.c.window_start,
            ),
        },
    ).returning(table.c.key, table.c.attempts, table.c.window_start, table.c.locked_until)


def in_order(keys: Sequence[str], rows: Sequence[Any]) -> list[Counter]:
    """Rows of (key, attempts, window_start, locked_until), as counters in `keys`' order."""
    by_key = {row[0]: Counter(int(row[1]), row[2], row[3]) for row in rows}
    return [by_key[key] for key in keys]


class SqlThrottles:
    # The dialect's INSERT, for its ON CONFLICT clause.
    _insert: Any = staticmethod(sqlite.insert)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def count(self, key: str, now: datetime, window_start_after: datetime) -> Counter:
        """Count one attempt in the key's current window (a stale window starts again)."""
        # The portable statement on every dialect (the sign-in keys' path, as it was);
        # PostgreSQL's driver-SQL count_all serves the batched plain rates alone.
        [counter] = await SqlThrottles.count_all(self, [key], now, window_start_after)
        return counter

    async def count_all(
        self, keys: Sequence[str], now: datetime, window_start_after: datetime
    ) -> list[Counter]:
        """`count` for each of `keys` (distinct: a statement cannot update a row twice), in
        one statement; the counters in the order of `keys`."""
        statement = _upsert(self._insert(throttles), keys, now, window_start_after)
        return in_order(keys, (await self._conn.execute(statement)).all())

    async def lock(self, key: str, until: datetime) -> None:
        await self._conn.execute(
            throttles.update().where(throttles.c.key == key).values(locked_until=until)
        )

    async def give_back(self, key: str) -> None:
        """Uncount one attempt that turned out well (it was not a guess)."""
        await self._conn.execute(
            throttles.update()
            .where(throttles.c.key == key, throttles.c.attempts > 0)
            .values(attempts=throttles.c.attempts - 1)
        )

    async def clear(self, key: str) -> None:
        await self._conn.execute(throttles.delete().where(throttles.c.key == key))

    async def remember(self, key: str, now: datetime) -> None:
        """Note that something went well for `key` now (e.g. a sign-in from an address)."""
        insert = self._insert(throttles).values(key=key, attempts=0, window_start=now)
        await self._conn.execute(
            insert.on_conflict_do_update(
                index_elements=[throttles.c.key],
                set_={"window_start": insert.excluded.window_start},
            )
        )

    async def remembered_since(self, key: str, since: datetime) -> bool:
        row = await self._conn.execute(
            sa.select(throttles.c.key).where(
                throttles.c.key == key, throttles.c.window_start > since
            )
        )
        return row.first() is not None

    async def forget(
        self, now: datetime, counted_before: datetime, known_before: datetime, known_prefix: str
    ) -> int:
        known = throttles.c.key.startswith(known_prefix, autoescape=True)
        over = sa.or_(throttles.c.locked_until.is_(None), throttles.c.locked_until <= now)
        result = await self._conn.execute(
            throttles.delete()
            .where(
                sa.or_(
                    sa.and_(sa.not_(known), throttles.c.window_start < counted_before, over),
                    sa.and_(known, throttles.c.window_start < known_before),
                )
            )
            .returning(throttles.c.key)
        )
        return len(result.all())
