"""`lastseat seats` as text: exit rows marked at both ends, and why each price is what it is,
from the seat map the API encodes, in the words and money format mail uses."""

from __future__ import annotations

from dataclasses import replace

import orjson

from lastseat.domain.fares import Surcharges
from lastseat.domain.money import Money, format_money, major_units
from lastseat.entrypoints.cli import seat_map_text
from lastseat.entrypoints.cli.wording import money_text
from lastseat.entrypoints.seatmap import SeatMapEncoder
from lastseat.services.catalog import SeatMap
from tests.unit.test_representations import FLIGHT

LAYOUT = replace(FLIGHT.layout, surcharges=Surcharges(exit_row=2_000, window=500))
SEATS = orjson.loads(
    SeatMapEncoder().encode(SeatMap(replace(FLIGHT, layout=LAYOUT), {"14A": "booked"}, 1_000))
)["seats"]


def test_an_exit_row_says_exit_at_both_ends_and_other_rows_do_not() -> None:
    lines = {line.split()[1] if line.startswith("EXIT") else line.split()[0]: line for line in
             seat_map_text.row_lines(SEATS)}  # fmt: skip
    assert lines["14"].startswith("EXIT") and lines["14"].endswith("EXIT")
    assert " 14A x" in lines["14"]
    assert "EXIT" not in lines["13"] and "EXIT" not in lines["15"]


def test_each_price_is_explained_by_its_fare_and_surcharges_in_words() -> None:
    """The surcharges are named as the ticket mail and the web client name them."""
    reasons = seat_map_text.price_reasons(SEATS)
    assert (
        "EUR 175.00 = Economy fare EUR 150.00 + Exit row seat EUR 20.00"
        " + Window seat EUR 5.00: 14A 14F"
    ) in reasons
    assert "EUR 150.00 = Economy fare EUR 150.00: 112 seats" in reasons
    assert "exit_row" not in " ".join(reasons)


def test_a_surcharge_newer_than_the_cli_is_still_said_in_words() -> None:
    seat = {**SEATS[0], "price_parts": {**SEATS[0]["price_parts"], "surcharges": [
        {"kind": "bulkhead", "amount": 700, "currency": "EUR"}]}}  # fmt: skip
    [reason] = seat_map_text.price_reasons([seat])
    assert "Seat extra EUR 7.00" in reason and "bulkhead" not in reason


def test_a_yen_fare_prints_without_decimals_and_a_euro_with_two_by_digits() -> None:
    yen_cabins = tuple(replace(c, fare=Money(c.fare.amount, "JPY")) for c in LAYOUT.cabins)
    yen = replace(FLIGHT, layout=replace(LAYOUT, cabins=yen_cabins))
    seats = orjson.loads(SeatMapEncoder().encode(SeatMap(yen, {}, 1_000)))["seats"]
    reasons = seat_map_text.price_reasons(seats)
    assert (
        "JPY 17,500 = Economy fare JPY 15,000 + Exit row seat JPY 2,000"
        " + Window seat JPY 500: 14A 14F"
    ) in reasons
    assert all("." not in line for line in seat_map_text.row_lines(seats))
    assert money_text({"amount": 1_999, "currency": "EUR"}) == "EUR 19.99"  # not 19.990000000000002
    assert major_units(-5, "EUR") == "-0.05" and major_units(-5, "JPY") == "-5"
    assert format_money(Money(123_456, "JPY")) == "JPY 123,456"
    assert format_money(Money(123_456, "GBP")) == "GBP 1,234.56"
