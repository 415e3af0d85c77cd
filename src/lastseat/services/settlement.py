"""Settlement: a booking just committed is captured here at once, off the traveller's
request (as airlines capture at ticketing), its capture written down in batches; and every
process, now and then, brings unsettled bookings' money where the booking wants it, asking
the provider first (domain/settlement.py has the states).

The outbox of captures is the bookings table itself: a booking committed `authorized` is
one to capture. The process that committed it captures it within milliseconds; if that
process dies first, or its capture fails, a settlement round of any process takes the row
once it is older than `payments_capture_grace_seconds`.

Rows are taken oldest first and leased to one process at a time, so three servers do not
repeat each other's provider calls, and a row that keeps failing waits longer each time
and never stops the rows behind it; after its attempts it is stuck, for an operator.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import structlog

from lastseat.domain.bookings import Booking
from lastseat.domain.errors import DatabaseUnavailable, DomainError, NotFound
from lastseat.domain.settlement import Step, next_step, outcome
from lastseat.services.context import ServiceContext
from lastseat.services.ports import PaymentGateway

log = structlog.get_logger("lastseat.settlement")
LEASE_SHARE = 0.5  # of its lease, how long a round may work on what it claimed
CAPTURE_BATCH_SECONDS = 0.05  # captures written down together: one transaction for many
CAPTURES_AT_ONCE = 32  # provider calls in flight from one process's captures


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
        # Captures on their way (one task each, so a slow one delays no other), then captures
        # made and not yet written down. If the process dies with either, a round captures
        # those bookings (again, with the same key, which the provider answers without
        # charging twice).
        self._capturing: set[asyncio.Task[None]] = set()
        self._captured: set[UUID] = set()
        self._recorder: asyncio.Task[None] | None = None
        self._in_flight = asyncio.Semaphore(CAPTURES_AT_ONCE)

    def booked(self, booking: Booking) -> None:
        """A booking just committed, authorized: capture it now, beside the request."""
        assert booking.payment_id is not None
        task = asyncio.create_task(self._capture(booking.id, booking.payment_id))
        self._capturing.add(task)
        task.add_done_callback(self._capturing.discard)

    async def _capture(self, booking_id: UUID, payment: str) -> None:
        async with self._in_flight:
            try:
                await self._payments.capture(payment, f"capture-{payment}")
            except DomainError as failure:  # a round captures it once its grace is over
                log.warning("capture_deferred", booking=str(booking_id), reason=failure.code)
                return
            except Exception:  # the same, but unexpected
                log.exception("capture_failed_unexpectedly", booking=str(booking_id))
                return
        self._captured.add(booking_id)
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._record_captures())

    async def _record_captures(self) -> None:
        while self._captured:
            await asyncio.sleep(CAPTURE_BATCH_SECONDS)  # more come to share the transaction
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
        """Capture and write down what is queued (at shutdown, and in tests)."""
        while self._capturing:
            await asyncio.gather(*self._capturing)
        if self._recorder is not None:
            await self._recorder

    async def settle_due(self) -> int:
        """One round: the oldest due rows, each settled or put back for later."""
        settings = self._ctx.settings
        attempts = settings.settle_retries.max_attempts
        now = self._ctx.clock()
        lease = timedelta(seconds=settings.payments_settle_lease_seconds)
        # A booking younger than the grace is still its own process's to capture.
        made_before = now - timedelta(seconds=settings.payments_capture_grace_seconds)
        async with self._ctx.uow(write=True) as uow:
            claimed = await uow.bookings.claim_unsettled(
                now, now + lease, settings.payments_settle_batch, attempts, made_before
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
