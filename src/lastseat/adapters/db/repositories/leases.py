"""Work that several processes share (settling payments, sending mail) is claimed by a
lease: the due rows, oldest first, locked with SKIP LOCKED so two rounds never wait for
or repeat each other, and their due time moved to the lease's end, so a round that dies
hands its rows back when the lease lapses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection


async def lease_due(
    conn: AsyncConnection,
    table: sa.Table,
    pending: sa.ColumnElement[bool],
    attempts: sa.Column[Any],
    due_at: sa.Column[Any],
    order: Sequence[sa.Column[Any]],
    *,
    now: datetime,
    lease_until: datetime,
    limit: int,
    max_attempts: int,
) -> list[Any]:
    """The ids of at most `limit` rows that are `pending`, not given up on, and due at
    `now`; leased until `lease_until`."""
    due = (
        sa.select(table.c.id)
        .where(pending, attempts < max_attempts, sa.or_(due_at.is_(None), due_at <= now))
        .order_by(*order)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = [row[0] for row in await conn.execute(due)]
    if ids:
        await conn.execute(table.update().where(table.c.id.in_(ids)).values({due_at: lease_until}))
    return ids
