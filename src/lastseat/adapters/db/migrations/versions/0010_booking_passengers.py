"""Named passengers, one per seat of a booking: `booking_passengers`. Bookings made before
have none (their seats stay as they were).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "booking_passengers",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("seat", sa.String(length=4), nullable=False),
        sa.Column("given_name", sa.String(length=64), nullable=False),
        sa.Column("family_name", sa.String(length=64), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("type", sa.String(length=8), nullable=False),
        sa.CheckConstraint(
            "type IN ('adult', 'child', 'infant')", name="ck_booking_passengers_type"
        ),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"]),
        sa.PrimaryKeyConstraint("booking_id", "seat"),
    )


def downgrade() -> None:
    op.drop_table("booking_passengers")
