"""Hot read paths that skip SQLAlchemy's statement layer and talk to the driver directly.

The seat map is the most requested resource; on PostgreSQL it is read with one prepared
asyncpg query on a pooled connection (no Connection wrapper, no transaction round trips).
The same rule as `SqlSeats.taken` (seat_rules.taken); SQLite reads through that.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from lastseat.adapters.db.errors import translated
from lastseat.adapters.db.repositories import postgres
from lastseat.adapters.db.unit_of_work import SqlUnitOfWorkFactory
from lastseat.timing import add_db_time


class SeatReader:
    """The seat map read in a read-only unit of work (the portable path)."""

    def __init__(self, uow: SqlUnitOfWorkFactory) -> None:
        self._uow = uow

    async def taken(self, flight_id: int, now: datetime) -> list[tuple[str, str, datetime | None]]:
        async with self._uow() as uow:
            return await uow.seats.taken(flight_id, now)


class PgSeatReader:
    """The seat map read with one prepared asyncpg query on a pooled connection."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def taken(self, flight_id: int, now: datetime) -> list[tuple[str, str, datetime | None]]:
        started = time.perf_counter()
        with translated():
            connection = await self._engine.raw_connection()
            try:
                driver: Any = connection.driver_connection
                rows = await driver.fetch(postgres.TAKEN, flight_id, postgres.naive_utc(now))
            except Exception:
                connection.invalidate()  # a lost connection must not go back to the pool
                raise
            finally:
                connection.close()
                add_db_time(time.perf_counter() - started)
        return [(row["seat"], row["status"], postgres.aware(row["held_until"])) for row in rows]
