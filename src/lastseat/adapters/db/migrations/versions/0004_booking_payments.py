"""Bookings record their payment authorization and its state.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UNSETTLED = "payment_status IN ('authorized', 'captured')"


def upgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payment_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("payment_status", sa.String(length=16), nullable=True))
        batch_op.create_index(
            "ix_bookings_unsettled",
            ["payment_status"],
            unique=False,
            postgresql_where=sa.text(UNSETTLED),
            sqlite_where=sa.text(UNSETTLED),
        )


def downgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index("ix_bookings_unsettled")
        batch_op.drop_column("payment_status")
        batch_op.drop_column("payment_id")
