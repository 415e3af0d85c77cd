"""A ticket and a cancellation laid out as email: both alternatives say the same things,
and each e-ticket's QR code, read by a real barcode reader (zbar), is the BCBP string."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

from PIL import Image
from pyzbar.pyzbar import decode

from lastseat.adapters.mail_render import qr_png, render
from lastseat.domain.bcbp import encode
from lastseat.domain.bookings import Booking, BookingStatus
from lastseat.domain.flights import Cabin, Flight, Layout
from lastseat.domain.mail import Letter, MailKind, OutboxMail, letter
from lastseat.domain.money import Money
from lastseat.domain.passengers import Passenger
from tests.support.mail import barcodes, pdfs, text_part

DEPARTS = datetime(2030, 1, 10, 9, 0, tzinfo=UTC)
FLIGHT = Flight(
    1, "LS101", "LHR", "JFK", DEPARTS,
    Layout((Cabin("business", 1, 2, "AB", Money(90_000, "EUR")),
            Cabin("economy", 10, 30, "ABCDEF", Money(20_000, "EUR")))),
)  # fmt: skip
BOOKING = Booking(
    id=uuid.uuid4(),
    reference="ABCD2345",
    user_id=uuid.uuid4(),
    flight_id=1,
    seats=("1A", "12C"),
    total=Money(100_000, "EUR"),
    status=BookingStatus.CONFIRMED,
    created_at=DEPARTS - timedelta(days=30),
    discount_code="SPRING",
    discount=5_000,
    passengers=(Passenger("1A", "Zoë", "Ng"), Passenger("12C", "Li", "Wei")),
)


def _letter(kind: MailKind, refund: int | None = None) -> Letter:
    mail = OutboxMail(
        1, "<m1@lastseat.test>", kind, BOOKING.id, "zoe@example.com", refund,
        BOOKING.user_id, DEPARTS - timedelta(days=1),
    )  # fmt: skip
    return letter(mail, BOOKING, FLIGHT, timedelta(minutes=120))


def test_a_ticket_says_who_sits_where_when_what_it_cost_and_the_cancellation_rule() -> None:
    made = _letter(MailKind.BOOKED)
    message = render(made, "LastSeat <tickets@lastseat.test>")
    assert message["Message-ID"] == "<m1@lastseat.test>"
    for shown in (text_part(message, "plain"), text_part(message, "html")):
        assert "ABCD2345" in shown
        assert "Zoë Ng" in shown and "Seat 12C" in shown
        assert "Thu 10 Jan 2030, 09:00 GMT (Europe/London)" in shown
        assert "EUR 1,050.00" in shown  # fare and taxes
        assert "EUR -50.00" in shown and "SPRING" in shown
        assert "EUR 1,000.00" in shown  # paid
        assert "120 minutes before departure (10 Jan 2030, 07:00 GMT (Europe/London))" in shown
    tickets = pdfs(message)
    assert list(tickets) == ["e-ticket-ABCD2345-1A.pdf", "e-ticket-ABCD2345-12C.pdf"]
    [business] = barcodes(tickets["e-ticket-ABCD2345-1A.pdf"])
    [economy] = barcodes(tickets["e-ticket-ABCD2345-12C.pdf"])
    assert business == "M1" + "NG/ZOE".ljust(20) + "EABCD234LHRJFKLS 0101 010J001A0001 000"
    assert economy[2:22] == "WEI/LI".ljust(20) and economy[47:57] == "Y012C0002 "


def test_a_cancellation_says_what_is_paid_back_and_attaches_nothing() -> None:
    message = render(_letter(MailKind.CANCELLED, 100_000), "x@lastseat.test")
    assert "Cancelled" in str(message["Subject"])
    assert "Refunded: EUR 1,000.00" in text_part(message, "plain")
    assert pdfs(message) == {}


def test_the_qr_code_reads_back_as_the_bcbp_string() -> None:
    made = _letter(MailKind.BOOKED)
    boarding = made.boarding_passes[0]
    [symbol] = decode(Image.open(io.BytesIO(qr_png(encode(boarding)))))
    assert symbol.data.decode() == encode(boarding)
