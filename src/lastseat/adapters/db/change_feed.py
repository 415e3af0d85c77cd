"""The change feed: LISTEN on PostgreSQL for what other processes changed that this one
keeps in memory: flights' seats (the seat maps) and users' sessions (signed-in tokens)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

SEATS = "lastseat_seats"  # a flight's id, from its seat events (migration 0002)
SESSIONS = "lastseat_sessions"  # a user's id, or "all" (migration 0016)
RETRY_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0)
log = structlog.get_logger("lastseat.feed")


class PgChangeFeed:
    """Keeps one LISTEN connection open; reports changes, and liveness as it comes and goes."""

    def __init__(
        self,
        engine: AsyncEngine,
        on_seats: Callable[[int], None],
        on_sessions: Callable[[UUID | None], None],
        on_live: Callable[[bool], None],
    ) -> None:
        self._engine = engine
        self._on_seats = on_seats
        self._on_sessions = on_sessions
        self._on_live = on_live

    def _seats(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        with contextlib.suppress(ValueError):
            self._on_seats(int(payload))

    def _sessions(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload == "all":
            self._on_sessions(None)
            return
        with contextlib.suppress(ValueError):
            self._on_sessions(UUID(payload))

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
                await driver.add_listener(SEATS, self._seats)
                await driver.add_listener(SESSIONS, self._sessions)
                self._on_live(True)
                failures = 0
                while not lost.is_set() and not driver.is_closed():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), timeout=5)
                log.warning("change_feed_lost")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database may be down; keep trying, serve uncached
                log.warning("change_feed_unavailable", error=type(exc).__name__)
            finally:
                self._on_live(False)
                if driver is not None and not driver.is_closed():
                    with contextlib.suppress(Exception):
                        await driver.close(timeout=2)
            await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
            failures += 1
