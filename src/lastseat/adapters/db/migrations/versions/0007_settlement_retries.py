"""Settlement retries: attempts, the next attempt's time (also a lease while a process
works on the row), and the last failure, so failing rows wait their turn and stuck ones
are listed.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lastseat.adapters.db.tables

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("settle_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("settle_after", lastseat.adapters.db.tables.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("settle_error", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_column("settle_error")
        batch_op.drop_column("settle_after")
        batch_op.drop_column("settle_attempts")
