"""`lastseat seats` as text: exit rows marked at both ends, and why each price is what it is,
from the seat map the API encodes."""

from __future__ import annotations

from dataclasses import replace

import orjson

from lastseat.domain.fares import Surcharges
from lastseat.domain.money import Money, format_money, major_units
from lastseat.entrypoints.cli import seat_map_text
from lastseat.entrypoints.cli.traveller import _money
from lastseat.entrypoints.seatmap import SeatMapEncoder
from lastseat.services.catalog import SeatMap
from tests.unit.test_representations import FLIGHT

LAYOUT = replace(FLIGHT.layout, surcharges=Surcharges(exit_row=2_000, window=500))
SEATS = orjson.loads(
    SeatMapEncoder().encode(SeatMap(replace(FLIGHT, layout=LAYOUT), {"14A": "booked"}, 1_000))
)["seats"]


def test_an_exit_row_says_exit_at_both_ends_and_other_rows_do_not() -> None:
    lines = {line.split()[1] if line.startswith("EXIT") else line.split()[0]: line for line in
             seat_map_text.row_lines(SEATS, _money)}  # fmt: skip
    assert lines["14"].startswith("EXIT") and lines["14"].endswith("EXIT")
    assert " 14A x" in lines["14"]
    assert "EXIT" not in lines["13"] and "EXIT" not in lines["15"]


def test_each_price_is_explained_by_its_fare_and_surcharges_in_words() -> None:
    reasons = seat_map_text.price_reasons(SEATS, _money)
    assert (
        "175.00 EUR = economy fare 150.00 EUR + exit row 20.00 EUR + window seat 5.00 EUR: 14A 14F"
        in reasons
    )
    assert "150.00 EUR = economy fare 150.00 EUR: 112 seats" in reasons
    assert "exit_row" not in " ".join(reasons)


def test_a_yen_fare_prints_without_decimals_and_a_euro_with_two_by_digits() -> None:
    yen_cabins = tuple(replace(c, fare=Money(c.fare.amount, "JPY")) for c in LAYOUT.cabins)
    yen = replace(FLIGHT, layout=replace(LAYOUT, cabins=yen_cabins))
    seats = orjson.loads(SeatMapEncoder().encode(SeatMap(yen, {}, 1_000)))["seats"]
    reasons = seat_map_text.price_reasons(seats, _money)
    assert (
        "17,500 JPY = economy fare 15,000 JPY + exit row 2,000 JPY + window seat 500 JPY: 14A 14F"
        in reasons
    )
    assert all("." not in line for line in seat_map_text.row_lines(seats, _money))
    assert _money({"amount": 1_999, "currency": "EUR"}) == "19.99 EUR"  # not 19.990000000000002
    assert major_units(-5, "EUR") == "-0.05" and major_units(-5, "JPY") == "-5"
    assert format_money(Money(123_456, "JPY")) == "JPY 123,456"
    assert format_money(Money(123_456, "GBP")) == "GBP 1,234.56"
