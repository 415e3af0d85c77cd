"""Settlement: every process, now and then, brings unsettled bookings' money where the
booking wants it, asking the provider first (domain/settlement.py has the states).

Rows are taken oldest first and leased to one process at a time, so three servers do not
repeat each other's provider calls, and a row that keeps failing waits longer each time
and never stops the rows behind it; after its attempts it is stuck, for an operator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import structlog

from lastseat.domain.bookings import Booking
from lastseat.domain.errors import DomainError, NotFound
from lastseat.domain.settlement import Step, next_step, outcome
from lastseat.services.context import ServiceContext
from lastseat.services.ports import PaymentGateway

log = structlog.get_logger("lastseat.settlement")


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
        settled = 0
        for booking in claimed:
            settled += await self.settle(booking)
        async with self._ctx.uow() as uow:
            self.stuck_count = await uow.bookings.count_stuck(attempts)
        return settled

    async def settle(self, booking: Booking) -> bool:
        """Ask the provider where the money stands, take the one step that moves it where
        the booking wants it, and write down where it ended; False if put back for later."""
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
