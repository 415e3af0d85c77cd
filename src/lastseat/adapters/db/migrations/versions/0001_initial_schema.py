"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 17:25:40.068312
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lastseat.adapters.db.tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flights",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("origin", sa.String(length=3), nullable=False),
        sa.Column("destination", sa.String(length=3), nullable=False),
        sa.Column("departs_at", lastseat.adapters.db.tables.UTCDateTime(), nullable=False),
        sa.Column("layout", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code", "departs_at", name="uq_flights_code_departs_at"),
    )
    with op.batch_alter_table("flights", schema=None) as batch_op:
        batch_op.create_index("ix_flights_departs", ["departs_at"], unique=False)
        batch_op.create_index(
            "ix_flights_route_departs", ["origin", "destination", "departs_at"], unique=False
        )

    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", lastseat.adapters.db.tables.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    op.create_table(
        "events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("flight_id", sa.Integer(), nullable=False),
        sa.Column("seat", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", lastseat.adapters.db.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["flight_id"],
            ["flights.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_flight_id", ["flight_id", "id"], unique=False)

    op.create_table(
        "holds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("flight_id", sa.Integer(), nullable=False),
        sa.Column("seats", sa.JSON(), nullable=False),
        sa.Column("quote", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", lastseat.adapters.db.tables.UTCDateTime(), nullable=False),
        sa.Column("expires_at", lastseat.adapters.db.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["flight_id"],
            ["flights.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.create_index(
            "ix_holds_active_expiry",
            ["expires_at"],
            unique=False,
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
        batch_op.create_index(batch_op.f("ix_holds_user_id"), ["user_id"], unique=False)

    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", lastseat.adapters.db.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("user_id", "key"),
    )
    op.create_table(
        "tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", lastseat.adapters.db.tables.UTCDateTime(), nullable=False),
        sa.Column("expires_at", lastseat.adapters.db.tables.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", lastseat.adapters.db.tables.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "bookings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("flight_id", sa.Integer(), nullable=False),
        sa.Column("hold_id", sa.Uuid(), nullable=False),
        sa.Column("seats", sa.JSON(), nullable=False),
        sa.Column("total_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", lastseat.adapters.db.tables.UTCDateTime(), nullable=False),
        sa.Column("cancelled_at", lastseat.adapters.db.tables.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["flight_id"],
            ["flights.id"],
        ),
        sa.ForeignKeyConstraint(
            ["hold_id"],
            ["holds.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hold_id"),
        sa.UniqueConstraint("reference"),
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bookings_flight_id"), ["flight_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bookings_user_id"), ["user_id"], unique=False)

    op.create_table(
        "booking_seats",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("seat", sa.String(length=4), nullable=False),
        sa.Column("flight_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
        ),
        sa.ForeignKeyConstraint(
            ["flight_id"],
            ["flights.id"],
        ),
        sa.PrimaryKeyConstraint("booking_id", "seat"),
    )
    with op.batch_alter_table("booking_seats", schema=None) as batch_op:
        batch_op.create_index(
            "uq_booking_seats_live",
            ["flight_id", "seat"],
            unique=True,
            postgresql_where=sa.text("active"),
            sqlite_where=sa.text("active"),
        )

    op.create_table(
        "seats",
        sa.Column("flight_id", sa.Integer(), nullable=False),
        sa.Column("seat", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("hold_id", sa.Uuid(), nullable=True),
        sa.Column("held_until", lastseat.adapters.db.tables.UTCDateTime(), nullable=True),
        sa.Column("booking_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "(status = 'booked') = (booking_id IS NOT NULL)", name="ck_seats_booked_has_booking"
        ),
        sa.CheckConstraint(
            "(status = 'held') = (hold_id IS NOT NULL AND held_until IS NOT NULL)",
            name="ck_seats_held_has_hold",
        ),
        sa.CheckConstraint("status IN ('available', 'held', 'booked')", name="ck_seats_status"),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
        ),
        sa.ForeignKeyConstraint(
            ["flight_id"],
            ["flights.id"],
        ),
        sa.ForeignKeyConstraint(
            ["hold_id"],
            ["holds.id"],
        ),
        sa.PrimaryKeyConstraint("flight_id", "seat"),
    )
    with op.batch_alter_table("seats", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seats_booking_id"), ["booking_id"], unique=False)
        batch_op.create_index(
            "ix_seats_held_until",
            ["held_until"],
            unique=False,
            postgresql_where=sa.text("status = 'held'"),
            sqlite_where=sa.text("status = 'held'"),
        )
        batch_op.create_index(batch_op.f("ix_seats_hold_id"), ["hold_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("seats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seats_hold_id"))
        batch_op.drop_index(
            "ix_seats_held_until",
            postgresql_where=sa.text("status = 'held'"),
            sqlite_where=sa.text("status = 'held'"),
        )
        batch_op.drop_index(batch_op.f("ix_seats_booking_id"))

    op.drop_table("seats")
    with op.batch_alter_table("booking_seats", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_booking_seats_live",
            postgresql_where=sa.text("active"),
            sqlite_where=sa.text("active"),
        )

    op.drop_table("booking_seats")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bookings_user_id"))
        batch_op.drop_index(batch_op.f("ix_bookings_flight_id"))

    op.drop_table("bookings")
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tokens_user_id"))

    op.drop_table("tokens")
    op.drop_table("idempotency_keys")
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_holds_user_id"))
        batch_op.drop_index(
            "ix_holds_active_expiry",
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )

    op.drop_table("holds")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_flight_id")

    op.drop_table("events")
    op.drop_table("users")
    with op.batch_alter_table("flights", schema=None) as batch_op:
        batch_op.drop_index("ix_flights_route_departs")
        batch_op.drop_index("ix_flights_departs")

    op.drop_table("flights")
