"""A flight's sale may run through a waiting room: `sales` (the opening, the rate, the cap)
and `sale_places` (the line, one place per traveller), docs/waiting-room.md.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sales",
        sa.Column("flight_id", sa.Integer(), nullable=False),
        sa.Column("opens_at", sa.DateTime(), nullable=False),
        sa.Column("admissions_per_minute", sa.Integer(), nullable=False),
        sa.Column("active_cap", sa.Integer(), nullable=False),
        sa.Column("admission_seconds", sa.Integer(), nullable=False),
        sa.Column("paced_until", sa.DateTime(), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["flight_id"], ["flights.id"]),
        sa.PrimaryKeyConstraint("flight_id"),
    )
    op.create_table(
        "sale_places",
        sa.Column("flight_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("place_id", sa.Uuid(), nullable=False),
        sa.Column("joined_at", sa.DateTime(), nullable=False),
        sa.Column("arrival_second", sa.BigInteger(), nullable=False),
        sa.Column("draw", sa.BigInteger(), nullable=False),
        sa.Column("admitted_at", sa.DateTime(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["flight_id"], ["sales.flight_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("flight_id", "user_id"),
        sa.UniqueConstraint("place_id"),
    )
    op.create_index("ix_sale_places_line", "sale_places", ["flight_id", "arrival_second", "draw"])


def downgrade() -> None:
    op.drop_index("ix_sale_places_line", table_name="sale_places")
    op.drop_table("sale_places")
    op.drop_table("sales")
