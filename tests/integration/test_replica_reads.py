"""Seat maps from a real streaming replica (`pg_basebackup -R` of a private PostgreSQL):
served from it once it has replayed a change, never staler than the bound when it falls
behind (the primary answers), and never asked by a hold, a quote or a booking."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from lastseat.bootstrap import Services, build_services
from lastseat.domain.errors import SeatsUnavailable
from lastseat.services.catalog import SeatMap
from lastseat.services.ports import ReplicaReadCounts
from lastseat.stack.ports import free_port
from lastseat.stack.postgres import PostgresServer, start_private_cluster, start_private_replica
from tests.support.clock import FakeClock
from tests.support.databases import create_pg_database, make_settings, migrated
from tests.support.flights import new_flight
from tests.support.passengers import passengers_for
from tests.support.payments import FakePayments
from tests.support.waiting import eventually

BOUND = 0.5  # seconds: small, so a test waits little for the bound to pass
WAIT_SECONDS = 30.0


@pytest.fixture(scope="module")
def replicated() -> Iterator[tuple[PostgresServer, PostgresServer]]:
    primary = start_private_cluster()
    try:
        replica = start_private_replica(primary)
        try:
            yield primary, replica
        finally:
            replica.stop()
    finally:
        primary.stop()


@contextlib.asynccontextmanager
async def app_process(
    primary: PostgresServer,
    replica_url: str,
    database: str,
    clock: FakeClock,
    bound: float = BOUND,
    feed: bool = False,
) -> AsyncIterator[Services]:
    """One app server's services over the primary, with the replica for seat maps; its
    background sampling of the primary (and the change feed, if `feed`) running."""
    settings = make_settings(
        primary.sqlalchemy_url(database),
        replica_database_url=replica_url,
        replica_max_staleness_seconds=bound,
    )
    services = build_services(settings, clock, payments=FakePayments())
    assert services.replica_seats is not None
    runners = [services.replica_seats.run()]
    if feed and services.change_feed is not None:
        runners.append(services.change_feed.run())
    tasks = [asyncio.create_task(runner) for runner in runners]
    try:
        yield services
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await services.close()


@pytest.fixture
async def database(replicated: tuple[PostgresServer, PostgresServer]) -> str:
    """A migrated database on the primary (the replica replays it too); the private
    clusters go at the end of the module."""
    primary, _ = replicated
    name = await create_pg_database(primary)
    await migrated(primary.sqlalchemy_url(name))
    return name


def counts(services: Services) -> ReplicaReadCounts:
    assert services.replica_seats is not None
    return services.replica_seats.counts()


async def from_replica(services: Services, flight_id: int) -> SeatMap | None:
    """A seat map read, if the replica served it (None: the cache or the primary did)."""
    before = counts(services).served
    seat_map = await services.catalog.seat_map(flight_id)
    return seat_map if counts(services).served > before else None


async def served_from_replica(services: Services, flight_id: int, status: str) -> None:
    """Wait for a seat map read from the replica (not the primary) that shows 12A so."""

    async def read() -> bool:
        seat_map = await from_replica(services, flight_id)
        return seat_map is not None and seat_map.status("12A") == status

    await eventually(read, f"a seat map from the replica showing 12A {status}", WAIT_SECONDS)


@contextlib.asynccontextmanager
async def paused(replica: PostgresServer) -> AsyncIterator[None]:
    """The replica's replay stopped (it stays connected, answering from the past)."""
    conn = await asyncpg.connect(replica.dsn())
    try:
        await conn.execute("SELECT pg_wal_replay_pause()")
        yield
    finally:
        await conn.execute("SELECT pg_wal_replay_resume()")
        await conn.close()


