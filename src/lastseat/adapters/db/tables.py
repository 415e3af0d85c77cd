"""Table definitions (SQLAlchemy Core). Alembic migrations are the source of the schema;
these describe it for queries and must match the latest migration (a test checks)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes stored as naive UTC, so SQLite and PostgreSQL compare alike."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # SQLite may hand back text for computed expressions
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]


metadata = sa.MetaData()

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
)

flights = sa.Table(
    "flights",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("code", sa.String(8), nullable=False),
    sa.Column("origin", sa.String(3), nullable=False),
    sa.Column("destination", sa.String(3), nullable=False),
    sa.Column("departs_at", UTCDateTime, nullable=False),
    sa.Column("layout", sa.JSON, nullable=False),
    # NULL: a flight created before arrival times were kept, whose arrival is unknown
    sa.Column("arrives_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("code", "departs_at", name="uq_flights_code_departs_at"),
    sa.Index("ix_flights_route_departs", "origin", "destination", "departs_at"),
    sa.Index("ix_flights_departs", "departs_at"),
)

holds = sa.Table(
    "holds",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("flight_id", sa.Integer, sa.ForeignKey("flights.id"), nullable=False),
    sa.Column("seats", sa.JSON, nullable=False),
    sa.Column("quote", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    # Where the hold was asked from, so one address's share of a flight can be bounded.
    sa.Column("client_address", sa.String(45), nullable=True),
    sa.Index(
        "ix_holds_active_expiry",
        "expires_at",
        postgresql_where=sa.text("status = 'active'"),
        sqlite_where=sa.text("status = 'active'"),
    ),
    sa.Index(
        "ix_holds_active_address",
        "client_address",
        "flight_id",
        postgresql_where=sa.text("status = 'active'"),
        sqlite_where=sa.text("status = 'active'"),
    ),
)

bookings = sa.Table(
    "bookings",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("reference", sa.String(12), nullable=False, unique=True),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("flight_id", sa.Integer, sa.ForeignKey("flights.id"), nullable=False, index=True),
    sa.Column("hold_id", sa.Uuid, sa.ForeignKey("holds.id"), nullable=False, unique=True),
    sa.Column("seats", sa.JSON, nullable=False),
    sa.Column("total_amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("cancelled_at", UTCDateTime, nullable=True),
    sa.Column("discount_code", sa.String(32), nullable=True),
    sa.Column("discount_amount", sa.BigInteger, nullable=False, server_default="0"),
    # The provider's authorization, and where its money stands: authorized -> captured,
    # and after a cancellation -> voided / refunded. Unsettled rows are retried.
    sa.Column("payment_id", sa.String(64), nullable=True),
    sa.Column("payment_status", sa.String(16), nullable=True),
    # Settlement of unsettled rows: failed attempts, when the next may run (also a lease
    # while one process works on the row), and the last failure's code.
    sa.Column("settle_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("settle_after", UTCDateTime, nullable=True),
    sa.Column("settle_error", sa.String(64), nullable=True),
    sa.Index(
        "ix_bookings_unsettled",
        "payment_status",
        postgresql_where=sa.text("payment_status IN ('authorized', 'captured')"),
        sqlite_where=sa.text("payment_status IN ('authorized', 'captured')"),
    ),
)

# The named traveller in each seat of a booking, written in the booking's transaction.
# Names are NFC (domain/passengers.py); 64 characters, not bytes, in PostgreSQL.
booking_passengers = sa.Table(
    "booking_passengers",
    metadata,
    sa.Column("booking_id", sa.Uuid, sa.ForeignKey("bookings.id"), primary_key=True),
    sa.Column("seat", sa.String(4), primary_key=True),
    sa.Column("given_name", sa.String(64), nullable=False),
    sa.Column("family_name", sa.String(64), nullable=False),
    sa.Column("date_of_birth", sa.Date, nullable=True),
    sa.Column("type", sa.String(8), nullable=False),
    sa.CheckConstraint("type IN ('adult', 'child', 'infant')", name="ck_booking_passengers_type"),
)

# Mail to travellers, written in the transaction of the booking or cancellation it tells
# of, and sent by a background round (services/mail.py). `message_id` is fixed when the row
# is written, so a message sent twice is recognisably the same message.
mail_outbox = sa.Table(
    "mail_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.String(128), nullable=False, unique=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("booking_id", sa.Uuid, sa.ForeignKey("bookings.id"), nullable=False),
    sa.Column("recipient", sa.String(320), nullable=False),
    sa.Column("refund_amount", sa.BigInteger, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # Failed attempts, when the next may run (also a lease while one process sends it),
    # when it was sent, and the last failure's code.
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("send_after", UTCDateTime, nullable=True),
    sa.Column("sent_at", UTCDateTime, nullable=True),
    sa.Column("last_error", sa.String(64), nullable=True),
    sa.CheckConstraint("kind IN ('booked', 'cancelled')", name="ck_mail_outbox_kind"),
    sa.Index(
        "ix_mail_outbox_unsent",
        "id",
        postgresql_where=sa.text("sent_at IS NULL"),
        sqlite_where=sa.text("sent_at IS NULL"),
    ),
)

# One row per seat of a flight: the single place a seat's state lives. Holds and bookings
# claim seats with one conditional UPDATE ... RETURNING on these rows.
seats = sa.Table(
    "seats",
    metadata,
    sa.Column("flight_id", sa.Integer, sa.ForeignKey("flights.id"), primary_key=True),
    sa.Column("seat", sa.String(4), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("hold_id", sa.Uuid, sa.ForeignKey("holds.id"), nullable=True, index=True),
    sa.Column("held_until", UTCDateTime, nullable=True),
    sa.Column("booking_id", sa.Uuid, sa.ForeignKey("bookings.id"), nullable=True, index=True),
    sa.CheckConstraint("status IN ('available', 'held', 'booked')", name="ck_seats_status"),
    sa.CheckConstraint(
        "(status = 'held') = (hold_id IS NOT NULL AND held_until IS NOT NULL)",
        name="ck_seats_held_has_hold",
    ),
    sa.CheckConstraint(
        "(status = 'booked') = (booking_id IS NOT NULL)", name="ck_seats_booked_has_booking"
    ),
    sa.Index(
        "ix_seats_held_until",
        "held_until",
        postgresql_where=sa.text("status = 'held'"),
        sqlite_where=sa.text("status = 'held'"),
    ),
)

# Second line of defence: a seat can be in at most one live booking, whatever the code does.
booking_seats = sa.Table(
    "booking_seats",
    metadata,
    sa.Column("booking_id", sa.Uuid, sa.ForeignKey("bookings.id"), primary_key=True),
    sa.Column("seat", sa.String(4), primary_key=True),
    sa.Column("flight_id", sa.Integer, sa.ForeignKey("flights.id"), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Index(
        "uq_booking_seats_live",
        "flight_id",
        "seat",
        unique=True,
        postgresql_where=sa.text("active"),
        sqlite_where=sa.text("active"),
    ),
)


def _counted_id() -> sa.Column[int]:
    """A 64-bit id that counts up (INTEGER on SQLite, the only type that is its rowid)."""
    return sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    )


events = sa.Table(
    "events",
    metadata,
    _counted_id(),
    sa.Column("flight_id", sa.Integer, sa.ForeignKey("flights.id"), nullable=False),
    sa.Column("seat", sa.String(4), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_events_flight_id", "flight_id", "id"),
)

# How far the events were pruned: every event with an id up to the highest `through_id`
# is gone (a watcher resuming from before it gets a snapshot). One row per pruning round
# (two processes may prune at once: rows, not an upsert); older rows are dropped.
events_pruned = sa.Table(
    "events_pruned",
    metadata,
    _counted_id(),
    sa.Column("through_id", sa.BigInteger, nullable=False),
    sa.Column("pruned_at", UTCDateTime, nullable=False),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("resource_id", sa.Uuid, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

discount_codes = sa.Table(
    "discount_codes",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("value", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=True),
    sa.Column("valid_from", UTCDateTime, nullable=True),
    sa.Column("valid_until", UTCDateTime, nullable=True),
    sa.Column("min_spend", sa.BigInteger, nullable=False),
    sa.Column("max_redemptions", sa.Integer, nullable=True),
    # Counted in the booking's transaction by a conditional UPDATE: the cap cannot be passed.
    sa.Column("redeemed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("flight_id", sa.Integer, sa.ForeignKey("flights.id"), nullable=True),
    sa.Column("origin", sa.String(3), nullable=True),
    sa.Column("destination", sa.String(3), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.CheckConstraint(
        "max_redemptions IS NULL OR redeemed <= max_redemptions", name="ck_discount_cap"
    ),
)

# One use per user: the primary key refuses a second redemption of a code by the same user.
discount_redemptions = sa.Table(
    "discount_redemptions",
    metadata,
    sa.Column("code", sa.String(32), sa.ForeignKey("discount_codes.code"), primary_key=True),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("booking_id", sa.Uuid, sa.ForeignKey("bookings.id"), nullable=False, unique=True),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# Attempt counters (sign-ins, sign-ups, holds, discount codes), one row per throttled key,
# shared by every app server process so that every limit holds across all of them.
throttles = sa.Table(
    "throttles",
    metadata,
    sa.Column("key", sa.String(160), primary_key=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("window_start", UTCDateTime, nullable=False),
    sa.Column("locked_until", UTCDateTime, nullable=True),
)

# A flight's sale through a waiting room (domain/waiting_room.py); at most one per flight,
# deleted with its line when an admin ends it. `paced_until`: how far the admissions so
# far have used the rate up (moved on under this row's lock).
sales = sa.Table(
    "sales",
    metadata,
    sa.Column("flight_id", sa.Integer, sa.ForeignKey("flights.id"), primary_key=True),
    sa.Column("opens_at", UTCDateTime, nullable=False),
    sa.Column("admissions_per_minute", sa.Integer, nullable=False),
    sa.Column("active_cap", sa.Integer, nullable=False),
    sa.Column("admission_seconds", sa.Integer, nullable=False),
    sa.Column("paced_until", UTCDateTime, nullable=False),
    sa.Column("number", sa.BigInteger, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# The line: one place per traveller and sale, ordered by (arrival_second, draw).
sale_places = sa.Table(
    "sale_places",
    metadata,
    sa.Column(
        "flight_id",
        sa.Integer,
        sa.ForeignKey("sales.flight_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("place_id", sa.Uuid, nullable=False, unique=True),
    sa.Column("joined_at", UTCDateTime, nullable=False),
    sa.Column("arrival_second", sa.BigInteger, nullable=False),
    sa.Column("draw", sa.BigInteger, nullable=False),
    sa.Column("admitted_at", UTCDateTime, nullable=True),
    sa.Column("expires_at", UTCDateTime, nullable=True),
    sa.Index("ix_sale_places_line", "flight_id", "arrival_second", "draw"),
)
