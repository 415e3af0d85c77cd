"""Settlement: every process, now and then, brings unsettled bookings' money where the
booking wants it, asking the provider first (domain/settlement.py has the states); and
a booking just made is captured here, its capture written down in batches.

Rows are taken oldest first and leased to one process at a time, so three servers do not
repeat each other's provider calls, and a row that keeps failing waits longer each time
and never stops the rows behind it; after its attempts it is stuck, for an operator.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from uuid import UUID

import structlog

from lastseat.domain.bookings import Booking, PaymentStatus
from lastseat.domain.errors import DatabaseUnavailable, DomainError, NotFound
from lastseat.domain.settlement import Step, next_step, outcome
from lastseat.services.context import ServiceContext
from lastseat.services.ports import PaymentGateway

log = structlog.get_logger("lastseat.settlement")
LEASE_SHARE = 0.5  # of its lease, how long a round may work on what it claimed
CAPTURE_BATCH_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class StuckPayment:
    booking: Booking
    attempts: int
    last_error: str | None


class Settlement:
    def __init__(self, ctx: ServiceContext, payments: PaymentGateway) -> None:
        self._ctx = ctx
        self._payments = payments
        self.stuck_count = 0  # as of the last round (a metric reads it)
        # Captures done but not yet written down: recorded in batches, one transaction per
        # batch instead of one per booking. If the process dies first, a settlement round
        # captures those bookings again with the same key, which the provider answers
        # without charging twice.
        self._captured: set[UUID] = set()
        self._recorder: asyncio.Task[None] | None = None

    async def capture_now(self, booking: Booking) -> Booking:
        """Capture a booking just made; if the provider fails, a later round does."""
        assert booking.payment_id is not None
        try:
            await self._payments.capture(booking.payment_id, f"capture-{booking.payment_id}")
        except DomainError as failure:
            # The booking stands on its authorization; settle_due captures it later.
            log.warning("capture_deferred", booking=str(booking.id), reason=failure.code)
            return booking
        self._captured.add(booking.id)
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._record_captures())
        return replace(booking, payment_status=PaymentStatus.CAPTURED)

    async def _record_captures(self) -> None:
        while self._captured:
            await asyncio.sleep(CAPTURE_BATCH_SECONDS)
            batch, self._captured = self._captured, set()
            try:
                async with self._ctx.uow(write=True) as uow:
                    await uow.bookings.mark_captured(batch)
                    await uow.commit()
            except DatabaseUnavailable as failure:  # a round finds them still authorized
                log.warning("capture_record_deferred", bookings=len(batch), reason=failure.code)
            except Exception:  # the same, but unexpected
                log.exception("capture_record_failed", bookings=len(batch))

    async def flush(self) -> None:
        """Write down the captures still pending (at shutdown, and in tests)."""
        if self._recorder is not None:
            await self._recorder

    async def settle_due(self) -> int:
        """One round: the oldest due rows, each settled or put back for later."""
        settings = self._ctx.settings
        attempts = settings.settle_retries.max_attempts
        now = self._ctx.clock()
        lease = timedelta(seconds=settings.payments_settle_lease_seconds)
        async with self._ctx.uow(write=True) as uow:
            claimed = await uow.bookings.claim_unsettled(
                now, now + lease, settings.payments_settle_batch, attempts
            )
            await uow.commit()
        # Each row may take two provider calls: stop well inside the lease, and leave the
        # rest to the next round (theirs lapses, so any process may take them).
        stop_at = time.monotonic() + lease.total_seconds() * LEASE_SHARE
        settled = 0
        for booking in claimed:
            if time.monotonic() > stop_at:
                break
            settled += await self.settle(booking, fresh=False)
        async with self._ctx.uow() as uow:
            self.stuck_count = await uow.bookings.count_stuck(attempts)
        return settled

    async def settle(self, booking: Booking, fresh: bool = True) -> bool:
        """Ask the provider where the money stands, take the one step that moves it where
        the booking wants it, and write down where it ended; False if put back for later.
        `fresh`: `booking` was just read; else it is read again first (a round's claim may
        be older than a cancellation made since)."""
        if not fresh:
            async with self._ctx.uow() as uow:
                current = await uow.bookings.get_owned(booking.id, booking.user_id)
            if current is None:
                return False
            booking = current
        payment = booking.payment_id
        assert payment is not None
        try:
            provider = await self._payments.status(payment)
            step = next_step(booking.status, provider)
            if step is Step.CAPTURE:
                await self._payments.capture(payment, f"capture-{payment}")
            elif step is Step.VOID:
                await self._payments.void(payment, f"void-{payment}")
            elif step is Step.REFUND:
                await self._payments.refund(payment, f"refund-{payment}")
        except DomainError as failure:
            await self._failed(booking, failure.code)
            return False
        except Exception:  # a bug (or a provider answer we cannot read): this row only
            log.exception("settle_failed_unexpectedly", booking=str(booking.id))
            await self._failed(booking, "unexpected-error")
            return False
        if step is Step.NONE_POSSIBLE:
            await self._failed(booking, f"provider-{provider.value}", give_up=True)
            return False
        async with self._ctx.uow(write=True) as uow:
            await uow.bookings.settled(booking.id, outcome(step, provider))
            await uow.commit()
        return True

    async def _failed(self, booking: Booking, error: str, give_up: bool = False) -> None:
        rules = self._ctx.settings.settle_retries
        async with self._ctx.uow(write=True) as uow:
            attempts = await uow.bookings.settle_failed(
                booking.id, error, rules.max_attempts if give_up else None
            )
            await uow.bookings.settle_later(booking.id, self._ctx.clock() + rules.delay(attempts))
            await uow.commit()
        if rules.stuck(attempts):
            log.error(
                "payment_stuck",
                booking=str(booking.id),
                reference=booking.reference,
                payment=booking.payment_id,
                attempts=attempts,
                error=error,
            )
        else:
            log.warning("settle_deferred", booking=str(booking.id), reason=error, attempts=attempts)

    async def stuck(self, limit: int = 100) -> list[StuckPayment]:
        async with self._ctx.uow() as uow:
            rows = await uow.bookings.stuck(self._ctx.settings.settle_retries.max_attempts, limit)
        return [StuckPayment(*row) for row in rows]

    async def retry(self, booking_id: UUID) -> None:
        """Give a stuck booking its attempts back: the next round tries it again."""
        async with self._ctx.uow(write=True) as uow:
            if not await uow.bookings.retry_settlement(booking_id):
                raise NotFound(f"no unsettled booking {booking_id}")
            await uow.commit()
