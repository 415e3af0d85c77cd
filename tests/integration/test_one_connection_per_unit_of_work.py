"""No service opens a second database connection while its unit of work holds one.

With one pooled connection, any such nesting waits for itself and fails as "busy"; in
production it holds two connections per request, and under load (a cold flight cache
after a restart) every request waits on a pool the others hold.
"""

from __future__ import annotations

import asyncio

import pytest

from lastseat.adapters.db.database import engine_of
from lastseat.bootstrap import Services, build_services
from lastseat.domain.discounts import Discount, DiscountKind
from lastseat.domain.errors import NotFound
from tests.support.clock import FakeClock
from tests.support.flights import new_flight
from tests.support.passengers import passengers_for
from tests.support.payments import FakePayments
from tests.support.round_trips import counting


@pytest.mark.settings(pool_size=1, pool_max_overflow=0, pool_timeout_seconds=0.5)
async def test_every_service_flow_runs_on_a_pool_of_one(
    services: Services, clock: FakeClock, payments: FakePayments
) -> None:
    # The flight is made by another process: this one's flight cache is cold.
    other = build_services(services.settings, clock=clock)
    try:
        flight = await other.catalog.create_flight(new_flight(clock()))
    finally:
        await other.close()
    ann = await services.accounts.signup("ann@example.com", "ann-password-1")
    await services.discounts.create(Discount("SPRING10", DiscountKind.PERCENT, 1_000))

    assert (await services.catalog.search())[0].id == flight.id
    await services.catalog.seat_map(flight.id)
    await services.watching.start(flight.id, None)
    hold = (await services.reservations.hold_seats(ann, flight.id, ["12A", "12B"])).hold
    await services.reservations.quote(ann, hold.id, "SPRING10")
    booking = (
        await services.bookings.confirm(
            ann, hold.id, "tok_ok", "SPRING10", passengers=passengers_for(hold.seats)
        )
    ).booking
    await services.settlement.flush()
    await services.settlement.settle_due()
    assert [b.id for b in await services.bookings.list(ann)] == [booking.id]
    await services.catalog.manifest(flight.id)
    # A process that has not read the flight yet cancels it (read inside its transaction).
    restarted = build_services(services.settings, clock=clock, payments=payments)
    try:
        await restarted.bookings.cancel(ann, booking.id)
    finally:
        await restarted.close()
    again = (await services.reservations.hold_seats(ann, flight.id, ["12A"])).hold
    await services.reservations.release_hold(ann, again.id)
    await services.reservations.sweep_expired()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_cold_flight_asked_for_by_a_crowd_is_read_once(
    services: Services, clock: FakeClock
) -> None:
    """A sale's first hundreds of requests reach a process that has not read the flight
    yet: they share one read, and one caller giving up does not take it from the rest."""
    other = build_services(services.settings, clock=clock)
    try:
        flight = await other.catalog.create_flight(new_flight(clock()))
    finally:
        await other.close()
    with counting(engine_of(services.database)) as trips:
        impatient = asyncio.create_task(services.catalog.flight(flight.id))
        crowd = [asyncio.create_task(services.catalog.flight(flight.id)) for _ in range(200)]
        await asyncio.sleep(0)  # every one of them has asked
        impatient.cancel()
        read = await asyncio.gather(*crowd)
    assert {f.id for f in read} == {flight.id}
    assert len(trips.statements()) == 1, trips.statements()  # the flight's, once
    with pytest.raises(NotFound):  # a flight that does not exist: each caller is told so
        await asyncio.gather(*(services.catalog.flight(flight.id + 1) for _ in range(20)))
