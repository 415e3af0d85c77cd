"""Manage-booking throttles, on both databases, through the service both HTTP and gRPC
call: a guesser is stopped, but a stranger's failures cannot keep the traveller out of
their own booking for longer than a short slow-down; every number is a setting."""

from __future__ import annotations

import httpx
import pytest

from lastseat.bootstrap import Services
from lastseat.domain.bookings import REFERENCE_ALPHABET
from lastseat.domain.errors import NotFound, TooManyAttempts
from tests.support.asgi import bearer, signed_in
from tests.support.clock import FakeClock
from tests.support.passengers import passengers_json

OWNER_ADDRESS = "198.51.100.9"
GUESSER_ADDRESS = "203.0.113.7"


@pytest.fixture
async def reference(api: httpx.AsyncClient, flight_id: int) -> str:
    """A booking whose one passenger is called Lee."""
    ann = bearer(await signed_in(api, "ann@example.com"))
    held = await api.post(
        "/api/v1/holds", json={"flight_id": flight_id, "seats": ["5A"]}, headers=ann
    )
    assert held.status_code == 201, held.text
    body = {
        "hold_id": held.json()["id"],
        "payment": {"token": "tok_ok"},
        "passengers": passengers_json(["5A"]),
    }
    booked = await api.post("/api/v1/bookings", json=body, headers=ann)
    assert booked.status_code == 201, booked.text
    return str(booked.json()["reference"])


async def _refused(services: Services, reference: str, name: str, address: str) -> TooManyAttempts:
    with pytest.raises(TooManyAttempts) as refused:
        await services.bookings.look_up(reference, name, address)
    return refused.value


async def _wrong(services: Services, reference: str, name: str, address: str) -> None:
    with pytest.raises(NotFound):
        await services.bookings.look_up(reference, name, address)


async def _failed(
    services: Services, reference: str, name: str, address: str
) -> TooManyAttempts | None:
    """A wrong guess: None if it was heard (and not found), the refusal if it was not."""
    try:
        await _wrong(services, reference, name, address)
    except TooManyAttempts as refused:
        return refused
    return None


async def _owner_gets_in(
    services: Services, reference: str, address: str, clock: FakeClock, longest_wait: int
) -> None:
    """The owner finds the booking at once, or after one wait no longer than `longest_wait`."""
    try:
        found = await services.bookings.look_up(reference, "Lee", address)
    except TooManyAttempts as slowed:
        assert slowed.retry_after <= longest_wait
        clock.advance(seconds=slowed.retry_after)
        found = await services.bookings.look_up(reference, "Lee", address)
    assert found.booking.reference == reference


@pytest.mark.settings(
    lookup_max_failures_per_pair=3, lookup_lockout_seconds=7, lookup_max_lockout_seconds=20
)
async def test_a_guesser_from_one_address_is_locked_out_of_the_reference(
    services: Services, reference: str, clock: FakeClock
) -> None:
    for guess in ("Smith", "Jones", "Brown"):
        await _wrong(services, reference, guess, GUESSER_ADDRESS)
    # locked for the configured time, the right name too (a guesser cannot tell)
    locked = await _refused(services, reference, "Lee", GUESSER_ADDRESS)
    assert (locked.limit, locked.retry_after) == ("lookups-per-reference-and-address", 7)
    # each attempt past the limit is let through alone and doubles the lock, to the cap
    for lock in (14, 20, 20):
        clock.advance(seconds=locked.retry_after)
        await _wrong(services, reference, "Taylor", GUESSER_ADDRESS)
        locked = await _refused(services, reference, "Lee", GUESSER_ADDRESS)
        assert locked.retry_after == lock
    # the owner, elsewhere, is not kept out at all by one address's guessing
    found = await services.bookings.look_up(reference, "Lee", OWNER_ADDRESS)
    assert found.booking.reference == reference


@pytest.mark.settings(
    lookup_max_failures_per_reference=4,
    lookup_slowdown_seconds=2,
    lookup_max_slowdown_seconds=9,
    lookup_max_lockout_seconds=3_600,
)
async def test_a_stranger_s_failures_keep_the_owner_out_no_longer_than_the_short_slowdown(
    services: Services, reference: str, clock: FakeClock
) -> None:
    # Guessers from many addresses (each new to the reference) and from a few (again and
    # again) pile up failures on the owner's reference.
    refusals = []
    for attempt in range(40):
        address = f"203.0.113.{attempt}" if attempt % 2 else f"192.0.2.{attempt % 4}"
        refused = await _failed(services, reference, f"Guess{attempt}", address)
        if refused is not None:
            refusals.append(refused)
    assert refusals, "the reference was never slowed"
    # only slowed, never locked: every wait is within the configured slow-down
    assert all(r.limit == "lookups-per-reference" and r.retry_after <= 9 for r in refusals)
    # the owner, from their own address, gets in after at most the longest slow-down
    await _owner_gets_in(services, reference, OWNER_ADDRESS, clock, 9)


@pytest.mark.settings(
    lookup_max_failures_per_address=5, lookup_slowdown_seconds=1, lookup_max_slowdown_seconds=4
)
async def test_an_address_trying_references_is_slowed_not_locked_for_its_neighbours(
    services: Services, reference: str, clock: FakeClock
) -> None:
    # One guesser behind an airport's NAT tries references for a common name.
    waits = []
    for n in range(12):
        refused = await _failed(
            services, f"AAAAAAA{REFERENCE_ALPHABET[n]}", "Smith", GUESSER_ADDRESS
        )
        if refused is not None:
            assert refused.limit == "lookups-per-address"
            waits.append(refused.retry_after)
    assert waits and max(waits) <= 4  # the guesser is slowed to a crawl, nobody is locked out
    # The traveller behind the same address waits no longer than the longest slow-down.
    await _owner_gets_in(services, reference, GUESSER_ADDRESS, clock, 4)
