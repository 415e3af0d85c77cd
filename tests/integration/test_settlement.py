"""Settlement on SQLite and PostgreSQL: driven by the provider's ledger, oldest first, each
failing row retried later and never in the way of the rows behind it, and stuck rows left
for an operator."""

from __future__ import annotations

import asyncio

import pytest

from lastseat.adapters.db.database import engine_of
from lastseat.adapters.db.unit_of_work import SqlUnitOfWorkFactory
from lastseat.bootstrap import Services
from lastseat.domain.bookings import Booking, BookingStatus, PaymentStatus
from lastseat.domain.errors import DatabaseUnavailable, DomainError
from lastseat.domain.flights import Flight
from lastseat.domain.holds import Hold
from lastseat.domain.users import User
from lastseat.services.bookings import Bookings
from lastseat.services.context import ServiceContext
from lastseat.services.ports import IdempotencyKey, UnitOfWork, UnitOfWorkFactory
from lastseat.services.settlement import Settlement
from tests.support.clock import FakeClock
from tests.support.flights import new_flight
from tests.support.passengers import passengers_for
from tests.support.payments import FakePayments


async def _setup(services: Services, clock: FakeClock) -> tuple[User, Flight]:
    user = await services.accounts.signup("ann@example.com", "ann-password-1")
    return user, await services.catalog.create_flight(new_flight(clock()))


async def _book(
    services: Services, clock: FakeClock, user: User, flight: Flight, seat: str
) -> Booking:
    """A booking whose own process has tried its capture, now left to settlement rounds."""
    hold = (await services.reservations.hold_seats(user, flight.id, [seat])).hold
    booking = (
        await services.bookings.confirm(
            user, hold.id, "tok_ok", passengers=passengers_for(hold.seats)
        )
    ).booking
    await services.settlement.flush()
    # past the while a new booking is left to the process that made it
    clock.advance(seconds=services.settings.payments_capture_grace_seconds)
    return booking


async def test_a_capture_never_written_down_is_refunded_when_the_booking_is_cancelled(
    services: Services, clock: FakeClock, payments: FakePayments
) -> None:
    """The provider captured, but the record of it was lost (the process died in between,
    or the database was restarting): the cancellation asks the provider and refunds, where
    a void (what our own record suggested) would be refused forever."""
    ann, flight = await _setup(services, clock)
    payments.capture_reply_lost = True  # captured at the provider; we never learn it
    booking = await _book(services, clock, ann, flight, "12A")
    payments.capture_reply_lost = False
    assert (await services.bookings.get(ann, booking.id)).payment_status is PaymentStatus.AUTHORIZED
    assert payments.state[str(booking.payment_id)] == "captured"
    cancelled = await services.bookings.cancel(ann, booking.id)
    assert cancelled.status is BookingStatus.CANCELLED
    assert payments.state[str(booking.payment_id)] == "refunded"
    stored = await services.bookings.get(ann, booking.id)
    assert stored.payment_status is PaymentStatus.REFUNDED
    assert not [call for call in payments.calls if call[0] == "void"]
    assert await services.settlement.settle_due() == 0  # nothing left to do


@pytest.mark.settings(payments_settle_batch=10)
async def test_rows_that_cannot_settle_do_not_stop_a_good_one_behind_them(
    services: Services, clock: FakeClock, payments: FakePayments
) -> None:
    ann, flight = await _setup(services, clock)
    payments.capture_fails = True  # every capture is left to settlement
    seats = flight.layout.seat_names()
    failing = []
    for seat in seats[:15]:  # more than a batch, all older than the good one
        failing.append(await _book(services, clock, ann, flight, seat))
        clock.advance(seconds=1)
    good = await _book(services, clock, ann, flight, seats[15])
    payments.capture_fails = False
    payments.failing = {str(b.payment_id) for b in failing}
    assert await services.settlement.settle_due() == 0  # ten failing rows: put back
    assert await services.settlement.settle_due() == 1  # five more, then the good one
    assert (await services.bookings.get(ann, good.id)).payment_status is PaymentStatus.CAPTURED
    # the failing rows wait their delay: the next round asks the provider nothing
    calls = len(payments.calls)
    assert await services.settlement.settle_due() == 0
    assert len(payments.calls) == calls
    clock.advance(seconds=services.settings.payments_settle_retry_seconds)
    payments.failing.clear()
    assert await services.settlement.settle_due() == 10  # oldest first, one batch
    assert await services.settlement.settle_due() == 5


