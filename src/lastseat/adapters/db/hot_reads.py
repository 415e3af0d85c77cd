"""Hot read paths that skip SQLAlchemy's statement layer and talk to the driver directly.

The seat map is the most requested resource; on PostgreSQL it is read with one prepared
asyncpg query on a pooled connection (no Connection wrapper, no transaction round trips).
The same SQL semantics as `SqlSeats.taken`; SQLite goes through that path unchanged.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from lastseat.adapters.db.errors import translated
from lastseat.adapters.db.repositories import pg_sql
from lastseat.adapters.db.unit_of_work import SqlUnitOfWorkFactory
from lastseat.timing import add_db_time


class SeatReader:
    def __init__(self, engine: AsyncEngine, uow: SqlUnitOfWorkFactory) -> None:
        self._engine = engine
        self._uow = uow
        self._raw = engine.dialect.name == "postgresql"

    async def taken(self, flight_id: int, now: datetime) -> list[tuple[str, str, datetime | None]]:
        if not self._raw:
            async with self._uow() as uow:
                return await uow.seats.taken(flight_id, now)
        started = time.perf_counter()
        with translated():
            connection = await self._engine.raw_connection()
            try:
                driver: Any = connection.driver_connection
                rows = await driver.fetch(pg_sql.TAKEN, flight_id, pg_sql.naive_utc(now))
            except Exception:
                connection.invalidate()  # a lost connection must not go back to the pool
                raise
            finally:
                connection.close()
                add_db_time(time.perf_counter() - started)
        return [(row[0], row[1], None if row[2] is None else pg_sql.aware(row[2])) for row in rows]
