"""Seat events are kept for a retention window: `events_pruned` records how far they were
pruned, so a watcher resuming from before that gets a snapshot instead of a gap.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lastseat.adapters.db.tables

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events_pruned",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("through_id", sa.BigInteger(), nullable=False),
        sa.Column("pruned_at", lastseat.adapters.db.tables.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("events_pruned")