@pytest.mark.settings(payments_settle_max_attempts=3)
async def test_a_row_that_keeps_failing_is_stuck_and_listed_until_an_operator_retries(
    services: Services, clock: FakeClock, payments: FakePayments
) -> None:
    ann, flight = await _setup(services, clock)
    payments.capture_fails = True
    booking = await _book(services, clock, ann, flight, "14C")
    rules = services.settings.settle_retries
    for attempt in range(1, 4):
        assert await services.settlement.settle_due() == 0
        clock.advance(seconds=rules.delay(attempt).total_seconds())
    [stuck] = await services.settlement.stuck()
    assert stuck.booking.id == booking.id and stuck.attempts == 3
    assert stuck.last_error == "payment-provider-error"
    assert services.settlement.stuck_count == 1
    payments.capture_fails = False
    calls = len(payments.calls)
    clock.advance(hours=1)
    assert await services.settlement.settle_due() == 0  # stuck: no longer tried
    assert len(payments.calls) == calls
    await services.settlement.retry(booking.id)
    assert await services.settlement.settle_due() == 1
    assert await services.settlement.stuck() == [] and services.settlement.stuck_count == 0
    assert (await services.bookings.get(ann, booking.id)).payment_status is PaymentStatus.CAPTURED


async def test_a_confirmed_booking_whose_money_is_gone_goes_to_an_operator_at_once(
    services: Services, clock: FakeClock, payments: FakePayments
) -> None:
    ann, flight = await _setup(services, clock)
    payments.capture_fails = True
    booking = await _book(services, clock, ann, flight, "15D")
    payments.state[str(booking.payment_id)] = "voided"  # voided at the provider by someone
    assert await services.settlement.settle_due() == 0
    [stuck] = await services.settlement.stuck()
    assert stuck.booking.id == booking.id and stuck.last_error == "provider-voided"


class _CommitsThenLosesTheReply:
    """A unit-of-work factory whose next commit happens, but whose caller is told the
    database went away (a connection lost while COMMIT was answered)."""

    def __init__(self, inner: UnitOfWorkFactory) -> None:
        self._inner = inner
        self.lose_next = False

    def __call__(self, write: bool = False, single: bool = False) -> UnitOfWork:
        uow = self._inner(write, single)
        factory = self

        class Lossy:
            def __getattr__(self, name: str) -> object:
                return getattr(uow, name)

            async def __aenter__(self) -> Lossy:
                await uow.__aenter__()
                return self

            async def __aexit__(self, *exc: object) -> None:
                await uow.__aexit__(*exc)  # type: ignore[arg-type]

            async def commit(self) -> None:
                await uow.commit()
                if factory.lose_next:
                    factory.lose_next = False
                    raise DatabaseUnavailable("the database connection was lost")

        return Lossy()  # type: ignore[return-value]


async def test_a_booking_whose_commit_answer_was_lost_keeps_its_money(
    services: Services, clock: FakeClock, payments: FakePayments
) -> None:
    ann, flight = await _setup(services, clock)
    hold = (await services.reservations.hold_seats(ann, flight.id, ["16A"])).hold
    lossy = _CommitsThenLosesTheReply(SqlUnitOfWorkFactory(engine_of(services.database)))
    ctx = ServiceContext(lossy, services.settings, clock)
    settlement = Settlement(ctx, payments)
    bookings = Bookings(ctx, services.catalog, payments, settlement)
    key = IdempotencyKey("checkout-1", "body-1")
    lossy.lose_next = True
    with pytest.raises(DatabaseUnavailable):
        await bookings.confirm(
            ann, hold.id, "tok_ok", idem=key, passengers=passengers_for(hold.seats)
        )
    # the booking committed; its authorization was not voided on a guess
    assert not [call for call in payments.calls if call[0] == "void"]
    retried = await bookings.confirm(
        ann, hold.id, "tok_ok", idem=key, passengers=passengers_for(hold.seats)
    )  # the client retries
    assert retried.replayed and retried.booking.status is BookingStatus.CONFIRMED
    # No process knew it committed, so none captured it at once: a round does, once the
    # booking is past the grace given to the process that made it.
    assert await settlement.settle_due() == 0
    clock.advance(seconds=services.settings.payments_capture_grace_seconds)
    await settlement.settle_due()
    assert payments.state[str(retried.booking.payment_id)] == "captured"
    stored = await services.bookings.get(ann, retried.booking.id)
    assert stored.payment_status is PaymentStatus.CAPTURED


