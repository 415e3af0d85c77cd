"""What a ticket says, as a traveller and a gate scanner read it: names in their own script
on the e-ticket, the local date in the barcode, a distinct check-in sequence per passenger
on the flight, the price seat by seat in the currency's own digits, and the departure's
zone named as every other server-side output names it."""

from __future__ import annotations

import io
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from lastseat.adapters import ticket_fonts
from lastseat.adapters.mail_render import e_ticket, render
from lastseat.domain.bcbp import encode
from lastseat.domain.bookings import Booking, BookingStatus
from lastseat.domain.flights import Cabin, Flight, Layout
from lastseat.domain.mail import Letter, MailKind, OutboxMail, check_in_sequence, letter
from lastseat.domain.money import Money, format_money
from lastseat.domain.passengers import Passenger
from lastseat.domain.pricing import Quote, QuoteLine
from lastseat.entrypoints.cli.traveller import _departure
from lastseat.services.airports import departure_date, local_time, zone_label
from tests.support.mail import barcodes, pdfs, text_part

# 00:30 on 4 March in Tokyo is still 3 March in UTC.
DEPARTS = datetime(2031, 3, 3, 15, 30, tzinfo=UTC)
FLIGHT = Flight(
    7, "LS88", "NRT", "SYD", DEPARTS,
    Layout((Cabin("economy", 1, 20, "ABCDEF", Money(80_000, "JPY"), exit_rows=(10,)),)),
)  # fmt: skip
PASSENGERS = (
    Passenger("10A", "Zoë", "O'Brien-Łukasiewicz"),
    Passenger("10B", "小龍", "李"),
)


def _yen(amount: int) -> Money:
    return Money(amount, "JPY")


QUOTE = Quote(
    lines=(
        QuoteLine("10A", "economy", _yen(80_000), 1_000,
                  (("exit_row", _yen(6_000)), ("window", _yen(1_500))), _yen(87_500)),
        QuoteLine("10B", "economy", _yen(80_000), 1_000, (("exit_row", _yen(6_000)),),
                  _yen(86_000)),
    ),
    subtotal=_yen(173_500), discount=_yen(0), taxes=_yen(12_345), total=_yen(185_845),
)  # fmt: skip


def _booking(passengers: tuple[Passenger, ...], reference: str = "KTYZ2345") -> Booking:
    return Booking(
        id=uuid.uuid4(),
        reference=reference,
        user_id=uuid.uuid4(),
        flight_id=FLIGHT.id,
        seats=tuple(p.seat for p in passengers),
        total=_yen(185_845),
        status=BookingStatus.CONFIRMED,
        created_at=DEPARTS - timedelta(days=3),
        passengers=passengers,
    )


def _letter(booking: Booking, quote: Quote = QUOTE) -> Letter:
    mail = OutboxMail(
        1, "<t1@lastseat.test>", MailKind.BOOKED, booking.id, "zoe@example.com", None,
        booking.user_id, booking.created_at,
    )  # fmt: skip
    departs_on = departure_date(FLIGHT.departs_at, FLIGHT.origin)
    return letter(mail, booking, FLIGHT, timedelta(minutes=120), departs_on, quote)


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_e_ticket_prints_names_in_their_own_script() -> None:
    made = _letter(_booking(PASSENGERS))
    latin, cjk = (_pdf_text(e_ticket(made, boarding)) for boarding in made.boarding_passes)
    assert "Zoë O'Brien-Łukasiewicz" in latin
    assert "小龍 李" in cjk
    assert "?" not in latin + cjk


def test_the_cjk_font_is_embedded_only_in_a_ticket_that_needs_it() -> None:
    latin = _letter(_booking((Passenger("10A", "Zoë", "Ørsted"),)))
    cjk = _letter(_booking(PASSENGERS[1:]))
    assert b"DroidSansFallback" not in e_ticket(latin, latin.boarding_passes[0])
    assert b"DroidSansFallback" in e_ticket(cjk, cjk.boarding_passes[0])


def test_the_fonts_packages_are_named_when_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert ticket_fonts.missing_packages() == []  # scripts/setup installed them
    gone = tuple(replace_path(font, tmp_path) for font in ticket_fonts.FONTS)
    monkeypatch.setattr(ticket_fonts, "FONTS", gone)
    made = _letter(_booking(PASSENGERS))
    with pytest.raises(ticket_fonts.FontsMissing, match="fonts-dejavu-core fonts-droid-fallback"):
        e_ticket(made, made.boarding_passes[0])


