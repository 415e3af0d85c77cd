"""A booking on one flight and the letter that mails its e-tickets, for tests of what a
ticket prints: the flight leaves Tokyo at 00:30 local time, still the day before in UTC."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader

from lastseat.domain.bookings import Booking, BookingStatus
from lastseat.domain.flights import Cabin, Flight, Layout
from lastseat.domain.mail import Letter, MailKind, OutboxMail, letter
from lastseat.domain.money import Money
from lastseat.domain.passengers import Passenger
from lastseat.domain.pricing import Quote, QuoteLine
from lastseat.services.airports import departure_date

# 00:30 on 4 March in Tokyo is still 3 March in UTC.
DEPARTS = datetime(2031, 3, 3, 15, 30, tzinfo=UTC)
FLIGHT = Flight(
    7, "LS88", "NRT", "SYD", DEPARTS,
    Layout((Cabin("economy", 1, 20, "ABCDEF", Money(80_000, "JPY"), exit_rows=(10,)),)),
)  # fmt: skip


def yen(amount: int) -> Money:
    return Money(amount, "JPY")


QUOTE = Quote(
    lines=(
        QuoteLine("10A", "economy", yen(80_000), 1_000,
                  (("exit_row", yen(6_000)), ("window", yen(1_500))), yen(87_500)),
        QuoteLine("10B", "economy", yen(80_000), 1_000, (("exit_row", yen(6_000)),),
                  yen(86_000)),
    ),
    subtotal=yen(173_500), discount=yen(0), taxes=yen(12_345), total=yen(185_845),
)  # fmt: skip


def booking_of(passengers: tuple[Passenger, ...], reference: str = "KTYZ2345") -> Booking:
    return Booking(
        id=uuid.uuid4(),
        reference=reference,
        user_id=uuid.uuid4(),
        flight_id=FLIGHT.id,
        seats=tuple(p.seat for p in passengers),
        total=yen(185_845),
        status=BookingStatus.CONFIRMED,
        created_at=DEPARTS - timedelta(days=3),
        passengers=passengers,
    )


def ticket_letter(booked: Booking, quote: Quote = QUOTE) -> Letter:
    mail = OutboxMail(
        1, "<t1@lastseat.test>", MailKind.BOOKED, booked.id, "zoe@example.com", None,
        booked.user_id, booked.created_at,
    )  # fmt: skip
    departs_on = departure_date(FLIGHT.departs_at, FLIGHT.origin)
    return letter(mail, booked, FLIGHT, timedelta(minutes=120), departs_on, quote)


def pdf_text(pdf: bytes) -> str:
    """The PDF's text as a reader extracts it (pypdf), page after page."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
