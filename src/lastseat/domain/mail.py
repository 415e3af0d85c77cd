"""Mail to travellers: what a ticket or a cancellation message tells, and the outbox row
that stands for a message until it is sent. No SMTP, MIME or PDF here (adapters/mail_*)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from uuid import UUID

from lastseat.domain.bcbp import BoardingPass
from lastseat.domain.bookings import Booking
from lastseat.domain.errors import seat_sort_key
from lastseat.domain.flights import Flight
from lastseat.domain.money import Money
from lastseat.domain.pricing import Quote


class MailUnavailable(Exception):
    """The relay could not be reached, or refused the message for now: tried again later."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


class MailKind(StrEnum):
    BOOKED = "booked"  # the ticket: one PDF e-ticket per passenger
    CANCELLED = "cancelled"  # the cancellation, with what is paid back


@dataclass(frozen=True, slots=True)
class NewMail:
    """A message to write to the outbox, in the transaction of the change it tells of."""

    message_id: str
    kind: MailKind
    booking_id: UUID
    recipient: str
    refund: int | None = None  # minor units, for a cancellation


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
    price: Quote  # what was paid, seat by seat, with the discount the booking got


def letter(
    mail: OutboxMail,
    booking: Booking,
    flight: Flight,
    cutoff: timedelta,
    departs_on: date,
    price: Quote,
) -> Letter:
    """`departs_on` is the departure's date on the origin airport's clocks; `price` the
    hold's quote (services work out both: the domain reads no zone data)."""
    refund = None if mail.refund is None else Money(mail.refund, booking.total.currency)
    if booking.discount_code is not None:
        price = price.with_discount(booking.discount_code, booking.discount)
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
        boarding_passes=(
            boarding_passes(booking, flight, departs_on) if mail.kind is MailKind.BOOKED else ()
        ),
        price=price,
    )


def message_id(token: str, domain: str) -> str:
    """An RFC 5322 Message-ID: unique per outbox row, the same on every attempt."""
    return f"<{token}@{domain}>"


def check_in_sequence(flight: Flight, seat: str) -> int:
    """The passenger's check-in sequence number: the seat's place on the aircraft, front to
    back. No check-in exists yet to number passengers in the order they arrive, and this is
    distinct for every passenger on the flight (a seat has one at a time) and stable across
    resends; a seat given up and booked again passes its number on, as it is no longer used."""
    return sorted(flight.layout.seat_names(), key=seat_sort_key).index(seat) + 1


def boarding_passes(booking: Booking, flight: Flight, departs_on: date) -> tuple[BoardingPass, ...]:
    """One per passenger, in seat order."""
    return tuple(
        BoardingPass(
            family_name=p.family_name,
            given_name=p.given_name,
            reference=booking.reference,
            origin=flight.origin,
            destination=flight.destination,
            flight_code=flight.code,
            departs_on=departs_on,
            cabin=flight.layout.cabin_of(p.seat).name,
            seat=p.seat,
            sequence=check_in_sequence(flight, p.seat),
        )
        for p in booking.passengers
    )
