"""What a ticket says, as a traveller and a gate scanner read it: names in their own script
on the e-ticket, the local date in the barcode, a distinct check-in sequence per passenger
on the flight, the price seat by seat in the currency's own digits, and the departure's
zone named as every other server-side output names it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lastseat.adapters import ticket_fonts
from lastseat.adapters.mail_render import e_ticket, render
from lastseat.domain.bcbp import encode
from lastseat.domain.mail import check_in_sequence
from lastseat.domain.money import Money, format_money
from lastseat.domain.passengers import Passenger
from lastseat.domain.pricing import Quote, QuoteLine
from lastseat.entrypoints.cli.traveller import _departure
from lastseat.services.airports import local_time, zone_label
from tests.support.mail import barcodes, pdfs, text_part
from tests.support.tickets import DEPARTS, FLIGHT, booking_of, pdf_text, ticket_letter, yen

PASSENGERS = (
    Passenger("10A", "Zoë", "O'Brien-Łukasiewicz"),
    Passenger("10B", "小龍", "李"),
)


def test_the_e_ticket_prints_names_in_their_own_script() -> None:
    made = ticket_letter(booking_of(PASSENGERS))
    latin, cjk = (pdf_text(e_ticket(made, boarding)) for boarding in made.boarding_passes)
    assert "Zoë O'Brien-Łukasiewicz" in latin
    assert "小龍 李" in cjk
    assert "?" not in latin + cjk


def test_the_cjk_font_is_embedded_only_in_a_ticket_that_needs_it() -> None:
    latin = ticket_letter(booking_of((Passenger("10A", "Zoë", "Ørsted"),)))
    cjk = ticket_letter(booking_of(PASSENGERS[1:]))
    assert b"WenQuanYi" not in e_ticket(latin, latin.boarding_passes[0])
    assert b"WenQuanYi" in e_ticket(cjk, cjk.boarding_passes[0])


def test_the_fonts_packages_are_named_when_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert ticket_fonts.missing_packages() == []  # scripts/setup installed them
    gone = tuple(replace(font, path=tmp_path / font.path.name) for font in ticket_fonts.FONTS)
    monkeypatch.setattr(ticket_fonts, "FONTS", gone)
    made = ticket_letter(booking_of(PASSENGERS))
    every = "fonts-dejavu-core fonts-hanazono fonts-noto-ui-core fonts-sil-abyssinica"
    with pytest.raises(ticket_fonts.FontsMissing, match=f"{every} fonts-wqy-microhei"):
        e_ticket(made, made.boarding_passes[0])


def test_the_barcode_carries_the_local_date_of_departure() -> None:
    made = ticket_letter(booking_of(PASSENGERS))
    [text] = barcodes(pdfs(render(made, "x@lastseat.test"))["e-ticket-KTYZ2345-10A.pdf"])
    assert text[44:47] == "063"  # 4 March in Tokyo, though 3 March (062) in UTC
    assert text == encode(made.boarding_passes[0])


def test_the_barcode_names_the_passenger_in_ascii_capitals() -> None:
    made = ticket_letter(booking_of(PASSENGERS))
    assert [encode(b)[2:22] for b in made.boarding_passes] == [
        "OBRIENLUKASIEWICZ/ZO",
        "LI/XIAOLONG".ljust(20),
    ]


def test_each_passenger_on_the_flight_has_a_check_in_sequence_of_their_own() -> None:
    one = ticket_letter(booking_of((Passenger("1A", "Ann", "Lee"),), "AAAA2345"))
    other = ticket_letter(booking_of((Passenger("1B", "Bo", "Kim"),), "BBBB2345"))
    sequences = [encode(b)[52:57] for b in one.boarding_passes + other.boarding_passes]
    assert sequences == ["0001 ", "0002 "]
    every_seat = [check_in_sequence(FLIGHT, seat) for seat in FLIGHT.layout.seat_names()]
    assert sorted(every_seat) == list(range(1, FLIGHT.layout.capacity + 1))


def test_the_ticket_breaks_the_price_down_in_travellers_words_and_the_currencys_digits() -> None:
    message = render(ticket_letter(booking_of(PASSENGERS)), "x@lastseat.test")
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
    busy = QuoteLine("10A", "economy", yen(80_000), 1_250, (), yen(100_000))
    quote = Quote((busy,), yen(100_000), yen(0), yen(10_000), yen(110_000))
    booking = replace(
        booking_of(PASSENGERS[:1]), discount_code="SPRING", discount=5_000, total=yen(105_000)
    )
    plain = text_part(render(ticket_letter(booking, quote), "x@lastseat.test"), "plain")
    assert "High demand: +JPY 20,000" in plain
    assert "Discount (SPRING): \u2212JPY 5,000" in plain
    assert "Total paid: JPY 105,000" in plain


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [(123_450, "EUR", "EUR 1,234.50"), (12_345, "JPY", "JPY 12,345"), (-5, "GBP", "GBP -0.05")],
)
def test_money_has_the_currencys_own_digits(amount: int, currency: str, text: str) -> None:
    assert format_money(Money(amount, currency)) == text


def test_the_mail_and_the_cli_name_the_departures_zone_alike() -> None:
    plain = text_part(render(ticket_letter(booking_of(PASSENGERS)), "x@lastseat.test"), "plain")
    assert "Tue 04 Mar 2031, 00:30 Asia/Tokyo (UTC+09:00)" in plain
    local = local_time(DEPARTS, "NRT")
    body = {"departs_local": local.isoformat(), "departure_zone": "Asia/Tokyo"}
    assert _departure(body) == "2031-03-04 00:30 Asia/Tokyo (UTC+09:00)"


def test_zones_behind_utc_and_by_half_hours_are_named_too() -> None:
    at = datetime(2031, 1, 5, 12, 0, tzinfo=UTC)
    assert zone_label("America/St_Johns", local_time(at, "YYT")) == ("America/St_Johns (UTC-03:30)")
