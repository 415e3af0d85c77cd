"""Bookings: confirm a live hold of the caller, list and cancel the caller's own.

How money and bookings stay in step (the provider is another process, reached over HTTP):
1. The price is read from the stored hold (and the discount code, if any).
2. The card is *authorized* for that amount, with an idempotency key made of the hold, the
   card token and the amount: a retry reaches the same authorization, never a second one.
   A decline or a provider failure stops here: no booking, the hold stays live.
3. One transaction takes the hold, writes the booking with the authorization id, books the
   seats and counts the discount. If it fails (hold gone, code exhausted), the
   authorization is voided: an authorization that is never captured charges nothing.
4. The booking is answered `confirmed` and its authorization is *captured* after the
   commit, off the request (services/settlement.py: the committing process at once, or any
   process's settlement round if that one dies or its capture fails); cancellations are
   voided or refunded the same way, each step chosen by what the provider's ledger says.
   So the traveller waits for one provider call, there is never a charge without a
   booking, and a booking without a charge only until its capture is made.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from uuid import UUID

import structlog

from lastseat.domain.bookings import (
    Booking,
    BookingStatus,
    PaymentStatus,
    is_reference,
    new_reference,
    typed_reference,
)
from lastseat.domain.discounts import DiscountNotApplicable
from lastseat.domain.errors import (
    DatabaseUnavailable,
    DomainError,
    FlightClosed,
    HoldGone,
    NotFound,
)
from lastseat.domain.events import seat_events
from lastseat.domain.flights import Flight, SeatStatus
from lastseat.domain.mail import MailKind
from lastseat.domain.passengers import Passenger, names_match, passengers_for_seats
from lastseat.domain.pricing import Quote
from lastseat.domain.requests import PAGE_SIZE
from lastseat.domain.users import User
from lastseat.services.catalog import Catalog
from lastseat.services.context import ServiceContext
from lastseat.services.discounts import as_seen_by, try_code
from lastseat.services.idempotency import earlier_use, first_use
from lastseat.services.mail import new_mail
from lastseat.services.mail import queue as queue_mail
from lastseat.services.ports import IdempotencyKey, PaymentGateway
from lastseat.services.settlement import Settlement
from lastseat.services.throttles import give_back_now, reserve_lookup

log = structlog.get_logger("lastseat.bookings")


def authorization_key(hold_id: UUID, token: str, quote: Quote, idem: IdempotencyKey | None) -> str:
    """The provider's idempotency key for this attempt's authorization.

    A retry with the same Idempotency-Key and body reaches the same authorization; any
    other attempt (no key, another key, another body) gets one of its own. An attempt that
    loses voids its own authorization, so it must never share the winner's: a double
    submit would void the money behind the booking that won, and a later confirm would be
    handed the voided authorization back.
    """
    attempt = f"{idem.key}:{idem.fingerprint}" if idem is not None else uuid.uuid4().hex
    digest = hashlib.sha256(attempt.encode()).hexdigest()[:32]
    return f"hold-{hold_id}-{token}-{quote.total.amount}-{digest}"


@dataclass(frozen=True, slots=True)
class BookingResult:
    booking: Booking
    replayed: bool


@dataclass(frozen=True, slots=True)
class FoundBooking:
    """A booking with its flight: found by manage-booking, or shown to its owner."""

    booking: Booking
    flight: Flight


# Compared against when no booking has the reference, so a miss costs what a hit does.
_NOBODY = (Passenger("", "", "\uffff"),)


class Bookings:
    def __init__(
        self,
        ctx: ServiceContext,
        catalog: Catalog,
        payments: PaymentGateway,
        settlement: Settlement,
    ) -> None:
        self._ctx = ctx
        self._catalog = catalog
        self._payments = payments
        self._settlement = settlement

    async def _replay(self, user: User, idem: IdempotencyKey | None) -> Booking | None:
        """The booking a request with this key already made, if any."""
        if idem is None:
            return None
        async with self._ctx.uow() as uow:
            earlier = await earlier_use(uow, user.id, idem)
            return None if earlier is None else await uow.bookings.get_owned(earlier, user.id)

    async def _price(
        self,
        user: User,
        hold_id: UUID,
        passengers: Sequence[Passenger],
        discount_code: str | None,
        address: str | None,
    ) -> tuple[Quote, tuple[Passenger, ...]]:
        """The price to charge, and the passengers checked against the hold's seats."""
        now = self._ctx.clock()
        async with self._ctx.uow() as uow:
            hold = await uow.holds.get_owned(hold_id, user.id)
        if hold is None:
            raise NotFound(f"hold {hold_id} not found")
        flight = await self._catalog.flight(hold.flight_id)
        flight.check_bookable(now)
        if not hold.is_live(now):
            raise HoldGone("the hold has expired, been released or already been booked")
        named = passengers_for_seats(hold.seats, passengers, flight.departs_at.date())
        if discount_code is None:
            return hold.quote, named
        quote = await try_code(self._ctx, hold.quote, flight, user, discount_code, hold_id, address)
        return quote, named

    async def confirm(
        self,
        user: User,
        hold_id: UUID,
        payment_token: str,
        discount_code: str | None = None,
        idem: IdempotencyKey | None = None,
        address: str | None = None,
        *,
        passengers: Sequence[Passenger],
    ) -> BookingResult:
        """Book the hold for `passengers`, exactly one per held seat."""
        try:
            quote, named = await self._price(user, hold_id, passengers, discount_code, address)
        except (HoldGone, FlightClosed):
            # A retry of a request that booked this hold (or a concurrent one that just
            # did) finds it taken, or its flight gone: the key's first use answers it. Looked
            # up only then, so a first attempt does not pay a read for the key it claims in
            # its transaction.
            replay = await self._replay(user, idem)
            if replay is None:
                raise
            return BookingResult(replay, replayed=True)
        authorization = await self._payments.authorize(
            payment_token, quote.total, authorization_key(hold_id, payment_token, quote, idem)
        )
        try:
            result = await self._book(user, hold_id, quote, named, authorization, idem)
        except DatabaseUnavailable:
            # The commit may have happened (a connection lost while committing): voiding now
            # could leave a booking with no money behind it. Left alone, the authorization
            # is captured by settlement if the booking exists, and lapses (charging nothing)
            # if it does not; a retry reaches the same authorization by its key.
            raise
        except DiscountNotApplicable as refused:  # used up meanwhile
            await self._void_quietly(authorization)
            raise as_seen_by(refused, user) from None
        except DomainError:
            await self._void_quietly(authorization)
            raise
        if result.replayed:
            if result.booking.payment_id != authorization:
                await self._void_quietly(authorization)
            return result
        self._settlement.booked(result.booking)
        return result

    async def _book(
        self,
        user: User,
        hold_id: UUID,
        quote: Quote,
        passengers: tuple[Passenger, ...],
        authorization: str,
        idem: IdempotencyKey | None,
    ) -> BookingResult:
        now = self._ctx.clock()
        booking_id = uuid.uuid4()
        async with self._ctx.uow(write=True) as uow:
            earlier = await first_use(uow, user.id, idem, booking_id, now)
            if earlier is not None:
                replay = await uow.bookings.get_owned(earlier, user.id)
                if replay is None:
                    raise NotFound("the booking this key created no longer exists")
                return BookingResult(replay, replayed=True)
            # The conditional update is the check: only the caller's live, active hold
            # can be taken; the same statement returns it.
            hold = await uow.holds.take_for_booking(hold_id, user.id, now)
            if hold is None:
                raise HoldGone("the hold has expired, been released or already been booked")
            # (a hold ends at departure at the latest, so this refuses only older holds)
            (await self._catalog.flight(hold.flight_id, uow)).check_bookable(now)
            booking = Booking(
                id=booking_id,
                reference=new_reference(),
                user_id=user.id,
                flight_id=hold.flight_id,
                seats=hold.seats,
                total=quote.total,
                status=BookingStatus.CONFIRMED,
                created_at=now,
                discount_code=quote.discount_code,
                discount=quote.discount.amount,
                payment_id=authorization,
                payment_status=PaymentStatus.AUTHORIZED,
                passengers=passengers,
            )
            if tuple(p.seat for p in passengers) != hold.seats:
                raise HoldGone("the hold changed while it was being booked")
            # The booking with its seats and passengers, the seat-map change, and the
            # ticket, which leaves through the outbox: written with the booking, sent later.
            booked = await uow.bookings.place(
                booking,
                hold_id,
                now,
                seat_events(hold.flight_id, list(hold.seats), SeatStatus.BOOKED),
                new_mail(self._ctx.settings.site_domain, MailKind.BOOKED, booking, user),
            )
            if len(booked) != len(hold.seats):
                raise HoldGone("some seats of the hold are no longer held")  # nothing kept
            if quote.discount_code is not None:
                # Counted in this transaction: the cap holds under any concurrency.
                await uow.discounts.redeem(
                    quote.discount_code, user.id, booking_id, quote.discount.amount, now
                )
            await uow.commit()
        self._ctx.seat_maps.changed(hold.flight_id)
        return BookingResult(booking, replayed=False)

    async def _void_quietly(self, authorization: str) -> None:
        with contextlib.suppress(DomainError):  # an authorization never captured lapses
            await self._payments.void(authorization, f"void-{authorization}")

    async def get(self, user: User, booking_id: UUID) -> Booking:
        async with self._ctx.uow() as uow:
            booking = await uow.bookings.get_owned(booking_id, user.id)
        if booking is None:
            raise NotFound(f"booking {booking_id} not found")
        return booking

    async def look_up(
        self, reference: str, family_name: str, address: str | None = None
    ) -> FoundBooking:
        """Manage-booking: the booking with this reference that has a passenger of this
        family name, without signing in. A guessing target, so every attempt is counted
        first (429 past a limit) and only a match gives its count back; a wrong reference
        and a wrong name are the same 404, after the same work."""
        reference = typed_reference(reference)
        throttles = await reserve_lookup(self._ctx, reference, address)
        booking = None
        if is_reference(reference):
            async with self._ctx.uow() as uow:
                booking = await uow.bookings.by_reference(reference)
        matched = names_match(family_name, booking.passengers if booking else _NOBODY)
        if booking is None or not matched:
            raise NotFound("no booking has this reference and family name")
        await give_back_now(self._ctx, throttles)
        return FoundBooking(booking, await self._catalog.flight(booking.flight_id))

    async def with_flights(self, bookings: Sequence[Booking]) -> list[FoundBooking]:
        """Each booking with its flight (from the catalog's cache: flights never change),
        for the views that show when the trip leaves."""
        return [FoundBooking(b, await self._catalog.flight(b.flight_id)) for b in bookings]

    async def list(self, user: User, limit: int = PAGE_SIZE, offset: int = 0) -> list[Booking]:
        async with self._ctx.uow() as uow:
            return await uow.bookings.list_owned(user.id, limit, offset)

    async def cancel(self, user: User, booking_id: UUID) -> Booking:
        """Cancel, free the seats, give the discount code's use back, then pay back (refund a
        capture, void an authorization). Closed from the cut-off before departure."""
        now = self._ctx.clock()
        async with self._ctx.uow(write=True) as uow:
            booking = await uow.bookings.get_owned(booking_id, user.id)
            if booking is None:
                raise NotFound(f"booking {booking_id} not found")
            if booking.status is BookingStatus.CONFIRMED:
                flight = await self._catalog.flight(booking.flight_id, uow)
                flight.check_cancellable(now, self._ctx.settings.cancellation_cutoff)
            if await uow.bookings.cancel(booking_id, now):
                freed = await uow.seats.free_booking(booking_id)
                await uow.events.append(
                    seat_events(booking.flight_id, freed, SeatStatus.AVAILABLE), now
                )
                # A cancelled booking used nothing up: the code's cap (and the customer's
                # one use) are free again, so throwaway bookings cannot exhaust a code.
                await uow.discounts.give_back(booking_id)
                await queue_mail(
                    uow,
                    self._ctx.settings.site_domain,
                    MailKind.CANCELLED,
                    booking,
                    user,
                    now,
                    refund=booking.total.amount,  # all of it: a void or a full refund
                )
                await uow.commit()
                self._ctx.seat_maps.changed(booking.flight_id)
        cancelled = replace(booking, status=BookingStatus.CANCELLED)
        if cancelled.payment_status in (PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED):
            # pays back now if the provider answers, else settlement does later; what is
            # paid back (void or refund) is what the provider's ledger says, not ours
            await self._settlement.settle(cancelled)
        return cancelled
