"""Seat maps from a streaming replica, never staler than a bound, else from the primary.

A replica read asks the replica how far it has replayed (`pg_last_wal_replay_lsn()`) and
only then reads the seats, in a later statement on the same connection: the seats' snapshot
is taken after the replay position was read, so it shows every commit up to it. The read
is served if that position has reached a sample of the primary's position taken within the
bound, and its WAL receiver streams on the primary's timeline (freshness.py); otherwise
the primary answers. So does it while the replica is away
or slow (for one bound, then it is tried again), while the primary could not be sampled
for a bound, and when the "replica" is a primary (after a failover: it may be an old,
cut-off one, so it is not trusted).

Only the seat map reads through this (bootstrap wires it into the catalog's seat-map read
alone): holds, bookings, quotes and everything in a unit of work use the primary's engine.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from lastseat.adapters.db.freshness import PrimaryPositions, Standby
from lastseat.adapters.db.hot_reads import SeatRows, fetch_taken, pooled_driver
from lastseat.services.ports import ReplicaReadCounts, SeatReader, TakenSeats

# replay: NULL on a primary (a promoted standby keeps its last replayed position: not what
# is read). receiver, timeline: NULL with no WAL receiver (pg_stat_wal_receiver shows them
# only to pg_read_all_stats: the app's role is granted it).
STANDBY = (
    "SELECT CASE WHEN pg_is_in_recovery()"
    " THEN (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint END AS replay,"
    " (SELECT status FROM pg_stat_wal_receiver) AS receiver,"
    " (SELECT received_tli FROM pg_stat_wal_receiver) AS timeline"
)
# The timeline is the WAL file name's first 8 hex digits.
PRIMARY_POSITION = (
    "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint AS lsn,"
    " ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS timeline"
)
SAMPLES_PER_BOUND = 4
log = structlog.get_logger("lastseat.replica")


class ReplicaSeats:
    def __init__(
        self,
        replica: AsyncEngine,
        primary: AsyncEngine,
        fallback: SeatReader,
        bound: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._replica = replica
        self._primary = primary
        self._fallback = fallback
        self._positions = PrimaryPositions(bound)
        self._monotonic = monotonic
        self._away_until = float("-inf")
        self._served = 0
        self._fallbacks: Counter[str] = Counter()

    def counts(self) -> ReplicaReadCounts:
        return ReplicaReadCounts(self._served, dict(self._fallbacks))

    async def run(self) -> None:
        """Sample the primary's WAL position SAMPLES_PER_BOUND times per bound."""
        interval = self._positions.bound / SAMPLES_PER_BOUND
        while True:
            at = self._monotonic()
            try:
                await self.sample(at)
            except Exception as exc:  # the primary may be away: reads fall back
                log.warning("primary_position_unavailable", error=type(exc).__name__)
            await asyncio.sleep(max(0.0, at + interval - self._monotonic()))

    async def sample(self, at: float) -> None:
        """Record the primary's WAL position, asked after monotonic time `at`."""
        async with self._primary.connect() as conn:
            row = (await conn.execute(sa.text(PRIMARY_POSITION))).one()
        self._positions.add(at, int(row.lsn), int(row.timeline))

    async def taken(self, flight_id: int, now: datetime) -> TakenSeats:
        started = self._monotonic()
        if started < self._away_until:
            return await self._fall_back("unavailable", flight_id, now)
        if not self._positions.recent(started):
            return await self._fall_back("unsampled", flight_id, now)
        try:
            async with asyncio.timeout(self._positions.bound):
                standby, rows = await self._read(flight_id, now)
        except Exception as exc:  # the replica away or slow: the primary answers
            self._away_until = self._monotonic() + self._positions.bound
            log.warning("replica_unavailable", error=type(exc).__name__)
            return await self._fall_back("unavailable", flight_id, now)
        as_of = self._positions.judge(started, standby)
        if isinstance(as_of, str):
            return await self._fall_back(as_of, flight_id, now)
        self._served += 1
        return TakenSeats(rows, as_of)

    async def _read(self, flight_id: int, now: datetime) -> tuple[Standby, SeatRows]:
        async with pooled_driver(self._replica) as driver:
            said = await driver.fetchrow(STANDBY)
            standby = Standby(said["replay"], said["receiver"], said["timeline"])
            return standby, await fetch_taken(driver, flight_id, now)

    async def _fall_back(self, reason: str, flight_id: int, now: datetime) -> TakenSeats:
        self._fallbacks[reason] += 1
        return await self._fallback.taken(flight_id, now)
