"""Throttle counters for every kind of attempt (sign-ins, sign-ups, holds, discount codes),
replacing the sign-in-only table; holds remember the client address they came from.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lastseat.adapters.db.tables

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ACTIVE = "status = 'active'"


def upgrade() -> None:
    # The old counters are short-lived (a 15-minute window) and keyed differently.
    op.drop_table("login_attempts")
    op.create_table(
        "throttles",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_start", lastseat.adapters.db.tables.UTCDateTime(), nullable=False),
        sa.Column("locked_until", lastseat.adapters.db.tables.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_address", sa.String(length=45), nullable=True))
        batch_op.create_index(
            "ix_holds_active_address",
            ["client_address", "flight_id"],
            unique=False,
            postgresql_where=sa.text(ACTIVE),
            sqlite_where=sa.text(ACTIVE),
        )


def downgrade() -> None:
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.drop_index("ix_holds_active_address")
        batch_op.drop_column("client_address")
    op.drop_table("throttles")
    op.create_table(
        "login_attempts",
        sa.Column("key", sa.String(length=320), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", lastseat.adapters.db.tables.UTCDateTime(), nullable=False),
        sa.Column("locked_until", lastseat.adapters.db.tables.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
