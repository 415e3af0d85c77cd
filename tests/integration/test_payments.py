"""Money and bookings stay in step, whatever the payment provider does (both databases)."""

from __future__ import annotations

import asyncio

import pytest

from lastseat.bootstrap import Services
from lastseat.domain.bookings import BookingStatus, PaymentStatus
from lastseat.domain.discounts import Discount, DiscountKind, DiscountNotApplicable
from lastseat.domain.errors import PaymentDeclined, PaymentProviderError, PaymentUnavailable
from lastseat.domain.flights import Flight
from lastseat.domain.users import User
from lastseat.services.ports import IdempotencyKey
from tests.support.clock import FakeClock
from tests.support.flights import new_flight
from tests.support.passengers import passengers_for
from tests.support.payments import FakePayments


async def _setup(services: Services, clock: FakeClock) -> tuple[User, Flight]:
    user = await services.accounts.signup("ann@example.com", "ann-password-1")
    return user, await services.catalog.create_flight(new_flight(clock()))


async def test_a_booking_is_authorized_then_captured_for_the_held_quote(
    services: Services, clock: FakeClock, payments: FakePayments
) -> None:
    ann, flight = await _setup(services, clock)
    hold = (await services.reservations.hold_seats(ann, flight.id, ["4A", "4B"])).hold
    booking = (
        await services.bookings.confirm(
            ann, hold.id, "tok_ok", passengers=passengers_for(hold.seats)
        )
    ).booking
    # The traveller waited for the authorization only: the capture follows the commit.
    assert booking.status is BookingStatus.CONFIRMED
    assert booking.payment_status is PaymentStatus.AUTHORIZED
    assert [call[0] for call in payments.calls] == ["authorize"]
    assert payments.state == {booking.payment_id: "authorized"}
    await services.settlement.flush()  # captured, and written down in a batch
    assert payments.state == {booking.payment_id: "captured"}
    assert payments.captured_total() == hold.quote.total.amount == booking.total.amount
    stored = await services.bookings.get(ann, booking.id)
    assert stored.payment_status is PaymentStatus.CAPTURED
    assert await services.settlement.settle_due() == 0


@pytest.mark.parametrize(
    ("token", "error"),
    [
        ("tok_declined", PaymentDeclined),
        ("tok_error", PaymentProviderError),
        ("tok_slow", PaymentUnavailable),
    ],
)
async def test_a_failed_payment_books_nothing_and_keeps_the_hold(
    services: Services, clock: FakeClock, payments: FakePayments, token: str, error: type
) -> None:
    ann, flight = await _setup(services, clock)
    hold = (await services.reservations.hold_seats(ann, flight.id, ["4A"])).hold
    key = IdempotencyKey("checkout-1", "same-body")
    with pytest.raises(error):
        await services.bookings.confirm(
            ann, hold.id, token, None, key, passengers=passengers_for(hold.seats)
        )
    assert await services.bookings.list(ann) == []
    assert (await services.catalog.seat_map(flight.id)).status("4A") == "held"
    # the same key, now with a working card, completes exactly once
    if token != "tok_declined":
        key = IdempotencyKey("checkout-1", "same-body")
    else:
        key = IdempotencyKey("checkout-2", "new-card")
    first = await services.bookings.confirm(
        ann, hold.id, "tok_ok", None, key, passengers=passengers_for(hold.seats)
    )
    again = await services.bookings.confirm(
        ann, hold.id, "tok_ok", None, key, passengers=passengers_for(hold.seats)
    )
    assert again.replayed and again.booking.id == first.booking.id
    assert len(await services.bookings.list(ann)) == 1
    await services.settlement.flush()
    assert payments.captured_total() == hold.quote.total.amount


async def test_a_failed_capture_is_settled_later_and_only_once(
    services: Services, clock: FakeClock, payments: FakePayments
) -> None:
    ann, flight = await _setup(services, clock)
    hold = (await services.reservations.hold_seats(ann, flight.id, ["6C"])).hold
    payments.capture_fails = True
    booking = (
        await services.bookings.confirm(
            ann, hold.id, "tok_ok", passengers=passengers_for(hold.seats)
        )
    ).booking
    assert booking.status is BookingStatus.CONFIRMED  # the authorization holds the money
    await services.settlement.flush()  # its process's capture failed
    assert payments.state[booking.payment_id or ""] == "authorized"
    assert await services.settlement.settle_due() == 0  # its process's to capture, a while
    clock.advance(seconds=services.settings.payments_capture_grace_seconds)
    assert await services.settlement.settle_due() == 0  # still failing: retried later
    payments.capture_fails = False
    assert await services.settlement.settle_due() == 0  # not before its delay is over
    clock.advance(seconds=services.settings.payments_settle_retry_seconds)
    assert await services.settlement.settle_due() == 1
    assert await services.settlement.settle_due() == 0
    stored = await services.bookings.get(ann, booking.id)
    assert stored.payment_status is PaymentStatus.CAPTURED
    assert payments.captured_total() == booking.total.amount