def replace_path(font: tuple[str, str, Path, str], folder: Path) -> tuple[str, str, Path, str]:
    family, style, path, package = font
    return family, style, folder / path.name, package


def test_the_barcode_carries_the_local_date_of_departure() -> None:
    made = _letter(_booking(PASSENGERS))
    [text] = barcodes(pdfs(render(made, "x@lastseat.test"))["e-ticket-KTYZ2345-10A.pdf"])
    assert text[44:47] == "063"  # 4 March in Tokyo, though 3 March (062) in UTC
    assert text == encode(made.boarding_passes[0])


def test_the_barcode_names_the_passenger_in_ascii_capitals() -> None:
    made = _letter(_booking(PASSENGERS))
    assert [encode(b)[2:22] for b in made.boarding_passes] == [
        "OBRIENLUKASIEWICZ/ZO",
        "LI/XIAOLONG".ljust(20),
    ]


def test_each_passenger_on_the_flight_has_a_check_in_sequence_of_their_own() -> None:
    one = _letter(_booking((Passenger("1A", "Ann", "Lee"),), "AAAA2345"))
    other = _letter(_booking((Passenger("1B", "Bo", "Kim"),), "BBBB2345"))
    sequences = [encode(b)[52:57] for b in one.boarding_passes + other.boarding_passes]
    assert sequences == ["0001 ", "0002 "]
    every_seat = [check_in_sequence(FLIGHT, seat) for seat in FLIGHT.layout.seat_names()]
    assert sorted(every_seat) == list(range(1, FLIGHT.layout.capacity + 1))


def test_the_ticket_breaks_the_price_down_in_travellers_words_and_the_currencys_digits() -> None:
    message = render(_letter(_booking(PASSENGERS)), "x@lastseat.test")
    plain, page = text_part(message, "plain"), text_part(message, "html")
    shown = [
        ("Seat 10A, economy fare", "JPY 80,000"),
        ("Exit row seat", "+JPY 6,000"),
        ("Window seat", "+JPY 1,500"),
        ("Seat 10B, economy fare", "JPY 80,000"),
        ("Taxes and fees", "+JPY 12,345"),
        ("Total paid", "JPY 185,845"),
    ]
    for label, amount in shown:
        assert f"{label}: {amount}" in plain
        assert f"<th align='left'>{label}</th><td>{amount}</td>" in page
    for said in (plain, page):
        assert "exit_row" not in said and "Fare and taxes" not in said
        assert "80,000.00" not in said  # yen have no decimals


def test_demand_and_a_discount_are_shown_when_there_are_some() -> None:
    busy = QuoteLine("10A", "economy", _yen(80_000), 1_250, (), _yen(100_000))
    quote = Quote((busy,), _yen(100_000), _yen(0), _yen(10_000), _yen(110_000))
    booking = replace(
        _booking(PASSENGERS[:1]), discount_code="SPRING", discount=5_000, total=_yen(105_000)
    )
    plain = text_part(render(_letter(booking, quote), "x@lastseat.test"), "plain")
    assert "High demand: +JPY 20,000" in plain
    assert "Discount (SPRING): JPY -5,000" in plain
    assert "Total paid: JPY 105,000" in plain


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [(123_450, "EUR", "EUR 1,234.50"), (12_345, "JPY", "JPY 12,345"), (-5, "GBP", "GBP -0.05")],
)
def test_money_has_the_currencys_own_digits(amount: int, currency: str, text: str) -> None:
    assert format_money(Money(amount, currency)) == text


def test_the_mail_and_the_cli_name_the_departures_zone_alike() -> None:
    plain = text_part(render(_letter(_booking(PASSENGERS)), "x@lastseat.test"), "plain")
    assert "Tue 04 Mar 2031, 00:30 Asia/Tokyo (UTC+09:00)" in plain
    local = local_time(DEPARTS, "NRT")
    body = {"departs_local": local.isoformat(), "departure_zone": "Asia/Tokyo"}
    assert _departure(body) == "2031-03-04 00:30 Asia/Tokyo (UTC+09:00)"


def test_zones_behind_utc_and_by_half_hours_are_named_too() -> None:
    at = datetime(2031, 1, 5, 12, 0, tzinfo=UTC)
    assert zone_label("America/St_Johns", local_time(at, "YYT")) == ("America/St_Johns (UTC-03:30)")
