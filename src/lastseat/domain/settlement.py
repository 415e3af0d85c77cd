"""Settlement: bringing a booking's money where the booking says it must be, driven by what
the provider's ledger says (the source of truth), never by what we last wrote down.

```
                    capture                              refund
   authorized ─────────────────> captured ─────────────────────────> refunded
       │        (booking confirmed)   (booking cancelled after capture)
       │ void
       └───────> voided   (booking cancelled before capture, or never booked)
```

A booking wants `captured` while confirmed, and `voided` or `refunded` once cancelled.
Each settlement step asks the provider where the authorization stands and takes the one
transition that moves it on (each with an idempotency key, so a repeat changes nothing);
a step that fails is retried later, with a delay that doubles, and after a bounded number
of attempts the booking is left for an operator (`lastseat payments stuck`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from lastseat.domain.bookings import BookingStatus, PaymentStatus
from lastseat.domain.throttling import doubling


class Step(StrEnum):
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"
    RECORD = "record"  # the provider is already where the booking wants it: write it down
    NONE_POSSIBLE = "none-possible"  # a confirmed booking whose money is gone: an operator's


def next_step(booking: BookingStatus, provider: PaymentStatus) -> Step:
    if booking is BookingStatus.CONFIRMED:
        if provider is PaymentStatus.AUTHORIZED:
            return Step.CAPTURE
        return Step.RECORD if provider is PaymentStatus.CAPTURED else Step.NONE_POSSIBLE
    if provider is PaymentStatus.AUTHORIZED:
        return Step.VOID
    if provider is PaymentStatus.CAPTURED:
        return Step.REFUND
    return Step.RECORD  # voided or refunded: nothing left to pay back


def outcome(step: Step, provider: PaymentStatus) -> PaymentStatus:
    """Where the money stands once `step` succeeded."""
    return {
        Step.CAPTURE: PaymentStatus.CAPTURED,
        Step.VOID: PaymentStatus.VOIDED,
        Step.REFUND: PaymentStatus.REFUNDED,
    }.get(step, provider)


@dataclass(frozen=True, slots=True)
class RetryRules:
    max_attempts: int  # then the booking is stuck: listed for an operator, retried no more
    base_delay: timedelta
    max_delay: timedelta

    def delay(self, attempts: int) -> timedelta:
        """How long to wait after the `attempts`-th failure (1, 2, ...)."""
        return doubling(self.base_delay, attempts, self.max_delay)

    def stuck(self, attempts: int) -> bool:
        return attempts >= self.max_attempts
