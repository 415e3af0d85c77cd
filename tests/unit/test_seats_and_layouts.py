"""Domain rules for seats, layouts and money, with no database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lastseat.domain.errors import InvalidFields, InvalidRequest, seat_sort_key
from lastseat.domain.flights import (
    Cabin,
    Layout,
    SeatStatus,
    can_transition,
    normalise_seat,
    validate_route,
)
from lastseat.domain.money import CurrencyMismatch, Money
from lastseat.services.samples import standard_layout


def eur(amount: int) -> Money:
    return Money(amount, "EUR")


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        (SeatStatus.AVAILABLE, SeatStatus.HELD, True),
        (SeatStatus.AVAILABLE, SeatStatus.BOOKED, False),
        (SeatStatus.HELD, SeatStatus.BOOKED, True),
        (SeatStatus.HELD, SeatStatus.AVAILABLE, True),
        (SeatStatus.HELD, SeatStatus.HELD, False),
        (SeatStatus.BOOKED, SeatStatus.AVAILABLE, True),
        (SeatStatus.BOOKED, SeatStatus.HELD, False),
        (SeatStatus.BOOKED, SeatStatus.BOOKED, False),
    ],
)
def test_seat_state_machine(current: SeatStatus, new: SeatStatus, allowed: bool) -> None:
    assert can_transition(current, new) is allowed


def test_standard_layout_has_180_named_seats_in_cabins() -> None:
    layout = standard_layout()
    names = layout.seat_names()
    assert len(names) == 180 == len(set(names))
    assert names[:3] == ["1A", "1C", "2A"]
    assert layout.cabin_of("1A").name == "business"
    assert layout.cabin_of("32F").name == "economy"
    assert layout.unknown_seats(["1B", "33A", "4B"]) == ["1B", "33A"]
    with pytest.raises(InvalidRequest, match="1B"):
        layout.cabin_of("1B")


@pytest.mark.parametrize(
    ("cabins", "message"),
    [
        ((), "at least one cabin"),
        ((Cabin("y", 1, 5, "AB", eur(1)), Cabin("y", 6, 7, "AB", eur(1))), "unique"),
        ((Cabin("y", 5, 1, "AB", eur(1)),), "rows"),
        ((Cabin("y", 1, 100, "AB", eur(1)),), "rows"),
        ((Cabin("y", 1, 5, "AA", eur(1)),), "repeat"),
        ((Cabin("y", 1, 5, "ab", eur(1)),), "capital"),
        ((Cabin("y", 1, 5, "AB", eur(0)),), "positive"),
        ((Cabin("j", 1, 5, "AB", eur(1)), Cabin("y", 5, 9, "AB", eur(1))), "overlap"),
        ((Cabin("j", 1, 5, "AB", eur(1)), Cabin("y", 6, 9, "AB", Money(1, "USD"))), "currency"),
        ((Cabin("y", 1, 99, "ABCDEFGHJK", eur(1)), Cabin("z", 1, 1, "A", eur(1))), "overlap"),
        ((Cabin("y", 1, 99, "ABCDEFGHJKL", eur(1)),), "at most"),
    ],
)
def test_invalid_layouts_are_refused(cabins: tuple[Cabin, ...], message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        Layout(cabins)


@pytest.mark.parametrize(
    ("code", "origin", "destination"),
    [
        ("L1", "LHR", "JFK"),
        ("LS101", "LH", "JFK"),
        ("LS101", "lhr", "JFK"),
        ("LS1", "LHR", "LHR"),
        ("LS101", "LHR\n", "JFK"),
        ("LS101\n", "LHR", "JFK"),
    ],
)
def test_invalid_routes_are_refused(code: str, origin: str, destination: str) -> None:
    with pytest.raises(InvalidRequest):
        validate_route(code, origin, destination)


@pytest.mark.parametrize("name", ["", "A12", "0A", "100A", "12", "12AB", "1-A", "\u0661A"])
def test_malformed_seat_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidRequest):
        normalise_seat(name)


def test_seat_names_are_normalised() -> None:
    assert normalise_seat(" 12a ") == "12A"


@given(st.lists(st.tuples(st.integers(1, 99), st.sampled_from("ABCDEFK")), min_size=1))
def test_seat_order_is_by_row_number_then_letter(seats: list[tuple[int, str]]) -> None:
    names = [f"{row}{letter}" for row, letter in seats]
    assert [seat_sort_key(n) for n in sorted(names, key=seat_sort_key)] == sorted(seats)


def test_money_is_integer_minor_units_of_one_currency() -> None:
    assert eur(150) + eur(50) == eur(200)
    assert eur(150) - eur(50) == eur(100)
    with pytest.raises(CurrencyMismatch):
        eur(1) + Money(1, "USD")
    with pytest.raises(TypeError):
        Money(1.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(True, "EUR")
    with pytest.raises(ValueError, match="currency"):
        Money(1, "XXX")


def test_every_rule_a_layout_breaks_is_named_at_its_cabin_s_field_at_once() -> None:
    with pytest.raises(InvalidFields) as refused:
        Layout(
            (
                Cabin("j", 1, 5, "AB", eur(1), aisle_after="B"),
                Cabin("j", 5, 9, "AA", eur(1), exit_rows=(12,)),
            )
        )
    assert [(r.loc, r.rule) for r in refused.value.refusals] == [
        (("cabins", 0, "aisle_after"), "aisle-misplaced"),
        (("cabins", 1, "cabin"), "cabin-name-taken"),
        (("cabins", 1, "letters"), "letters-repeat"),
        (("cabins", 1, "rows"), "rows-overlap"),
        (("cabins", 1, "exit_rows"), "exit-rows-outside"),
    ]
