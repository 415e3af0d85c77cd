"""Bookings on PostgreSQL: a booking, its seats and its passengers written in one statement
(one round trip instead of three, inside the confirm's transaction)."""

from __future__ import annotations

from uuid import UUID

from lastseat.adapters.db.repositories.bookings import SqlBookings
from lastseat.adapters.db.repositories.postgres import INSERT_BOOKING, json_text, naive_utc
from lastseat.domain.bookings import Booking

# The sibling inserts see the same snapshot; the foreign keys to the booking are checked
# at the statement's end, when its row is there. (S608: the text spliced in is postgres.py's
# constant SQL, never a value.)
INSERT_BOOKING_WITH_SEATS_AND_PASSENGERS = (
    f"WITH booking AS ({INSERT_BOOKING}), live_seats AS ("  # noqa: S608
    " INSERT INTO booking_seats (booking_id, seat, flight_id, active)"
    " SELECT $1, seat, $4, true FROM unnest($15::varchar[]) AS seat"
    ")"
    " INSERT INTO booking_passengers"
    " (booking_id, seat, given_name, family_name, date_of_birth, type)"
    " SELECT $1, * FROM unnest($16::varchar[], $17::varchar[], $18::varchar[], $19::date[],"
    " $20::varchar[])"
)


class PgBookings(SqlBookings):
    async def add(self, booking: Booking, hold_id: UUID) -> None:
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
        )
        await self._conn.exec_driver_sql(INSERT_BOOKING_WITH_SEATS_AND_PASSENGERS, args)
