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


# How often the feed asks its connection whether it still answers, and how long it waits: a
# connection whose peer vanished without a word (a partition, a frozen host) delivers no
# notification and no error, and would otherwise pass for live for ever.
PING_SECONDS = 2.0
# Sessions are kept in memory only while every trigger that tells of their changes is on
# `users` and `tokens` as they are now (a table rebuilt by a migration has none) and fires
# always (also for a replication apply worker or a `session_replication_role = replica`
# session); and the tables' files are the ones they were (a rewrite by ALTER TABLE changes
# rows without a row trigger): both checked at every ping.
SESSION_TRIGGERS = (
    "users_notify_sessions",
    "tokens_notify_sessions",
    "users_truncate_sessions",
    "tokens_truncate_sessions",
)
PING = (
    "SELECT (SELECT count(*) FROM pg_trigger WHERE tgenabled = 'A' AND tgname = ANY($1::text[])"
    " AND tgrelid IN (to_regclass('users'), to_regclass('tokens'))) = cardinality($1::text[]),"
    " (SELECT array_agg(relfilenode ORDER BY relname) FROM pg_class"
    " WHERE oid IN (to_regclass('users'), to_regclass('tokens')))::text"
)


class PgChangeFeed:
    """Keeps one LISTEN connection open; reports changes, and liveness as it comes and goes:
    `on_live(seats, sessions)`, the second False while the session triggers are not all
    there to tell of every change."""

    def __init__(
        self,
        engine: AsyncEngine,
        on_seats: Callable[[int], None],
        on_sessions: Callable[[UUID | None], None],
        on_live: Callable[[bool, bool], None],
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

    async def _ping(self, driver: Any) -> tuple[bool, str | None]:
        """Whether the session triggers are all there, and the tables' files: an answer
        within PING_SECONDS, or TimeoutError (the connection is taken for lost). Every
        notification committed before the ping arrives before its answer."""
        row = await asyncio.wait_for(driver.fetchrow(PING, SESSION_TRIGGERS), PING_SECONDS)
        return bool(row[0]), row[1]

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
                sessions, files = await self._ping(driver)
                if not sessions:
                    log.warning("session_triggers_missing", triggers=SESSION_TRIGGERS)
                self._on_live(True, sessions)
                failures = 0
                while not lost.is_set() and not driver.is_closed():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), timeout=PING_SECONDS)
                    if lost.is_set():
                        break
                    now_sessions, now_files = await self._ping(driver)
                    if now_files != files:
                        self._on_sessions(None)  # rewritten: any row may have changed
                    if now_sessions != sessions:
                        log.warning("session_triggers_changed", complete=now_sessions)
                        self._on_live(True, now_sessions)
                    sessions, files = now_sessions, now_files
                log.warning("change_feed_lost")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database may be down; keep trying, serve uncached
                log.warning("change_feed_unavailable", error=type(exc).__name__)
            finally:
                self._on_live(False, False)
                if driver is not None and not driver.is_closed():
                    try:
                        await driver.close(timeout=2)
                    except Exception:  # a peer that does not answer: drop it unsaid
                        driver.terminate()
            await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
            failures += 1
