"""discount codes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 18:20:52.592836
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lastseat.adapters.db.tables

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "discount_codes",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("valid_from", lastseat.adapters.db.tables.UTCDateTime(), nullable=True),
        sa.Column("valid_until", lastseat.adapters.db.tables.UTCDateTime(), nullable=True),
        sa.Column("min_spend", sa.BigInteger(), nullable=False),
        sa.Column("max_redemptions", sa.Integer(), nullable=True),
        sa.Column("redeemed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("flight_id", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=3), nullable=True),
        sa.Column("destination", sa.String(length=3), nullable=True),
        sa.Column("created_at", lastseat.adapters.db.tables.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "max_redemptions IS NULL OR redeemed <= max_redemptions", name="ck_discount_cap"
        ),
        sa.ForeignKeyConstraint(
            ["flight_id"],
            ["flights.id"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "discount_redemptions",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("created_at", lastseat.adapters.db.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
        ),
        sa.ForeignKeyConstraint(
            ["code"],
            ["discount_codes.code"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("code", "user_id"),
        sa.UniqueConstraint("booking_id"),
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("discount_code", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("discount_amount", sa.BigInteger(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_column("discount_amount")
        batch_op.drop_column("discount_code")

    op.drop_table("discount_redemptions")
    op.drop_table("discount_codes")
