"""Bookings: written in the transaction that takes their hold, listed and cancelled by their
owner, and settled (their money brought where the booking wants it) by settlement rounds."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lastseat.adapters.db.repositories.binds import NOW, OWNER, ROW_ID
from lastseat.adapters.db.repositories.inventory import SqlEvents, SqlSeats
from lastseat.adapters.db.repositories.leases import lease_due
from lastseat.adapters.db.repositories.mail import SqlMailOutbox
from lastseat.adapters.db.tables import booking_passengers, booking_seats, bookings
from lastseat.domain.bookings import Booking, BookingStatus, PaymentStatus
from lastseat.domain.events import SeatEvent
from lastseat.domain.mail import NewMail
from lastseat.domain.money import Money
from lastseat.domain.passengers import Passenger, PassengerType

_BOOKING_COLUMNS = (
    bookings.c.id,
    bookings.c.reference,
    bookings.c.user_id,
    bookings.c.flight_id,
    bookings.c.seats,
    bookings.c.total_amount,
    bookings.c.currency,
    bookings.c.status,
    bookings.c.created_at,
    bookings.c.discount_code,
    bookings.c.discount_amount,
    bookings.c.payment_id,
    bookings.c.payment_status,
)
_INSERT_BOOKING = bookings.insert()
_INSERT_BOOKING_SEAT = booking_seats.insert()
_INSERT_PASSENGER = booking_passengers.insert()
_PASSENGER_COLUMNS = (
    booking_passengers.c.seat,
    booking_passengers.c.given_name,
    booking_passengers.c.family_name,
    booking_passengers.c.date_of_birth,
    booking_passengers.c.type,
)
_OWNED_BOOKING = sa.select(*_BOOKING_COLUMNS).where(
    bookings.c.id == ROW_ID, bookings.c.user_id == OWNER
)
_CANCEL_BOOKING = (
    bookings.update()
    .where(bookings.c.id == ROW_ID, bookings.c.status == BookingStatus.CONFIRMED.value)
    # A cancellation is a new thing to settle: whatever a capture's tries came to, paying
    # back gets its own (a booking stuck capturing must not stay stuck refunding).
    .values(
        status=BookingStatus.CANCELLED.value,
        cancelled_at=NOW,
        settle_attempts=0,
        settle_after=None,
        settle_error=None,
    )
    .returning(bookings.c.id)
)
_RETIRE_BOOKING_SEATS = (
    booking_seats.update()
    .where(booking_seats.c.booking_id == sa.bindparam("booking", type_=sa.Uuid()))
    .values(active=False)
)
# Money not yet where the booking wants it: a confirmed booking not captured, a cancelled
# one not voided or refunded (domain/settlement.py).
_UNSETTLED = sa.or_(
    sa.and_(
        bookings.c.status == BookingStatus.CONFIRMED.value,
        bookings.c.payment_status == PaymentStatus.AUTHORIZED.value,
    ),
    sa.and_(
        bookings.c.status == BookingStatus.CANCELLED.value,
        bookings.c.payment_status.in_(
            [PaymentStatus.AUTHORIZED.value, PaymentStatus.CAPTURED.value]
        ),
    ),
)


def _booking(row: Sequence[Any]) -> Booking:
    return Booking(
        id=row[0],
        reference=row[1],
        user_id=row[2],
        flight_id=row[3],
        seats=tuple(row[4]),
        total=Money(int(row[5]), row[6]),
        status=BookingStatus(row[7]),
        created_at=row[8],
        discount_code=row[9],
        discount=int(row[10]),
        payment_id=row[11],
        payment_status=None if row[12] is None else PaymentStatus(row[12]),
    )


def passenger_from(row: Sequence[Any]) -> Passenger:
    return Passenger(row[0], row[1], row[2], row[3], PassengerType(row[4]))


class SqlBookings:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def place(
        self,
        booking: Booking,
        hold_id: UUID,
        now: datetime,
        changes: Sequence[SeatEvent],
        ticket: NewMail,
    ) -> list[str]:
        """The booking added, the hold's seats booked, `changes` appended, `ticket` in the
        outbox; the seats booked. PostgreSQL does it in one statement (pg_bookings.py)."""
        await self.add(booking, hold_id)
        booked = await SqlSeats(self._conn).book(hold_id, booking.id, now)
        await SqlEvents(self._conn).append(changes, now)
        await SqlMailOutbox(self._conn).add(ticket, now)
        return booked

    async def add(self, booking: Booking, hold_id: UUID) -> None:
        """Write the booking with its seats, recorded as live (the unique index refuses any
        seat sold twice), and its passengers."""
        await self._conn.execute(
            _INSERT_BOOKING,
            {
                "id": booking.id,
                "reference": booking.reference,
                "user_id": booking.user_id,
                "flight_id": booking.flight_id,
                "hold_id": hold_id,
                "seats": list(booking.seats),
                "total_amount": booking.total.amount,
                "currency": booking.total.currency,
                "status": booking.status.value,
                "created_at": booking.created_at,
                "discount_code": booking.discount_code,
                "discount_amount": booking.discount,
                "payment_id": booking.payment_id,
                "payment_status": (
                    None if booking.payment_status is None else booking.payment_status.value
                ),
            },
        )
        await self._conn.execute(
            _INSERT_BOOKING_SEAT,
            [
                {
                    "booking_id": booking.id,
                    "seat": seat,
                    "flight_id": booking.flight_id,
                    "active": True,
                }
                for seat in booking.seats
            ],
        )
        if booking.passengers:
            await self._conn.execute(
                _INSERT_PASSENGER,
                [
                    {
                        "booking_id": booking.id,
                        "seat": p.seat,
                        "given_name": p.given_name,
                        "family_name": p.family_name,
                        "date_of_birth": p.date_of_birth,
                        "type": p.type.value,
                    }
                    for p in booking.passengers
                ],
            )

    async def _with_passengers(self, found: list[Booking]) -> list[Booking]:
        """The bookings with their passengers, in each booking's seat order."""
        if not found:
            return found
        rows = await self._conn.execute(
            sa.select(booking_passengers.c.booking_id, *_PASSENGER_COLUMNS).where(
                booking_passengers.c.booking_id.in_([b.id for b in found])
            )
        )
        by_booking: dict[UUID, dict[str, Passenger]] = {}
        for row in rows:
            by_booking.setdefault(row[0], {})[row[1]] = passenger_from(row[1:])
        named = []
        for booking in found:
            seats = by_booking.get(booking.id, {})
            passengers = tuple(seats[s] for s in booking.seats if s in seats)
            named.append(replace(booking, passengers=passengers))
        return named

    async def get_owned(self, booking_id: UUID, user_id: UUID) -> Booking | None:
        params = {"row_id": booking_id, "owner": user_id}
        row = (await self._conn.execute(_OWNED_BOOKING, params)).first()
        return None if row is None else (await self._with_passengers([_booking(row)]))[0]

    async def by_reference(self, reference: str) -> Booking | None:
        row = (
            await self._conn.execute(
                sa.select(*_BOOKING_COLUMNS).where(bookings.c.reference == reference)
            )
        ).first()
        return None if row is None else (await self._with_passengers([_booking(row)]))[0]

    async def list_owned(self, user_id: UUID, limit: int, offset: int) -> list[Booking]:
        rows = await self._conn.execute(
            sa.select(*_BOOKING_COLUMNS)
            .where(bookings.c.user_id == user_id)
            .order_by(bookings.c.created_at.desc(), bookings.c.id)
            .limit(limit)
            .offset(offset)
        )
        return await self._with_passengers([_booking(row) for row in rows])

    async def cancel(self, booking_id: UUID, now: datetime) -> bool:
        rows = await self._conn.execute(_CANCEL_BOOKING, {"row_id": booking_id, "now": now})
        if rows.first() is None:
            return False
        await self._conn.execute(_RETIRE_BOOKING_SEATS, {"booking": booking_id})
        return True

    async def mark_captured(self, booking_ids: Collection[UUID]) -> None:
        await self._conn.execute(
            bookings.update()
            .where(
                bookings.c.id.in_(list(booking_ids)),
                bookings.c.payment_status == PaymentStatus.AUTHORIZED.value,
            )
            .values(payment_status=PaymentStatus.CAPTURED.value)
        )

    async def claim_unsettled(
        self,
        now: datetime,
        lease_until: datetime,
        limit: int,
        max_attempts: int,
        made_before: datetime,
    ) -> list[Booking]:
        """The oldest unsettled bookings made by `made_before` that are due, leased to
        this process until `lease_until` (rows another process is working on are skipped,
        not waited for)."""
        ids = await lease_due(
            self._conn,
            bookings,
            sa.and_(_UNSETTLED, bookings.c.created_at <= made_before),
            bookings.c.settle_attempts,
            bookings.c.settle_after,
            [bookings.c.created_at, bookings.c.id],
            now=now,
            lease_until=lease_until,
            limit=limit,
            max_attempts=max_attempts,
        )
        if not ids:
            return []
        rows = await self._conn.execute(
            sa.select(*_BOOKING_COLUMNS)
            .where(bookings.c.id.in_(ids))
            .order_by(bookings.c.created_at, bookings.c.id)
        )
        return [_booking(row) for row in rows]

    async def settled(self, booking_id: UUID, status: PaymentStatus) -> None:
        await self._conn.execute(
            bookings.update()
            .where(bookings.c.id == booking_id)
            .values(
                payment_status=status.value, settle_attempts=0, settle_after=None, settle_error=None
            )
        )

    async def settle_failed(self, booking_id: UUID, error: str, give_up_at: int | None) -> int:
        """Count a failed attempt (or jump to `give_up_at`, which is past every count a
        row being settled can have); return the attempts so far."""
        attempts = bookings.c.settle_attempts + 1 if give_up_at is None else give_up_at
        row = await self._conn.execute(
            bookings.update()
            .where(bookings.c.id == booking_id)
            .values(settle_attempts=attempts, settle_error=error[:64])
            .returning(bookings.c.settle_attempts)
        )
        return int(row.scalar_one())

    async def settle_later(self, booking_id: UUID, at: datetime) -> None:
        await self._conn.execute(
            bookings.update().where(bookings.c.id == booking_id).values(settle_after=at)
        )

    async def stuck(self, max_attempts: int, limit: int) -> list[tuple[Booking, int, str | None]]:
        """Unsettled bookings past their attempts, oldest first, with the last failure."""
        rows = await self._conn.execute(
            sa.select(*_BOOKING_COLUMNS, bookings.c.settle_attempts, bookings.c.settle_error)
            .where(_UNSETTLED, bookings.c.settle_attempts >= max_attempts)
            .order_by(bookings.c.created_at, bookings.c.id)
            .limit(limit)
        )
        width = len(_BOOKING_COLUMNS)
        return [(_booking(row), int(row[width]), row[width + 1]) for row in rows]

    async def count_stuck(self, max_attempts: int) -> int:
        result = await self._conn.execute(
            sa.select(sa.func.count()).where(_UNSETTLED, bookings.c.settle_attempts >= max_attempts)
        )
        return int(result.scalar_one())

    async def retry_settlement(self, booking_id: UUID) -> bool:
        """Give a stuck booking its attempts back (an operator fixed the cause)."""
        result = await self._conn.execute(
            bookings.update()
            .where(bookings.c.id == booking_id, _UNSETTLED)
            .values(settle_attempts=0, settle_after=None)
            .returning(bookings.c.id)
        )
        return result.first() is not None

    async def revenue(self, flight_id: int) -> tuple[int, int]:
        """Confirmed bookings of the flight and the sum they were charged."""
        row = (
            await self._conn.execute(
                sa.select(
                    sa.func.count(), sa.func.coalesce(sa.func.sum(bookings.c.total_amount), 0)
                ).where(
                    bookings.c.flight_id == flight_id,
                    bookings.c.status == BookingStatus.CONFIRMED.value,
                )
            )
        ).one()
        return int(row[0]), int(row[1])

    async def manifest(self, flight_id: int) -> list[tuple[str, str, UUID, Passenger | None]]:
        """Each live booked seat: its booking's reference and owner, and its passenger (none
        for a booking made before passengers were named)."""
        named = sa.and_(
            booking_passengers.c.booking_id == booking_seats.c.booking_id,
            booking_passengers.c.seat == booking_seats.c.seat,
        )
        rows = await self._conn.execute(
            sa.select(
                booking_seats.c.seat,
                bookings.c.reference,
                bookings.c.user_id,
                *_PASSENGER_COLUMNS,
            )
            .select_from(
                booking_seats.join(bookings, bookings.c.id == booking_seats.c.booking_id).outerjoin(
                    booking_passengers, named
                )
            )
            .where(booking_seats.c.flight_id == flight_id, booking_seats.c.active)
        )
        return [(r[0], r[1], r[2], None if r[3] is None else passenger_from(r[3:])) for r in rows]