async def test_a_capture_whose_answer_was_lost_is_not_made_twice(
    services: Services, clock: FakeClock, payments: FakePayments
) -> None:
    ann, flight = await _setup(services, clock)
    hold = (await services.reservations.hold_seats(ann, flight.id, ["7A"])).hold
    payments.capture_reply_lost = True
    booking = (
        await services.bookings.confirm(
            ann, hold.id, "tok_ok", passengers=passengers_for(hold.seats)
        )
    ).booking
    await services.settlement.flush()  # the capture was made, its answer lost
    assert (await services.bookings.get(ann, booking.id)).payment_status is (
        PaymentStatus.AUTHORIZED  # we do not know yet
    )
    payments.capture_reply_lost = False
    clock.advance(seconds=services.settings.payments_capture_grace_seconds)
    assert await services.settlement.settle_due() == 1
    assert payments.captures == {booking.payment_id: 1}
    # settlement asked the provider first, found the capture made, and only wrote it down
    assert [c for c in payments.calls if c[0] == "capture"] == [("capture", booking.payment_id)]
    assert ("status", booking.payment_id) in payments.calls


async def test_an_authorization_without_a_booking_is_voided(
    services: Services, clock: FakeClock, payments: FakePayments
) -> None:
    ann, flight = await _setup(services, clock)
    bob = await services.accounts.signup("bob@example.com", "bob-password-1")
    await services.discounts.create(
        Discount("ONCE", DiscountKind.PERCENT, 1_000, max_redemptions=1)
    )
    first = (await services.reservations.hold_seats(ann, flight.id, ["8A"])).hold
    second = (await services.reservations.hold_seats(bob, flight.id, ["8B"])).hold
    # both are priced with the code (the provider takes a moment to authorize, so both get
    # that far); only one can redeem it inside the booking transaction
    payments.authorize_delay = 0.1
    results = await asyncio.gather(
        services.bookings.confirm(
            ann, first.id, "tok_ok", "ONCE", passengers=passengers_for(first.seats)
        ),
        services.bookings.confirm(
            bob, second.id, "tok_ok", "ONCE", passengers=passengers_for(second.seats)
        ),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, DiscountNotApplicable)]
    assert len(refused) == 1 and len([r for r in results if not isinstance(r, Exception)]) == 1
    await services.settlement.flush()
    assert sorted(payments.state.values()) == ["captured", "voided"]


async def test_cancelling_pays_back(
    services: Services, clock: FakeClock, payments: FakePayments
) -> None:
    ann, flight = await _setup(services, clock)
    captured = (await services.reservations.hold_seats(ann, flight.id, ["2A"])).hold
    booked = (
        await services.bookings.confirm(
            ann, captured.id, "tok_ok", passengers=passengers_for(captured.seats)
        )
    ).booking
    await services.settlement.flush()
    payments.capture_fails = True
    pending = (await services.reservations.hold_seats(ann, flight.id, ["2C"])).hold
    uncaptured = (
        await services.bookings.confirm(
            ann, pending.id, "tok_ok", passengers=passengers_for(pending.seats)
        )
    ).booking
    await services.settlement.flush()
    await services.bookings.cancel(ann, uncaptured.id)  # never captured: the hold is voided
    payments.capture_fails = False
    await services.bookings.cancel(ann, booked.id)
    assert payments.state[booked.payment_id or ""] == "refunded"
    assert payments.state[uncaptured.payment_id or ""] == "voided"
    assert (await services.bookings.get(ann, booked.id)).payment_status is PaymentStatus.REFUNDED
    assert await services.settlement.settle_due() == 0


async def test_concurrent_retries_authorize_and_capture_once(
    services: Services, clock: FakeClock, payments: FakePayments
) -> None:
    ann, flight = await _setup(services, clock)
    hold = (await services.reservations.hold_seats(ann, flight.id, ["15A"])).hold
    key = IdempotencyKey("pay-once", "p")
    results = await asyncio.gather(
        *(
            services.bookings.confirm(
                ann, hold.id, "tok_ok", None, key, passengers=passengers_for(hold.seats)
            )
            for _ in range(8)
        )
    )
    assert len({r.booking.id for r in results}) == 1
    assert len(payments.authorized) == 1
    await services.settlement.flush()
    assert [call for call in payments.calls if call[0] == "void"] == []
    assert payments.captured_total() == hold.quote.total.amount