async def test_a_map_from_the_replica_is_never_staler_than_the_bound(
    replicated: tuple[PostgresServer, PostgresServer], database: str, clock: FakeClock
) -> None:
    primary, replica = replicated
    async with app_process(primary, replica.sqlalchemy_url(database), database, clock) as app:
        ann = await app.accounts.signup("ann@example.com", "ann-password-1")
        bob = await app.accounts.signup("bob@example.com", "bob-password-1")
        flight = await app.catalog.create_flight(new_flight(clock()))
        await served_from_replica(app, flight.id, "available")

        async with paused(replica):
            hold = (await app.reservations.hold_seats(ann, flight.id, ["12A"])).hold
            held_at = time.monotonic()
            # A watcher's snapshot must be no older than the events it follows: the primary.
            asked = counts(app)
            start = await app.watching.start(flight.id, None)
            assert start.seat_map.status("12A") == "held"
            assert counts(app) == asked
            # Every map read that starts a bound after the hold shows it: the paused
            # replica is behind every newer sample, so the primary answers.
            late_reads = 0
            while late_reads < 3:
                started = time.monotonic()
                seat_map = await app.catalog.seat_map(flight.id)
                if started >= held_at + BOUND:
                    late_reads += 1
                    assert seat_map.status("12A") == "held", "a map staler than the bound"
                await asyncio.sleep(0.05)
            assert counts(app).fallbacks.get("behind", 0) > 0

            # Holds, quotes and bookings read the primary alone: the replica, which still
            # shows 12A free, is never asked (no read from it, none refused by it).
            asked = counts(app)
            with pytest.raises(SeatsUnavailable):
                await app.reservations.hold_seats(bob, flight.id, ["12A"])
            await app.reservations.quote(ann, hold.id)
            await app.bookings.confirm(
                ann, hold.id, "tok_ok", passengers=passengers_for(hold.seats)
            )
            await app.catalog.manifest(flight.id)
            assert counts(app) == asked
        # Once replayed, the booking is served from the replica.
        await served_from_replica(app, flight.id, "booked")


async def test_a_lagging_replicas_map_is_not_cached_over_a_newer_change(
    replicated: tuple[PostgresServer, PostgresServer], database: str, clock: FakeClock
) -> None:
    primary, replica = replicated
    url = replica.sqlalchemy_url(database)
    # A long bound: the paused replica's map is still served while the change is new.
    async with (
        app_process(primary, url, database, clock, bound=10.0, feed=True) as reader,
        app_process(primary, url, database, clock) as writer,
    ):

        async def is_live() -> bool:
            return reader.catalog.seat_map_cache_live

        await eventually(is_live, "the reader's seat feed connected", WAIT_SECONDS)
        ann = await writer.accounts.signup("ann@example.com", "ann-password-1")
        flight = await writer.catalog.create_flight(new_flight(clock()))

        async def cached_from_replica() -> bool:
            read = await from_replica(reader, flight.id)
            return read is not None and reader.catalog.cached_seat_map(flight.id) is not None

        await eventually(cached_from_replica, "a map from the replica, cached", WAIT_SECONDS)

        async with paused(replica):
            await writer.reservations.hold_seats(ann, flight.id, ["12A"])

            async def heard() -> bool:
                return reader.catalog.cached_seat_map(flight.id) is None

            await eventually(heard, "the reader hearing of the hold", WAIT_SECONDS)
            stale = await from_replica(reader, flight.id)
            assert stale is not None  # from the paused replica, within the bound,
            assert stale.status("12A") == "available"  # so without the hold,
            # but not kept as the current map, which it no longer is
            assert reader.catalog.cached_seat_map(flight.id) is None
        await served_from_replica(reader, flight.id, "held")


