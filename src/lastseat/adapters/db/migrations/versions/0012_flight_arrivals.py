"""Flights keep their arrival instant: `flights.arrives_at`, UTC like departs_at.

NULL for every flight created before: no arrival was ever recorded for them, so it is
unknown and shown as such rather than invented from a guessed duration (docs/api.md).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("flights") as batch:
        batch.add_column(sa.Column("arrives_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("flights") as batch:
        batch.drop_column("arrives_at")
