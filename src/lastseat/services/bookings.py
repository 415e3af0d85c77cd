"""Bookings: confirm a live hold of the caller, list and cancel the caller's own."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from uuid import UUID

from lastseat.domain.bookings import Booking, BookingStatus, new_reference
from lastseat.domain.errors import HoldGone, NotFound
from lastseat.domain.events import seat_events
from lastseat.domain.flights import SeatStatus
from lastseat.domain.users import User
from lastseat.services.catalog import Catalog
from lastseat.services.context import ServiceContext
from lastseat.services.discounts import apply_code
from lastseat.services.idempotency import first_use
from lastseat.services.ports import IdempotencyKey, PaymentGateway


@dataclass(frozen=True, slots=True)
class BookingResult:
    booking: Booking
    replayed: bool


class Bookings:
    def __init__(self, ctx: ServiceContext, catalog: Catalog, payments: PaymentGateway) -> None:
        self._ctx = ctx
        self._catalog = catalog
        self._payments = payments

    async def confirm(
        self,
        user: User,
        hold_id: UUID,
        payment_token: str,
        discount_code: str | None = None,
        idem: IdempotencyKey | None = None,
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
                if await uow.holds.get_owned(hold_id, user.id) is None:
                    raise NotFound(f"hold {hold_id} not found")
                raise HoldGone("the hold has expired, been released or already been booked")
            # The price is the quote stored with the hold, less the code's discount if it
            # applies: nothing the client sends can change it.
            quote = hold.quote
            if discount_code is not None:
                flight = await self._catalog.flight(hold.flight_id)
                quote = await apply_code(uow, quote, flight, user, discount_code, now)
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
            )
            await uow.bookings.add(booking, hold_id)
            booked = await uow.seats.book(hold_id, booking_id, now)
            if len(booked) != len(hold.seats):
                raise HoldGone("some seats of the hold are no longer held")
            await uow.bookings.add_seats(booking)
            if quote.discount_code is not None:
                # Counted in this transaction: the cap holds under any concurrency.
                await uow.discounts.redeem(
                    quote.discount_code, user.id, booking_id, quote.discount.amount, now
                )
            # A decline raises here, so the transaction rolls back and the hold stays live.
            await self._payments.charge(payment_token, booking.total, f"booking-{booking_id}")
            await uow.events.append(
                seat_events(hold.flight_id, list(hold.seats), SeatStatus.BOOKED), now
            )
            await uow.commit()
        self._ctx.seat_maps.changed(hold.flight_id)
        return BookingResult(booking, replayed=False)

    async def get(self, user: User, booking_id: UUID) -> Booking:
        async with self._ctx.uow() as uow:
            booking = await uow.bookings.get_owned(booking_id, user.id)
        if booking is None:
            raise NotFound(f"booking {booking_id} not found")
        return booking

    async def list(self, user: User, limit: int = 50, offset: int = 0) -> list[Booking]:
        async with self._ctx.uow() as uow:
            return await uow.bookings.list_owned(user.id, limit, offset)

    async def cancel(self, user: User, booking_id: UUID) -> Booking:
        now = self._ctx.clock()
        async with self._ctx.uow(write=True) as uow:
            booking = await uow.bookings.get_owned(booking_id, user.id)
            if booking is None:
                raise NotFound(f"booking {booking_id} not found")
            if await uow.bookings.cancel(booking_id, now):
                freed = await uow.seats.free_booking(booking_id)
                await uow.events.append(
                    seat_events(booking.flight_id, freed, SeatStatus.AVAILABLE), now
                )
                await uow.commit()
                self._ctx.seat_maps.changed(booking.flight_id)
        return Booking(
            id=booking.id,
            reference=booking.reference,
            user_id=booking.user_id,
            flight_id=booking.flight_id,
            seats=booking.seats,
            total=booking.total,
            status=BookingStatus.CANCELLED,
            created_at=booking.created_at,
        )