async def test_the_primary_answers_while_the_replica_is_unreachable(
    replicated: tuple[PostgresServer, PostgresServer], database: str, clock: FakeClock
) -> None:
    primary, _ = replicated
    nowhere = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/{database}"
    async with app_process(primary, nowhere, database, clock) as app:
        ann = await app.accounts.signup("ann@example.com", "ann-password-1")
        flight = await app.catalog.create_flight(new_flight(clock()))
        await app.reservations.hold_seats(ann, flight.id, ["12A"])

        async def sampled_and_fell_back() -> bool:
            seat_map = await app.catalog.seat_map(flight.id)
            assert seat_map.status("12A") == "held"
            return counts(app).fallbacks.get("unavailable", 0) > 0

        await eventually(
            sampled_and_fell_back, "a read the unreachable replica could not serve", WAIT_SECONDS
        )
        assert counts(app).served == 0


async def test_a_replica_that_is_a_primary_is_not_trusted(
    replicated: tuple[PostgresServer, PostgresServer], database: str, clock: FakeClock
) -> None:
    """After a failover the replicas' address may reach a primary, perhaps an old, cut-off
    one: its answer is not taken; the primary's own engine answers."""
    primary, _ = replicated
    async with app_process(primary, primary.sqlalchemy_url(database), database, clock) as app:
        ann = await app.accounts.signup("ann@example.com", "ann-password-1")
        flight = await app.catalog.create_flight(new_flight(clock()))
        await app.reservations.hold_seats(ann, flight.id, ["12A"])

        async def sampled_and_refused() -> bool:
            assert (await app.catalog.seat_map(flight.id)).status("12A") == "held"
            return counts(app).fallbacks.get("not_a_replica", 0) > 0

        await eventually(sampled_and_refused, "a read from a primary refused", WAIT_SECONDS)
        assert counts(app).served == 0


async def test_a_standby_following_nobody_is_refused_though_it_replayed_further(
    replicated: tuple[PostgresServer, PostgresServer], database: str, clock: FakeClock
) -> None:
    """A demoted old primary, not yet rewound: in recovery, streaming from nobody, its
    position (of a history the primary never had) ahead of the primary's. Its map, which
    lacks the primary's newest hold, is never served: the primary answers."""
    primary, replica = replicated
    async with app_process(primary, replica.sqlalchemy_url(database), database, clock) as app:
        ann = await app.accounts.signup("ann@example.com", "ann-password-1")
        flight = await app.catalog.create_flight(new_flight(clock()))
    stray = start_private_replica(primary)
    try:
        conn = await asyncpg.connect(stray.dsn())
        try:
            assert await conn.fetchval("SELECT pg_promote()")  # its own timeline,
            await conn.execute(  # and WAL the primary never had
                "CREATE TABLE ahead AS SELECT generate_series(1, 100000) AS n"
            )
        finally:
            await conn.close()
        stray.restart_following_nobody()
        async with app_process(primary, stray.sqlalchemy_url(database), database, clock) as app:
            await app.reservations.hold_seats(ann, flight.id, ["12A"])
            assert await position(stray, "pg_last_wal_replay_lsn") > await position(
                primary, "pg_current_wal_lsn"
            )

            async def sampled() -> bool:
                return (await app.catalog.seat_map(flight.id)).status("12A") == "held"

            await eventually(sampled, "a seat map showing the hold", WAIT_SECONDS)

            async def refused_as_not_streaming() -> bool:
                """Once the stray has been sampled (until then a read falls back as
                "unsampled", sooner or later on a loaded machine), it is refused."""
                assert (await app.catalog.seat_map(flight.id)).status("12A") == "held"
                return counts(app).fallbacks.get("not_streaming", 0) > 0

            await eventually(
                refused_as_not_streaming, "a read refused as not streaming", WAIT_SECONDS
            )
            assert counts(app).served == 0
    finally:
        stray.stop()


async def position(server: PostgresServer, function: str) -> int:
    """A WAL position of `server`, in bytes: pg_last_wal_replay_lsn or pg_current_wal_lsn."""
    conn = await asyncpg.connect(server.dsn())
    try:
        lsn: int = await conn.fetchval(f"SELECT {function}() - '0/0'::pg_lsn")
        return lsn
    finally:
        await conn.close()
