"""The PostgreSQL repositories and the portable ones, run on one PostgreSQL database: the
same operations must come to the same results (postgres.py only sends them faster)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from lastseat.adapters.db.hot_reads import PgSeatReader, SeatReader
from lastseat.adapters.db.repositories.holds import SqlIdempotencyKeys
from lastseat.adapters.db.repositories.postgres import PgIdempotencyKeys, PgThrottles
from lastseat.adapters.db.unit_of_work import (
    PORTABLE,
    POSTGRESQL,
    Repositories,
    SqlUnitOfWorkFactory,
)
from lastseat.config import Settings
from lastseat.domain.bookings import Booking, BookingStatus, PaymentStatus, new_reference
from lastseat.domain.events import seat_events
from lastseat.domain.flights import SeatStatus
from lastseat.domain.holds import Hold, HoldStatus
from lastseat.domain.mail import MailKind, NewMail
from lastseat.domain.money import Money
from lastseat.domain.passengers import Passenger, PassengerType
from lastseat.domain.pricing import quote
from lastseat.domain.users import Role, Session, User
from lastseat.services.ports import KeyClaim, Placement
from lastseat.services.samples import standard_layout
from tests.support.databases import migrated_engine

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=10)
RULES = Settings(_env_file=None).fare_rules


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    async with migrated_engine(database_url) as built:
        yield built


def _hold(user: User, flight_id: int, seats: tuple[str, ...], until: datetime) -> Hold:
    layout = standard_layout()
    priced = quote(layout, seats, RULES, 0, layout.capacity)
    return Hold(uuid.uuid4(), user.id, flight_id, seats, until, HoldStatus.ACTIVE, priced)


async def _place(uows: SqlUnitOfWorkFactory, hold: Hold, now: datetime = NOW) -> list[str]:
    async with uows(write=True) as uow:
        await uow.holds.serialize(hold.user_id, "192.0.2.1", hold.flight_id)
        changes = seat_events(hold.flight_id, list(hold.seats), SeatStatus.HELD)
        claimed = await uow.holds.place(hold, now, "192.0.2.1", changes)
        if len(claimed) == len(hold.seats):  # the service's rule: all or none
            await uow.commit()
    return claimed


async def _round(uows: SqlUnitOfWorkFactory, user: User, flight_id: int) -> list[Any]:
    """A round of holds placed together, as choice_rounds.py places them: keys claimed,
    counts read and holds placed, each for several at once; one of the holds names a seat
    held already, which is not claimed."""
    other = User(uuid.uuid4(), f"other-{flight_id}@example.com", Role.CUSTOMER)
    seen: list[Any] = []
    async with uows(write=True) as uow:
        await uow.users.add(other, "hash", NOW)
        await uow.commit()
    first_key = uuid.uuid4()
    async with uows(write=True) as uow:
        await uow.idempotency.claim(user.id, "used", "fp", first_key, NOW)
        await uow.commit()
    async with uows(write=True) as uow:
        claims = [
            KeyClaim(user.id, "used", "fp", uuid.uuid4()),
            KeyClaim(other.id, "new", "fp", uuid.uuid4()),
        ]
        seen.append(await uow.idempotency.claim_all(claims, NOW) == [("fp", first_key), None])
        askers = [(user.id, "192.0.2.1"), (other.id, None), (other.id, "192.0.2.9")]
        seen.append(await uow.holds.held_and_sold_all(askers, flight_id, NOW))
        holds = [
            _hold(user, flight_id, ("5A", "5B"), LATER),
            _hold(other, flight_id, ("6A",), LATER),
            _hold(other, flight_id, ("1A", "7A"), LATER),  # 1A is held already
        ]
        placements = [Placement(hold, "192.0.2.2") for hold in holds]
        changes = [
            *seat_events(flight_id, ["4A"], SeatStatus.AVAILABLE),
            *seat_events(flight_id, ["5A", "5B", "6A", "1A", "7A"], SeatStatus.HELD),
        ]
        seen.append(await uow.holds.place_all(placements, changes, NOW))
        seen.append(await uow.holds.held_and_sold_all(askers, flight_id, NOW))
        seen.append(sorted(await uow.seats.taken(flight_id, NOW)))
        await uow.commit()  # (the service would not, with 1A unclaimed: the events show all)
    async with uows() as uow:
        seen.append(
            [(seat, status) for _, seat, status in await uow.events.for_flight(flight_id, 0, 99)]
        )
    return seen


async def _scenario(engine: AsyncEngine, chosen: Repositories, name: str) -> list[Any]:
    """Every repository method with a PostgreSQL twin, on a flight and customer of its own;
    what it returns, with the ids this run made left out."""
    uows = SqlUnitOfWorkFactory(engine, chosen)
    seen: list[Any] = []
    user = User(uuid.uuid4(), f"{name}@example.com", Role.CUSTOMER)
    async with uows(write=True) as uow:
        await uow.users.add(user, "hash", NOW)
        await uow.tokens.add(f"{name}-live", user.id, NOW, LATER)
        await uow.tokens.add(f"{name}-old", user.id, NOW - timedelta(days=2), NOW)
        flight = await uow.flights.add(
            f"LS{len(name)}", "LHR", "JFK", NOW + timedelta(days=3), standard_layout()
        )
        await uow.commit()
    async with uows() as uow:
        seen.append(await uow.tokens.session_for(f"{name}-live", NOW) == Session(user, LATER))
        seen.append(await uow.tokens.session_for(f"{name}-old", NOW))

    first = _hold(user, flight.id, ("1A", "1C"), LATER)
    seen.append(await _place(uows, first))
    # 1C is held already: only 2A is claimed, and nothing is kept (all or none)
    seen.append(await _place(uows, _hold(user, flight.id, ("1C", "2A"), LATER)))
    racers = [_hold(user, flight.id, ("3A",), LATER) for _ in range(4)]
    claims = await asyncio.gather(*(_place(uows, racer) for racer in racers))
    seen.append(sorted(claims))
    lapsing = _hold(user, flight.id, ("4A", "4B"), NOW + timedelta(seconds=1))
    seen.append(await _place(uows, lapsing))
    seen.append(await _round(uows, user, flight.id))

    booking = Booking(
        id=uuid.uuid4(),
        reference=new_reference(),
        user_id=user.id,
        flight_id=flight.id,
        seats=first.seats,
        total=Money(1000, "EUR"),
        status=BookingStatus.CONFIRMED,
        created_at=NOW,
        payment_id="pay-1",
        payment_status=PaymentStatus.AUTHORIZED,
        passengers=tuple(
            Passenger(
                seat,
                "Ann",
                "Lee",
                date(2020, 5, 1) if i else None,
                PassengerType.CHILD if i else PassengerType.ADULT,
            )
            for i, seat in enumerate(first.seats)
        ),
    )
    async with uows(write=True) as uow:
        seen.append(await uow.holds.take_for_booking(first.id, user.id, LATER) is None)
        taken = await uow.holds.take_for_booking(first.id, user.id, NOW)
        seen.append(taken == replace(first, status=HoldStatus.BOOKED))
        ticket = NewMail(f"<{name}@twins>", MailKind.BOOKED, booking.id, user.email)
        changes = seat_events(flight.id, list(first.seats), SeatStatus.BOOKED)
        # placed a moment after the booking was made: the row keeps the booking's own time
        placed_at = NOW + timedelta(seconds=1)
        seen.append(await uow.bookings.place(booking, first.id, placed_at, changes, ticket))
        seen.append(await uow.holds.held_and_sold(user.id, "192.0.2.1", flight.id, NOW))
        seen.append(await uow.idempotency.claim(user.id, "k", "fp", booking.id, NOW))
        again = await uow.idempotency.claim(user.id, "k", "fp2", uuid.uuid4(), NOW)
        seen.append(again == ("fp", booking.id))
        await uow.commit()
    async with uows() as uow:
        seen.append(await uow.bookings.get_owned(booking.id, user.id) == booking)
        owned = await uow.holds.get_owned(first.id, user.id)
        seen.append(owned == replace(first, status=HoldStatus.BOOKED))
        seen.append(await uow.holds.get_owned(first.id, uuid.uuid4()))  # not the owner: None
        seen.append(sorted(await uow.seats.taken(flight.id, NOW + timedelta(seconds=2))))
        seen.append(
            [(seat, status) for _, seat, status in await uow.events.for_flight(flight.id, 0, 99)]
        )

    reader = PgSeatReader(engine) if chosen is POSTGRESQL else SeatReader(uows)
    seen.append(sorted((await reader.taken(flight.id, NOW)).rows))
    seen.append(sorted((await reader.taken(flight.id, NOW + timedelta(seconds=2))).rows))

    async with uows(write=True) as uow:
        released = [await uow.seats.release_hold(racer.id) for racer in racers]
        seen.append(sorted(seat for seats in released for _, seat in seats))
        expired = await uow.seats.release_expired(LATER, 999)
        seen.append(sorted(seat for f, seat in expired if f == flight.id))
        seen.append(await uow.seats.free_booking(booking.id))
        seen.append(await uow.holds.held_and_sold(user.id, None, flight.id, NOW))
        await uow.commit()

    key = f"{name}:address"
    async with uows(write=True) as uow:
        for moment in (NOW, NOW, NOW + timedelta(minutes=1), LATER):
            counted = await uow.throttles.count(key, moment, NOW - timedelta(seconds=30))
            seen.append((counted.attempts, counted.window_start, counted.locked_until))
        both = [f"{name}:customer", key]  # a key new and one counted above
        for moment in (NOW, LATER, LATER + timedelta(seconds=1)):
            counters = await uow.throttles.count_all(both, moment, moment - timedelta(seconds=30))
            seen.append([(c.attempts, c.window_start, c.locked_until) for c in counters])
        await uow.throttles.remember(f"{name}:known", NOW)
        seen.append(await uow.throttles.remembered_since(f"{name}:known", NOW - timedelta(days=1)))
        await uow.commit()
    return seen


# Upserts are built from the dialect's own INSERT (its ON CONFLICT clause is not portable):
# the portable statement around it is what runs here.
class _PortableClaims(PgIdempotencyKeys):
    claim_all = SqlIdempotencyKeys.claim_all  # the portable one, over PostgreSQL's upsert


PORTABLE_ON_POSTGRESQL = replace(PORTABLE, idempotency=_PortableClaims, throttles=PgThrottles)


async def test_the_postgresql_repositories_do_what_the_portable_ones_do(
    engine: AsyncEngine,
) -> None:
    portable = await _scenario(engine, PORTABLE_ON_POSTGRESQL, "portable")
    postgresql = await _scenario(engine, POSTGRESQL, "postgresql")
    assert postgresql == portable
    assert portable[2] == ["1A", "1C"]
    assert portable[3] == ["2A"]
    assert portable[4] == [[], [], [], ["3A"]]  # one racer of four wins the last seat
    placed_together = portable[6][2]
    assert placed_together == [["5A", "5B"], ["6A"], ["7A"]]
