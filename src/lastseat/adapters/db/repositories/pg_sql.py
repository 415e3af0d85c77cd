"""PostgreSQL text of the statements on the booking hot path, sent with `exec_driver_sql`.

SQLAlchemy's statement layer costs several times the database work for these small
statements (a Core insert ~430 us against ~120 us as driver SQL, measured in bench/), so
on PostgreSQL the repositories send this text as written. Each statement has a Core twin
in its repository, used on SQLite; the integration tests run both.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson


def naive_utc(moment: datetime) -> datetime:
    """Timestamp columns hold naive UTC (see tables.UTCDateTime)."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


USER_BY_HASH = (
    "SELECT users.id, users.email, users.role FROM tokens JOIN users ON users.id = tokens.user_id"
    " WHERE tokens.token_hash = $1 AND tokens.revoked_at IS NULL AND tokens.expires_at > $2"
)
INSERT_HOLD = (
    "INSERT INTO holds (id, user_id, flight_id, seats, quote, status, created_at, expires_at,"
    " client_address) VALUES ($1, $2, $3, $4::json, $5::json, $6, $7, $8, $9)"
)
# Lock the candidate rows in one fixed order, so overlapping holds cannot deadlock.
HOLD_SEATS = (
    "UPDATE seats SET status = 'held', hold_id = $3, held_until = $5, booking_id = NULL"
    " WHERE flight_id = $1 AND seat IN ("
    "  SELECT seat FROM seats WHERE flight_id = $1 AND seat = ANY($2::varchar[])"
    "   AND (status = 'available' OR (status = 'held' AND held_until <= $4))"
    "  ORDER BY seat FOR UPDATE)"
    " RETURNING seat"
)
# A flight's events are appended under a per-flight transaction lock, so their ids are
# also their commit order: a watcher reading "id > last" can never skip a late commit.
INSERT_EVENT = (
    "INSERT INTO events (flight_id, seat, status, created_at)"
    " SELECT $1, $2, $3, $4 FROM (SELECT pg_advisory_xact_lock(7345, $1)) AS serialized"
)
# One transaction at a time places holds for a customer, and for a client address (the
# first number of each lock is the kind of thing locked, the second the thing).
LOCK_CUSTOMER_HOLDS = "SELECT pg_advisory_xact_lock(7346, hashtext($1))"
LOCK_ADDRESS_HOLDS = "SELECT pg_advisory_xact_lock(7347, hashtext($1))"
TAKE_HOLD_FOR_BOOKING = (
    "UPDATE holds SET status = 'booked'"
    " WHERE id = $1 AND user_id = $2 AND status = 'active' AND expires_at > $3"
    " RETURNING id, user_id, flight_id, seats, expires_at, status, quote"
)
INSERT_BOOKING = (
    "INSERT INTO bookings (id, reference, user_id, flight_id, hold_id, seats, total_amount,"
    " currency, status, created_at, discount_code, discount_amount, payment_id, payment_status)"
    " VALUES ($1, $2, $3, $4, $5, $6::json, $7, $8, $9, $10, $11, $12, $13, $14)"
)
BOOK_SEATS = (
    "UPDATE seats SET status = 'booked', booking_id = $2, hold_id = NULL, held_until = NULL"
    " WHERE hold_id = $1 AND status = 'held' AND held_until > $3 RETURNING seat"
)
INSERT_BOOKING_SEAT = (
    "INSERT INTO booking_seats (booking_id, seat, flight_id, active) VALUES ($1, $2, $3, true)"
)
# A seat is taken when booked, or held by a hold that has not expired yet.
_TAKEN_WHERE = (
    " FROM seats WHERE flight_id = $1"
    " AND (status = 'booked' OR (status = 'held' AND held_until > $2))"
)
TAKEN = "SELECT seat, status, held_until" + _TAKEN_WHERE
COUNT_BOOKED = "SELECT count(*) FROM seats WHERE flight_id = $1 AND status = 'booked'"