async def test_a_double_submit_never_voids_the_money_behind_the_booking_that_won(
    services: Services, clock: FakeClock, payments: FakePayments
) -> None:
    ann, flight = await _setup(services, clock)
    hold = (await services.reservations.hold_seats(ann, flight.id, ["17A"])).hold
    payments.authorize_delay = 0.1  # both submits get as far as an authorization
    payments.capture_delay = 0.05  # and the winner's capture is still on its way

    async def submit() -> Booking | str:
        try:
            return (
                await services.bookings.confirm(
                    ann, hold.id, "tok_ok", passengers=passengers_for(hold.seats)
                )
            ).booking
        except DomainError as refused:
            return refused.code

    outcomes = await asyncio.gather(submit(), submit())  # a double click, no key
    [won] = [o for o in outcomes if isinstance(o, Booking)]
    assert [o for o in outcomes if isinstance(o, str)] == ["hold-gone"]
    await services.settlement.flush()
    assert payments.state[str(won.payment_id)] == "captured"
    voided = [auth for auth, state in payments.state.items() if state == "voided"]
    assert voided and won.payment_id not in voided  # the loser voided its own


async def test_a_confirm_after_a_lost_race_is_not_handed_a_voided_authorization(
    services: Services, clock: FakeClock, payments: FakePayments
) -> None:
    ann, flight = await _setup(services, clock)
    first = (await services.reservations.hold_seats(ann, flight.id, ["18A"])).hold
    second = (await services.reservations.hold_seats(ann, flight.id, ["18B"])).hold

    async def submit(hold: Hold, body: str) -> str:
        key = IdempotencyKey("same-key", body)
        try:
            await services.bookings.confirm(
                ann, hold.id, "tok_ok", idem=key, passengers=passengers_for(hold.seats)
            )
        except DomainError as refused:
            return refused.code
        return "booked"

    # one Idempotency-Key, two bodies, at once: one books, the other is refused and voids
    payments.authorize_delay = 0.1  # (both get as far as an authorization)
    outcomes = await asyncio.gather(submit(first, "a"), submit(second, "b"))
    assert sorted(outcomes) == ["booked", "idempotency-key-reused"]
    loser = second if outcomes[0] == "booked" else first
    assert "voided" in payments.state.values()
    payments.authorize_delay = 0
    again = (
        await services.bookings.confirm(
            ann, loser.id, "tok_ok", passengers=passengers_for(loser.seats)
        )
    ).booking
    await services.settlement.flush()
    assert payments.state[str(again.payment_id)] == "captured"
    assert await services.settlement.stuck() == []


@pytest.mark.settings(payments_settle_max_attempts=2)
async def test_cancelling_a_booking_stuck_capturing_gives_the_refund_tries_of_its_own(
    services: Services, clock: FakeClock, payments: FakePayments
) -> None:
    ann, flight = await _setup(services, clock)
    payments.capture_reply_lost = True  # captured at the provider, unknown to us
    booking = await _book(services, clock, ann, flight, "19A")
    payments.capture_reply_lost = False
    payments.failing = {str(booking.payment_id)}
    payments.state[str(booking.payment_id)] = "authorized"  # the capture is yet to happen
    for _ in range(2):
        await services.settlement.settle_due()
        clock.advance(minutes=10)
    assert [s.booking.id for s in await services.settlement.stuck()] == [booking.id]
    payments.failing.clear()
    payments.state[str(booking.payment_id)] = "captured"  # the provider caught up
    payments.failing = {str(booking.payment_id)}
    await services.bookings.cancel(ann, booking.id)  # its refund fails once, at once
    payments.failing.clear()
    clock.advance(minutes=10)
    assert await services.settlement.settle_due() == 1
    assert payments.state[str(booking.payment_id)] == "refunded"
