"""Mail to travellers through an outbox (docs/mail.md).

A booking or a cancellation writes its message's row in its own transaction (`queue`), so
the message exists exactly when the change does, and nothing waits for the relay. Every
app process runs `send_due` now and then: it leases the oldest due rows (SKIP LOCKED: two
processes never take the same one), renders and sends each, and marks it sent. A send
that fails waits a delay that doubles; after its attempts it is left for an operator.

Once per message, across restarts: a row marked sent is never claimed again; a process
that dies after the relay accepted a message but before marking it leaves the row to be
sent again when its lease lapses, under the same Message-ID, which the stack's catcher
recognises (it keeps one copy). A real relay may deliver that second copy: that window
(one SMTP reply and one UPDATE long) is what at-least-once delivery costs.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta

import structlog

from lastseat.domain.bookings import Booking
from lastseat.domain.mail import (
    MailKind,
    MailUnavailable,
    NewMail,
    OutboxMail,
    letter,
    message_id,
)
from lastseat.domain.users import User
from lastseat.services.airports import departure_date
from lastseat.services.catalog import Catalog
from lastseat.services.context import ServiceContext
from lastseat.services.ports import Postman, UnitOfWork

log = structlog.get_logger("lastseat.mail")
LEASE_SHARE = 0.5  # of its lease, how long a round may work on what it claimed


def new_mail(
    domain: str, kind: MailKind, booking: Booking, user: User, refund: int | None = None
) -> NewMail:
    """The message to write with the change, under a Message-ID of its own."""
    mid = message_id(f"{kind.value}.{booking.id}.{uuid.uuid4().hex}", domain)
    return NewMail(mid, kind, booking.id, user.email, refund)


async def queue(
    uow: UnitOfWork,
    domain: str,
    kind: MailKind,
    booking: Booking,
    user: User,
    now: datetime,
    refund: int | None = None,
) -> None:
    """Write the message to the outbox in the caller's transaction (committed with it)."""
    await uow.mail.add(new_mail(domain, kind, booking, user, refund), now)


class Mail:
    def __init__(self, ctx: ServiceContext, catalog: Catalog, postman: Postman) -> None:
        self._ctx = ctx
        self._catalog = catalog
        self._postman = postman
        self.stuck_count = 0  # as of the last round

    async def send_due(self) -> int:
        """One round: the oldest due messages, each sent or put back for later."""
        settings = self._ctx.settings
        rules = settings.mail_retries
        now = self._ctx.clock()
        lease = timedelta(seconds=settings.mail_send_lease_seconds)
        async with self._ctx.uow(write=True) as uow:
            claimed = await uow.mail.claim_due(
                now, now + lease, settings.mail_send_batch, rules.max_attempts
            )
            await uow.commit()
        # Stop well inside the lease: past it another process may take the same rows.
        stop_at = time.monotonic() + lease.total_seconds() * LEASE_SHARE
        sent = 0
        for mail in claimed:
            if time.monotonic() > stop_at:
                break
            sent += await self._send(mail)
        if claimed:
            async with self._ctx.uow() as uow:
                self.stuck_count = await uow.mail.count_stuck(rules.max_attempts)
        return sent

    async def _send(self, mail: OutboxMail) -> bool:
        try:
            async with self._ctx.uow() as uow:
                booking = await uow.bookings.get_owned(mail.booking_id, mail.user_id)
                price = await uow.mail.price_of(mail.booking_id)
            assert booking is not None, "an outbox row outlived its booking"
            flight = await self._catalog.flight(booking.flight_id)
            departs_on = departure_date(flight.departs_at, flight.origin)
            cutoff = self._ctx.settings.cancellation_cutoff
            await self._postman.send(letter(mail, booking, flight, cutoff, departs_on, price))
        except MailUnavailable as away:
            await self._failed(mail, away.code)
            return False
        except Exception:  # a bug, or a message we cannot render: this row only
            log.exception("mail_failed_unexpectedly", mail=mail.id, booking=str(mail.booking_id))
            await self._failed(mail, "unexpected-error")
            return False
        async with self._ctx.uow(write=True) as uow:
            await uow.mail.sent(mail.id, self._ctx.clock())
            await uow.commit()
        log.info("mail_sent", mail=mail.id, kind=mail.kind.value, booking=str(mail.booking_id))
        return True

    async def _failed(self, mail: OutboxMail, error: str) -> None:
        rules = self._ctx.settings.mail_retries
        retry_at = self._ctx.clock() + rules.delay(mail.attempts + 1)
        async with self._ctx.uow(write=True) as uow:
            attempts = await uow.mail.failed(mail.id, error, retry_at)
            await uow.commit()
        if rules.stuck(attempts):
            log.error("mail_stuck", mail=mail.id, booking=str(mail.booking_id), error=error)
        else:
            log.warning("mail_deferred", mail=mail.id, reason=error, attempts=attempts)
