"""Seat events are kept for a retention window, then pruned; a watcher resuming from
before the window gets a fresh snapshot as its start, not a replay with a hole in it. WS
and gRPC both begin with `Watching.start`, so this holds for both."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import pytest

from lastseat.bootstrap import Services
from lastseat.domain.users import User
from lastseat.services.watching import SeatChange, SlowConsumer
from tests.support.clock import FakeClock
from tests.support.flights import new_flight


async def _user(services: Services, name: str) -> User:
    return await services.accounts.signup(f"{name}@example.com", f"{name}-password-1")


async def _flight_with_holds(services: Services, clock: FakeClock, *seats: str) -> int:
    """A flight, and one hold of `seats` on it (an event each)."""
    ann = await _user(services, "ann")
    flight = await services.catalog.create_flight(new_flight(clock()))
    await services.reservations.hold_seats(ann, flight.id, list(seats))
    return flight.id


async def _next(services: Services, flight_id: int, after: int) -> list[SeatChange]:
    changes = services.watching.changes(flight_id, after)
    assert isinstance(changes, AsyncGenerator)
    try:
        return list(await anext(changes))
    finally:
        await changes.aclose()


@pytest.mark.settings(seat_event_retention_hours=1, hold_ttl_seconds=86_400)
async def test_old_events_are_pruned_and_a_resume_from_before_gets_a_snapshot(
    services: Services, clock: FakeClock
) -> None:
    ann, bob = await _user(services, "ann"), await _user(services, "bob")
    flight = await services.catalog.create_flight(new_flight(clock()))
    await services.reservations.hold_seats(ann, flight.id, ["12A"])
    old = (await services.watching.start(flight.id, None)).event_id
    assert old > 0
    assert await services.watching.prune_history() == 0  # nothing is an hour old yet

    clock.advance(hours=2)
    await services.reservations.hold_seats(bob, flight.id, ["14C"])
    kept = (await services.watching.start(flight.id, None)).event_id
    assert await services.watching.prune_history() == 1  # the hold of 12A, 2 hours ago
    assert await services.watching.prune_history() == 0

    # From before the window (0, or any position before the pruned event): the snapshot,
    # which shows both holds, and then only what follows it.
    for after in (0, old - 1):
        start = await services.watching.start(flight.id, after)
        assert start.after == start.event_id >= kept
        assert start.seat_map.status("12A") == "held" and start.seat_map.status("14C") == "held"
    await services.reservations.hold_seats(bob, flight.id, ["15D"])
    [fresh] = await _next(services, flight.id, start.after)
    assert fresh.seat == "15D"

    # From inside the window, the changes it missed, exactly.
    resumed = await services.watching.start(flight.id, old)
    assert resumed.after == old
    assert [c.seat for c in await _next(services, flight.id, old)] == ["14C", "15D"]


@pytest.mark.settings(seat_event_retention_hours=1, hold_ttl_seconds=86_400)
async def test_the_newest_event_is_kept_so_ids_never_go_back(
    services: Services, clock: FakeClock
) -> None:
    flight_id = await _flight_with_holds(services, clock, "12A", "12B")
    newest = (await services.watching.start(flight_id, None)).event_id
    clock.advance(hours=2)
    assert await services.watching.prune_history() == 1  # 12A's; 12B's is the newest
    start = await services.watching.start(flight_id, None)
    assert start.event_id == newest
    bob = await _user(services, "bob")
    await services.reservations.hold_seats(bob, flight_id, ["14C"])
    [change] = await _next(services, flight_id, start.after)
    assert change.seat == "14C" and change.event_id > newest


@pytest.mark.settings(seat_event_retention_hours=1, hold_ttl_seconds=86_400)
async def test_a_watcher_catching_up_while_its_events_are_pruned_is_cut_off(
    services: Services, clock: FakeClock
) -> None:
    flight_id = await _flight_with_holds(services, clock, "12A", "12B")
    start = await services.watching.start(flight_id, 0)  # a watcher from the very first
    clock.advance(hours=2)
    changes = services.watching.changes(flight_id, start.after)
    assert isinstance(changes, AsyncGenerator)
    assert await services.watching.prune_history() == 1  # 12A's, not yet sent
    try:
        with pytest.raises(SlowConsumer):  # (it resumes as any cut-off watcher: a snapshot)
            await anext(changes)
    finally:
        await changes.aclose()
    assert (await services.watching.start(flight_id, start.after)).after > start.after


async def test_a_resume_from_an_id_never_given_out_gets_a_snapshot(
    services: Services, clock: FakeClock
) -> None:
    flight_id = await _flight_with_holds(services, clock, "12A")
    position = (await services.watching.start(flight_id, None)).event_id
    start = await services.watching.start(flight_id, position + 1_000_000)
    assert start.after == start.event_id == position  # not silent until the ids catch up
    assert start.seat_map.status("12A") == "held"
    bob = await _user(services, "bob")
    await services.reservations.hold_seats(bob, flight_id, ["14C"])
    [fresh] = await _next(services, flight_id, start.after)
    assert fresh.seat == "14C"
