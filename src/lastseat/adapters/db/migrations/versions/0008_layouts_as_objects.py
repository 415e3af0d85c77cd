"""Layouts stored before surcharges existed (a bare list of cabins) become the object
every later layout is, `{"cabins": [...], "surcharges": {...}}`, so the code reads one shape.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_flights = sa.table("flights", sa.column("id", sa.Integer()), sa.column("layout", sa.JSON()))


def as_object(layout: Any) -> dict[str, Any] | None:
    """The layout in today's shape; None if it is in that shape already."""
    if isinstance(layout, list):
        return {"cabins": layout, "surcharges": {}}
    if "surcharges" not in layout:
        return {**layout, "surcharges": {}}
    return None


def upgrade() -> None:
    conn = op.get_bind()
    for flight_id, layout in conn.execute(sa.select(_flights.c.id, _flights.c.layout)).all():
        rewritten = as_object(layout)
        if rewritten is not None:
            conn.execute(
                _flights.update().where(_flights.c.id == flight_id).values(layout=rewritten)
            )


def downgrade() -> None:
    pass  # the object shape is the one every earlier revision's code reads too
