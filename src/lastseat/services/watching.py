"""Watching a flight: a snapshot, then every seat event after it, in order, without gaps.

Events come from the `events` outbox, read by id. On PostgreSQL a flight's events are
appended under a per-flight lock, so ids follow commit order and "id > last" misses
nothing; SQLite has one writer at a time. Watchers wake on the seat feed (LISTEN/NOTIFY)
and also poll, so a lost notification only delays an event.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from lastseat.services.catalog import Catalog, SeatMap
from lastseat.services.context import ServiceContext

POLL_SECONDS = 0.25
BATCH = 500


@dataclass(frozen=True, slots=True)
class SeatChange:
    event_id: int
    seat: str
    status: str


class Wakeups:
    """Per-flight wake-up signals for the watchers in this process."""

    def __init__(self) -> None:
        self._waiting: dict[int, set[asyncio.Event]] = {}

    def wake(self, flight_id: int) -> None:
        for event in self._waiting.get(flight_id, ()):
            event.set()

    def register(self, flight_id: int) -> asyncio.Event:
        event = asyncio.Event()
        self._waiting.setdefault(flight_id, set()).add(event)
        return event

    def unregister(self, flight_id: int, event: asyncio.Event) -> None:
        waiting = self._waiting.get(flight_id)
        if waiting is not None:
            waiting.discard(event)
            if not waiting:
                del self._waiting[flight_id]


class Watching:
    def __init__(self, ctx: ServiceContext, catalog: Catalog, wakeups: Wakeups) -> None:
        self._ctx = ctx
        self._catalog = catalog
        self._wakeups = wakeups

    async def snapshot(self, flight_id: int) -> tuple[SeatMap, int]:
        """The seat map and the id of the last event it includes."""
        await self._catalog.flight(flight_id)  # NotFound for an unknown flight
        # The event id is read first: the map can only be newer, never older, and a change
        # it already shows is sent again as an event, which repeats a state, never skips one.
        async with self._ctx.uow() as uow:
            latest = await uow.events.latest(flight_id)
        return await self._catalog.seat_map(flight_id), latest

    async def changes(self, flight_id: int, after: int) -> AsyncIterator[list[SeatChange]]:
        """Batches of seat changes with ids above `after`, for as long as the caller reads."""
        signal = self._wakeups.register(flight_id)
        try:
            while True:
                async with self._ctx.uow() as uow:
                    rows = await uow.events.for_flight(flight_id, after, BATCH)
                if rows:
                    after = rows[-1][0]
                    yield [SeatChange(*row) for row in rows]
                    if len(rows) == BATCH:
                        continue
                signal.clear()
                try:
                    await asyncio.wait_for(signal.wait(), POLL_SECONDS)
                except TimeoutError:
                    pass
        finally:
            self._wakeups.unregister(flight_id, signal)
