"""Bookings on PostgreSQL: a booking placed in one statement (one round trip instead of
six, inside the confirm's transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from lastseat.adapters.db.repositories.bookings import SqlBookings
from lastseat.adapters.db.repositories.postgres import (
    BOOK_SEATS_OF_BOOKING,
    INSERT_BOOKING,
    DriverSql,
    json_text,
    naive_utc,
)
from lastseat.domain.bookings import Booking
from lastseat.domain.events import SeatEvent
from lastseat.domain.mail import NewMail

# A booking placed in one statement: the booking, its seats and passengers, the hold's
# seats booked, the seat events and the ticket in the outbox ($27 now, as the portable
# steps have it; $10 is the booking's own time). The sibling statements see
# the same snapshot; the foreign keys to the booking are checked at the statement's end,
# when its row is there. (S608: the text spliced in is postgres.py's constant SQL, never a
# value.)
PLACE_BOOKING = (
    f"WITH booking AS ({INSERT_BOOKING}), live_seats AS ("  # noqa: S608
    " INSERT INTO booking_seats (booking_id, seat, flight_id, active)"
    " SELECT $1, seat, $4, true FROM unnest($15::varchar[]) AS seat"
    "), named AS ("
    " INSERT INTO booking_passengers"
    " (booking_id, seat, given_name, family_name, date_of_birth, type)"
    " SELECT $1, * FROM unnest($16::varchar[], $17::varchar[], $18::varchar[], $19::date[],"
    " $20::varchar[])"
    f"), booked AS ({BOOK_SEATS_OF_BOOKING}), changes AS ("
    " INSERT INTO events (flight_id, seat, status, created_at)"
    " SELECT $4, change.seat, change.status, $27"
    " FROM unnest($21::varchar[], $22::varchar[]) WITH ORDINALITY AS change(seat, status, n)"
    " ORDER BY change.n"
    "), ticket AS ("
    " INSERT INTO mail_outbox (message_id, kind, booking_id, recipient, refund_amount,"
    " created_at) VALUES ($23, $24, $1, $25, $26, $27)"
    ") SELECT seat FROM booked"
)


class PgBookings(DriverSql, SqlBookings):
    async def place(
        self,
        booking: Booking,
        hold_id: UUID,
        now: datetime,
        changes: Sequence[SeatEvent],
        ticket: NewMail,
    ) -> list[str]:
        passengers = booking.passengers
        args = (
            booking.id,
            booking.reference,
            booking.user_id,
            booking.flight_id,
            hold_id,
            json_text(list(booking.seats)),
            booking.total.amount,
            booking.total.currency,
            booking.status.value,
            naive_utc(booking.created_at),
            booking.discount_code,
            booking.discount,
            booking.payment_id,
            None if booking.payment_status is None else booking.payment_status.value,
            list(booking.seats),
            [p.seat for p in passengers],
            [p.given_name for p in passengers],
            [p.family_name for p in passengers],
            [p.date_of_birth for p in passengers],
            [p.type.value for p in passengers],
            [change.seat for change in changes],
            [change.status.value for change in changes],
            ticket.message_id,
            ticket.kind.value,
            ticket.recipient,
            ticket.refund,
            naive_utc(now),
        )
        return [row[0] for row in await self._sql.rows(PLACE_BOOKING, args)]
