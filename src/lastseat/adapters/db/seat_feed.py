"""The seat-change feed: LISTEN on PostgreSQL for the flights other processes changed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

CHANNEL = "lastseat_seats"
RETRY_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0)
log = structlog.get_logger("lastseat.feed")


class PgSeatFeed:
    """Keeps one LISTEN connection open; reports changes, and liveness as it comes and goes."""

    def __init__(
        self,
        engine: AsyncEngine,
        on_change: Callable[[int], None],
        on_live: Callable[[bool], None],
    ) -> None:
        self._engine = engine
        self._on_change = on_change
        self._on_live = on_live

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        with contextlib.suppress(ValueError):
            self._on_change(int(payload))

    async def run(self) -> None:
        failures = 0
        while True:
            lost = asyncio.Event()
            driver: Any = None
            try:
                pooled = await self._engine.raw_connection()
                driver = pooled.driver_connection
                pooled.detach()  # ours for good: the pool replaces it for everyone else
                driver.add_termination_listener(lambda _conn, lost=lost: lost.set())
                await driver.add_listener(CHANNEL, self._notified)
                self._on_live(True)
                failures = 0
                while not lost.is_set() and not driver.is_closed():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), timeout=5)
                log.warning("seat_feed_lost")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database may be down; keep trying, serve uncached
                log.warning("seat_feed_unavailable", error=type(exc).__name__)
            finally:
                self._on_live(False)
                if driver is not None and not driver.is_closed():
                    with contextlib.suppress(Exception):
                        await driver.close(timeout=2)
            await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
            failures += 1
