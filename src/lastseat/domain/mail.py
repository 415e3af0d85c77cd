"""Mail to travellers: what a ticket or a cancellation message tells, and the outbox row
that stands for a message until it is sent. No SMTP, MIME or PDF here (adapters/mail_*)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from lastseat.domain.bcbp import BoardingPass
from lastseat.domain.bookings import Booking
from lastseat.domain.flights import Flight
from lastseat.domain.money import Money


class MailUnavailable(Exception):
    """The relay could not be reached, or refused the message for now: tried again later."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


class MailKind(StrEnum):
    BOOKED = "booked"  # the ticket: one PDF e-ticket per passenger
    CANCELLED = "cancelled"  # the cancellation, with what is paid back


@dataclass(frozen=True, slots=True)
class OutboxMail:
    """A message waiting in the outbox (or sent). `message_id` is its Message-ID header,
    fixed when the row was written: every attempt sends the same one."""

    id: int
    message_id: str
    kind: MailKind
    booking_id: UUID
    recipient: str
    refund: int | None  # minor units, for a cancellation
    user_id: UUID  # the booking's owner
    written_at: datetime  # with the booking or cancellation: the message's Date
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class Letter:
    """Everything a message says, worked out; adapters only lay it out."""

    kind: MailKind
    message_id: str
    recipient: str
    written_at: datetime
    booking: Booking
    flight: Flight
    cancellable_until: datetime  # the cancellation rule: closes this long before departure
    cutoff_minutes: int
    refund: Money | None
    boarding_passes: tuple[BoardingPass, ...]

    @property
    def subtotal(self) -> Money:
        """The price before the discount code."""
        return Money(self.booking.total.amount + self.booking.discount, self.booking.total.currency)

    @property
    def discount(self) -> Money:
        return Money(self.booking.discount, self.booking.total.currency)


def letter(mail: OutboxMail, booking: Booking, flight: Flight, cutoff: timedelta) -> Letter:
    refund = None if mail.refund is None else Money(mail.refund, booking.total.currency)
    return Letter(
        kind=mail.kind,
        message_id=mail.message_id,
        recipient=mail.recipient,
        written_at=mail.written_at,
        booking=booking,
        flight=flight,
        cancellable_until=flight.departs_at - cutoff,
        cutoff_minutes=int(cutoff.total_seconds() // 60),
        refund=refund,
        boarding_passes=boarding_passes(booking, flight) if mail.kind is MailKind.BOOKED else (),
    )


def message_id(token: str, domain: str) -> str:
    """An RFC 5322 Message-ID: unique per outbox row, the same on every attempt."""
    return f"<{token}@{domain}>"


def boarding_passes(booking: Booking, flight: Flight) -> tuple[BoardingPass, ...]:
    """One per passenger, in seat order; the check-in sequence is the passenger's place in
    the booking (no check-in exists yet to number them)."""
    return tuple(
        BoardingPass(
            family_name=p.family_name,
            given_name=p.given_name,
            reference=booking.reference,
            origin=flight.origin,
            destination=flight.destination,
            flight_code=flight.code,
            departs_at=flight.departs_at,
            cabin=flight.layout.cabin_of(p.seat).name,
            seat=p.seat,
            sequence=index,
        )
        for index, p in enumerate(booking.passengers, start=1)
    )
