"""The mail outbox: messages written with their booking's transaction, claimed by rounds.

The same statements serve both dialects: FOR UPDATE SKIP LOCKED is PostgreSQL's (rows
another process is claiming are passed over, not waited for); SQLite, with one writer at
a time, drops the clause and needs none.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lastseat.adapters.db.repositories.leases import lease_due
from lastseat.adapters.db.tables import bookings, holds, mail_outbox
from lastseat.domain.mail import MailKind, NewMail, OutboxMail
from lastseat.domain.pricing import Quote

_COLUMNS = (
    mail_outbox.c.id,
    mail_outbox.c.message_id,
    mail_outbox.c.kind,
    mail_outbox.c.booking_id,
    mail_outbox.c.recipient,
    mail_outbox.c.refund_amount,
    mail_outbox.c.attempts,
    mail_outbox.c.created_at,
    bookings.c.user_id,
)
_FROM = mail_outbox.join(bookings, bookings.c.id == mail_outbox.c.booking_id)


def _mail(row: Any) -> OutboxMail:
    return OutboxMail(
        id=row.id,
        message_id=row.message_id,
        kind=MailKind(row.kind),
        booking_id=row.booking_id,
        recipient=row.recipient,
        refund=row.refund_amount,
        user_id=row.user_id,
        written_at=row.created_at,
        attempts=row.attempts,
    )


class SqlMailOutbox:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, mail: NewMail, now: datetime) -> None:
        await self._conn.execute(
            mail_outbox.insert().values(
                message_id=mail.message_id,
                kind=mail.kind.value,
                booking_id=mail.booking_id,
                recipient=mail.recipient,
                refund_amount=mail.refund,
                created_at=now,
            )
        )

    async def claim_due(
        self, now: datetime, lease_until: datetime, limit: int, max_attempts: int
    ) -> list[OutboxMail]:
        """The oldest unsent messages that are due, leased to this process until
        `lease_until`: another round passes them over until then."""
        ids = await lease_due(
            self._conn,
            mail_outbox,
            mail_outbox.c.sent_at.is_(None),
            mail_outbox.c.attempts,
            mail_outbox.c.send_after,
            [mail_outbox.c.id],
            now=now,
            lease_until=lease_until,
            limit=limit,
            max_attempts=max_attempts,
        )
        if not ids:
            return []
        rows = await self._conn.execute(
            sa.select(*_COLUMNS)
            .select_from(_FROM)
            .where(mail_outbox.c.id.in_(ids))
            .order_by(mail_outbox.c.id)
        )
        return [_mail(row) for row in rows]

    async def price_of(self, booking_id: UUID) -> Quote:
        """The quote the booking's hold was priced with (before its discount code): the
        ticket's price breakdown, seat by seat."""
        stored = (
            await self._conn.execute(
                sa.select(holds.c.quote)
                .select_from(bookings.join(holds, holds.c.id == bookings.c.hold_id))
                .where(bookings.c.id == booking_id)
            )
        ).scalar_one()
        return Quote.from_dict(stored)

    async def sent(self, mail_id: int, now: datetime) -> None:
        await self._conn.execute(
            mail_outbox.update()
            .where(mail_outbox.c.id == mail_id)
            .values(sent_at=now, send_after=None, last_error=None)
        )

    async def failed(self, mail_id: int, error: str, retry_at: datetime) -> int:
        """Count a failed attempt and put the message back until `retry_at`; the attempts
        so far."""
        result = await self._conn.execute(
            mail_outbox.update()
            .where(mail_outbox.c.id == mail_id)
            .values(
                attempts=mail_outbox.c.attempts + 1,
                last_error=error[:64],
                send_after=retry_at,
            )
            .returning(mail_outbox.c.attempts)
        )
        return int(result.scalar_one())

    async def for_booking(self, booking_id: UUID) -> list[tuple[OutboxMail, datetime | None]]:
        """Every message of the booking, oldest first, with when it was sent."""
        rows = await self._conn.execute(
            sa.select(*_COLUMNS, mail_outbox.c.sent_at)
            .select_from(_FROM)
            .where(mail_outbox.c.booking_id == booking_id)
            .order_by(mail_outbox.c.id)
        )
        return [(_mail(row), row.sent_at) for row in rows]

    async def count_stuck(self, max_attempts: int) -> int:
        result = await self._conn.execute(
            sa.select(sa.func.count())
            .select_from(mail_outbox)
            .where(mail_outbox.c.sent_at.is_(None), mail_outbox.c.attempts >= max_attempts)
        )
        return int(result.scalar_one())
