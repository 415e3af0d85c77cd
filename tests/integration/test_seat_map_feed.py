"""Seat maps served from memory across processes (PostgreSQL LISTEN/NOTIFY)."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest

from lastseat.adapters.db.change_feed import PING
from lastseat.adapters.db.database import engine_of
from lastseat.bootstrap import Services
from lastseat.domain.errors import IdempotencyKeyReused, SeatsUnavailable
from lastseat.entrypoints.http.app import create_app
from lastseat.services.ports import IdempotencyKey
from lastseat.stack.postgres import PostgresServer
from tests.support.clock import FakeClock
from tests.support.databases import CHANGE_FEEDS
from tests.support.flights import new_flight
from tests.support.round_trips import counting
from tests.support.waiting import eventually


async def test_a_hold_in_one_process_reaches_the_other_cached_map(
    two_processes: tuple[Services, Services], clock: FakeClock
) -> None:
    a, b = two_processes
    user = await a.accounts.signup("ann@example.com", "ann-password-1")
    flight = await a.catalog.create_flight(new_flight(clock()))
    first = await b.catalog.seat_map(flight.id)
    assert await b.catalog.seat_map(flight.id) is first  # served from memory
    await a.reservations.hold_seats(user, flight.id, ["12A"])
    # the writing process sees its own change at once
    assert (await a.catalog.seat_map(flight.id)).status("12A") == "held"

    async def b_sees_it() -> bool:
        return (await b.catalog.seat_map(flight.id)).status("12A") == "held"

    await eventually(b_sees_it, "process B sees the hold made through process A")


async def test_a_cached_map_ends_when_a_hold_expires(
    two_processes: tuple[Services, Services], clock: FakeClock
) -> None:
    a, b = two_processes
    user = await a.accounts.signup("ann@example.com", "ann-password-1")
    flight = await a.catalog.create_flight(new_flight(clock()))
    await a.reservations.hold_seats(user, flight.id, ["3C"])

    async def b_sees_it() -> bool:
        return (await b.catalog.seat_map(flight.id)).status("3C") == "held"

    await eventually(b_sees_it, "process B sees the hold")
    clock.advance(seconds=b.settings.hold_ttl_seconds)
    # no process wrote anything: the expired hold is free by the rule, not by an event
    assert (await b.catalog.seat_map(flight.id)).status("3C") == "available"


async def test_losing_the_feed_stops_caching_until_it_is_back(
    two_processes: tuple[Services, Services], postgres: PostgresServer, clock: FakeClock
) -> None:
    a, b = two_processes
    flight = await a.catalog.create_flight(new_flight(clock()))
    conn = await asyncpg.connect(postgres.dsn())
    try:
        database = b.settings.database_url.get_secret_value().rsplit("/", 1)[1]
        killed = await conn.fetchval(
            f"SELECT count(pg_terminate_backend(pid)) FROM ({CHANGE_FEEDS}) AS feeds",
            database,
            PING,
        )
    finally:
        await conn.close()
    assert killed >= 2

    async def b_down() -> bool:
        return not b.catalog.seat_map_cache_live

    await eventually(b_down, "process B notices its feed is gone")
    assert await b.catalog.seat_map(flight.id) is not await b.catalog.seat_map(flight.id)

    async def b_back() -> bool:
        return b.catalog.seat_map_cache_live

    await eventually(b_back, "process B reconnects its feed")
    warm = await b.catalog.seat_map(flight.id)
    assert await b.catalog.seat_map(flight.id) is warm


async def test_the_http_fast_path_answers_from_memory_exactly_as_the_route_does(
    two_processes: tuple[Services, Services], clock: FakeClock
) -> None:
    a, b = two_processes
    user = await a.accounts.signup("ann@example.com", "ann-password-1")
    flight = await a.catalog.create_flight(new_flight(clock()))
    app = create_app(b.settings, b)
    url = f"/api/v1/flights/{flight.id}/seats"
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as api:
        assert b.catalog.cached_seat_map(flight.id) is None
        by_route = await api.get(url)  # cold: the route reads the database and caches
        assert b.catalog.cached_seat_map(flight.id) is not None
        from_memory = await api.get(url)
        assert from_memory.content == by_route.content
        for name in (
            "etag",
            "cache-control",
            "content-type",
            "content-length",
            "content-security-policy",
            "x-content-type-options",
        ):
            assert from_memory.headers[name] == by_route.headers[name], name
        assert from_memory.headers["x-request-id"] != by_route.headers["x-request-id"]
        origin = b.settings.public_origin  # a browser's cross-origin read still gets CORS
        cors = await api.get(url, headers={"Origin": origin})
        assert cors.content == by_route.content
        assert cors.headers["access-control-allow-origin"] == origin
        revalidated = await api.get(url, headers={"If-None-Match": by_route.headers["etag"]})
        assert revalidated.status_code == 304 and revalidated.content == b""
        # A hold through the other process: the feed drops the map, the route reads again.
        await a.reservations.hold_seats(user, flight.id, ["12A"])

        async def b_serves_it() -> bool:
            seats = (await api.get(url)).json()["seats"]
            status: str = next(s for s in seats if s["seat"] == "12A")["status"]
            return status == "held"

        await eventually(b_serves_it, "the map served over HTTP shows the other process's hold")
        assert (
            await api.get(url, headers={"If-None-Match": by_route.headers["etag"]})
        ).status_code == 200


async def test_a_watcher_snapshot_shows_a_change_not_yet_notified(
    two_processes: tuple[Services, Services], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A watcher starts from the event id it reads and a map at least that new: a map cached
    before a change whose notification is still on its way would skip that change."""
    a, b = two_processes
    user = await a.accounts.signup("ann@example.com", "ann-password-1")
    flight = await a.catalog.create_flight(new_flight(clock()))
    await b.catalog.seat_map(flight.id)  # B caches the map
    assert b.change_feed is not None
    # B hears no notification from here on, as if the hold's were still on its way
    monkeypatch.setattr(b.change_feed, "_on_seats", lambda _flight_id: None)
    await a.reservations.hold_seats(user, flight.id, ["12A"])
    assert (await b.catalog.seat_map(flight.id)).status("12A") == "available"  # the stale cache
    start = await b.watching.start(flight.id, None)
    assert start.seat_map.status("12A") == "held"


