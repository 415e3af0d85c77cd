"""A ticket and a cancellation laid out as email: both alternatives say the same things,
and each e-ticket's QR code, read by a real barcode reader (zbar), is the BCBP string."""

from __future__ import annotations

import dataclasses
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
from lastseat.domain.price_words import cancellation_rule
from lastseat.domain.pricing import Quote, QuoteLine
from lastseat.services.airports import departure_date
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
    total=Money(125_000, "EUR"),
    status=BookingStatus.CONFIRMED,
    created_at=DEPARTS - timedelta(days=30),
    discount_code="SPRING",
    discount=5_000,
    passengers=(Passenger("1A", "Zoë", "Ng"), Passenger("12C", "Li", "Wei")),
)


def _eur(amount: int) -> Money:
    return Money(amount, "EUR")


# As the hold priced it: 10% demand on both fares, a window and an exit-row surcharge.
QUOTE = Quote(
    lines=(
        QuoteLine("1A", "business", _eur(90_000), 1_100, (("window", _eur(2_500)),),
                  _eur(101_500)),
        QuoteLine("12C", "economy", _eur(20_000), 1_100, (("exit_row", _eur(3_000)),),
                  _eur(25_000)),
    ),
    subtotal=_eur(126_500), discount=_eur(0), taxes=_eur(3_500), total=_eur(130_000),
)  # fmt: skip


def _letter(kind: MailKind, refund: int | None = None) -> Letter:
    mail = OutboxMail(
        1, "<m1@lastseat.test>", kind, BOOKING.id, "zoe@example.com", refund,
        BOOKING.user_id, DEPARTS - timedelta(days=1),
    )  # fmt: skip
    return letter(
        mail, BOOKING, FLIGHT, timedelta(minutes=120), departure_date(DEPARTS, "LHR"), QUOTE
    )


def test_a_ticket_says_who_sits_where_when_what_it_cost_and_the_cancellation_rule() -> None:
    made = _letter(MailKind.BOOKED)
    message = render(made, "LastSeat <tickets@lastseat.test>")
    assert message["Message-ID"] == "<m1@lastseat.test>"
    for shown in (text_part(message, "plain"), text_part(message, "html")):
        assert "ABCD2345" in shown
        assert "Zoë Ng" in shown and "Seat 12C" in shown
        assert "Thu 10 Jan 2030, 09:00 Europe/London (UTC+00:00)" in shown
        assert (
            "Cancellation: Free cancellation, with a full refund, until 10 Jan 2030, 07:00"
            " Europe/London (UTC+00:00), 2 hours before departure; not after."
        ) in shown.replace("</th><td>", ": ")
    tickets = pdfs(message)
    assert list(tickets) == ["e-ticket-ABCD2345-1A.pdf", "e-ticket-ABCD2345-12C.pdf"]
    [business] = barcodes(tickets["e-ticket-ABCD2345-1A.pdf"])
    [economy] = barcodes(tickets["e-ticket-ABCD2345-12C.pdf"])
    assert business == "M1" + "NG/ZOE".ljust(20) + "EABCD234LHRJFKLS 0101 010J001A0001 000"
    # the check-in sequence is the seat's place on the aircraft: 4 business seats, then
    # rows 10 and 11 of six, then 12A, 12B, 12C
    assert economy[2:22] == "WEI/LI".ljust(20) and economy[47:57] == "Y012C0019 "


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


def test_a_ticket_names_the_arrival_on_the_destination_s_clocks() -> None:
    arriving = dataclasses.replace(FLIGHT, arrives_at=DEPARTS + timedelta(hours=7, minutes=40))
    message = render(dataclasses.replace(_letter(MailKind.BOOKED), flight=arriving), "x@l.test")
    for shown in (text_part(message, "plain"), text_part(message, "html")):
        assert "Thu 10 Jan 2030, 11:40 America/New_York (UTC-05:00)" in shown
    # a flight whose arrival was never recorded says so, not a made-up time
    assert "not known" in text_part(render(_letter(MailKind.BOOKED), "x@lastseat.test"), "plain")


def test_the_cancellation_rule_is_one_sentence_whatever_the_cutoff() -> None:
    closes = "10 Dec 2026, 22:30 Asia/Tokyo (UTC+09:00)"
    words = {m: cancellation_rule(closes, m) for m in (0, 1, 60, 90, 120)}
    assert words[120] == (
        "Free cancellation, with a full refund, until 10 Dec 2026, 22:30 Asia/Tokyo"
        " (UTC+09:00), 2 hours before departure; not after."
    )
    assert ", 1 hour before departure;" in words[60] and ", 90 minutes before" in words[90]
    assert ", 1 minute before" in words[1] and f"{closes}, at departure; not after." in words[0]
    assert all(w.endswith(".") and "((" not in w and "))" not in w for w in words.values())
