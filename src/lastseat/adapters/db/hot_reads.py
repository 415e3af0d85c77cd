"""Hot read paths that skip SQLAlchemy's statement layer and talk to the driver directly.

The seat map is the most requested resource; on PostgreSQL it is read with one prepared
asyncpg query on a pooled connection (no Connection wrapper, no transaction round trips).
The same rule as `SqlSeats.taken` (seat_rules.taken); SQLite reads through that.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from lastseat.adapters.db.errors import translated
from lastseat.adapters.db.repositories import postgres
from lastseat.adapters.db.unit_of_work import SqlUnitOfWorkFactory
from lastseat.services.ports import TakenSeats
from lastseat.timing import add_db_time

SeatRows = list[tuple[str, str, datetime | None]]


class SeatReader:
    """The seat map read in a read-only unit of work (the portable path)."""

    def __init__(self, uow: SqlUnitOfWorkFactory) -> None:
        self._uow = uow

    async def taken(self, flight_id: int, now: datetime) -> TakenSeats:
        as_of = time.monotonic()
        async with self._uow() as uow:
            return TakenSeats(await uow.seats.taken(flight_id, now), as_of)


class PgSeatReader:
    """The seat map read with one prepared asyncpg query on a pooled connection."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def taken(self, flight_id: int, now: datetime) -> TakenSeats:
        as_of = time.monotonic()
        with translated():
            async with pooled_driver(self._engine) as driver:
                rows = await fetch_taken(driver, flight_id, now)
        return TakenSeats(rows, as_of)


@contextlib.asynccontextmanager
async def pooled_driver(engine: AsyncEngine) -> AsyncIterator[Any]:
    """An asyncpg connection from the engine's pool, returned to it afterwards (or thrown
    away if anything failed or was cancelled on it: its state is then unknown)."""
    started = time.perf_counter()
    connection = await engine.raw_connection()
    try:
        yield connection.driver_connection
    except BaseException:
        connection.invalidate()
        raise
    finally:
        connection.close()
        add_db_time(time.perf_counter() - started)


async def fetch_taken(driver: Any, flight_id: int, now: datetime) -> SeatRows:
    rows = await driver.fetch(postgres.TAKEN, flight_id, postgres.naive_utc(now))
    return [(row["seat"], row["status"], postgres.aware(row["held_until"])) for row in rows]