async def test_a_hold_the_live_map_shows_taken_is_refused_in_one_read_with_the_free_seats(
    two_processes: tuple[Services, Services], clock: FakeClock
) -> None:
    """A herd's refused hold costs one read, not the throttle's and the hold's transactions
    (16 round trips), and teaches: the refusal lists the seats free now."""
    a, b = two_processes
    ann = await a.accounts.signup("ann@example.com", "ann-password-1")
    bob = await b.accounts.signup("bob@example.com", "bob-password-1")
    flight = await a.catalog.create_flight(new_flight(clock()))
    await a.reservations.hold_seats(ann, flight.id, ["12A"])

    async def b_sees_it() -> bool:
        return (await b.catalog.seat_map(flight.id)).status("12A") == "held"

    await eventually(b_sees_it, "process B sees the hold")
    # which flights sell through a waiting room: read once a second per process, not per hold
    await b.waiting_room.check_admission(bob, flight.id, None)
    with counting(engine_of(b.database)) as trips:
        with pytest.raises(SeatsUnavailable) as refused:
            await b.reservations.hold_seats(bob, flight.id, ["12A", "12B"], address="192.0.2.7")
    # the attempt counted (one statement), one read of the seats, and no transaction
    expected = ["INSERT INTO throttles AS", "SELECT seat, status, held_until"]
    assert trips.of_the_app() == expected, trips.statements()
    assert refused.value.seats == ["12A"]
    assert refused.value.extras["sold_out"] is False
    assert refused.value.available == [s for s in flight.layout.seat_names() if s != "12A"]


async def test_a_retried_hold_is_answered_by_its_key_even_when_the_live_map_shows_its_seats(
    two_processes: tuple[Services, Services], clock: FakeClock
) -> None:
    """Its seats are the caller's own, held by the request it retries (whose answer a
    flaky network lost): a replay, not a refusal; the key reused for other seats, a 422."""
    _, b = two_processes
    ann = await b.accounts.signup("ann@example.com", "ann-password-1")
    flight = await b.catalog.create_flight(new_flight(clock()))
    key = IdempotencyKey("hold-1", "fingerprint-1")
    first = await b.reservations.hold_seats(ann, flight.id, ["12A"], key, address="192.0.2.7")

    async def in_memory() -> bool:  # once the feed has told this process of its own hold
        await b.catalog.seat_map(flight.id)
        cached = b.catalog.cached_seat_map(flight.id)
        return cached is not None and cached.status("12A") == "held"

    await eventually(in_memory, "the map, with the hold, in memory")
    again = await b.reservations.hold_seats(ann, flight.id, ["12A"], key, address="192.0.2.7")
    assert again.replayed and again.hold.id == first.hold.id
    other = IdempotencyKey("hold-1", "fingerprint-2")
    with pytest.raises(IdempotencyKeyReused):
        await b.reservations.hold_seats(ann, flight.id, ["12A"], other, address="192.0.2.7")


async def test_a_seat_freed_behind_the_live_map_s_back_is_not_refused(
    two_processes: tuple[Services, Services], clock: FakeClock
) -> None:
    """The map in memory may still show a seat another process has just freed: it only
    says which seats to check, the database says whether they are taken."""
    a, b = two_processes
    ann = await a.accounts.signup("ann@example.com", "ann-password-1")
    bob = await b.accounts.signup("bob@example.com", "bob-password-1")
    flight = await a.catalog.create_flight(new_flight(clock()))
    for round_ in range(5):
        seat = f"{20 + round_}C"
        held = await a.reservations.hold_seats(ann, flight.id, [seat])

        async def b_sees_it(seat: str = seat) -> bool:
            return (await b.catalog.seat_map(flight.id)).status(seat) == "held"

        await eventually(b_sees_it, "process B sees the hold")
        await a.reservations.release_hold(ann, held.hold.id)
        # at once, before B's feed may have heard of the release
        taken = await b.reservations.hold_seats(bob, flight.id, [seat])
        assert taken.hold.seats == (seat,)


async def test_a_crowd_asking_for_a_changed_map_shares_one_read_begun_after_the_change(
    two_processes: tuple[Services, Services], clock: FakeClock
) -> None:
    _, b = two_processes
    ann = await b.accounts.signup("ann@example.com", "ann-password-1")
    for code in ("LS201", "LS202"):  # each flight's map not read yet in this process
        flight = await b.catalog.create_flight(new_flight(clock(), code=code))
        with counting(engine_of(b.database)) as trips:
            crowd = [asyncio.create_task(b.catalog.seat_map(flight.id)) for _ in range(200)]
            await asyncio.sleep(0)  # every one has asked, and one read has begun
            # a change made meanwhile by this process: no one asking after it shares the
            # read begun before it
            await b.reservations.hold_seats(ann, flight.id, ["5A"])
            after = await b.catalog.seat_map(flight.id)
            maps = await asyncio.gather(*crowd)
        assert after.status("5A") == "held"
        assert len({id(m) for m in maps}) == 1  # one read for the crowd
        reads = [sql for sql in trips.statements() if sql.startswith("SELECT seat, status")]
        assert len(reads) == 2, trips.statements()  # the crowd's and the one after the hold
