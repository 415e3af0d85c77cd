"""Failed sign-in counters, counted with one atomic upsert per failure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from lastseat.adapters.db.tables import login_attempts


class SqlLoginAttempts:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def locked_until(self, keys: Sequence[str], now: datetime) -> datetime | None:
        """The latest lockout in force for any of `keys`."""
        result = await self._conn.execute(
            sa.select(sa.func.max(login_attempts.c.locked_until)).where(
                login_attempts.c.key.in_(list(keys)), login_attempts.c.locked_until > now
            )
        )
        latest: datetime | None = result.scalar_one_or_none()
        return latest

    async def record_failure(self, key: str, now: datetime, window_start_after: datetime) -> int:
        """Count one failure in the current window (a stale window restarts); return the count."""
        table: Any = login_attempts
        dialect = postgresql if self._conn.dialect.name == "postgresql" else sqlite
        insert = dialect.insert(table).values(key=key, failures=1, window_start=now)
        stale = table.c.window_start <= window_start_after
        statement = insert.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": sa.case((stale, 1), else_=table.c.failures + 1),
                "window_start": sa.case(
                    (stale, insert.excluded.window_start), else_=table.c.window_start
                ),
            },
        ).returning(table.c.failures)
        return int((await self._conn.execute(statement)).scalar_one())

    async def lock(self, key: str, until: datetime) -> None:
        await self._conn.execute(
            login_attempts.update().where(login_attempts.c.key == key).values(locked_until=until)
        )

    async def clear(self, key: str) -> None:
        await self._conn.execute(login_attempts.delete().where(login_attempts.c.key == key))
