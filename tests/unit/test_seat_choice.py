"""Best-available seats (domain/seat_choice.py): what is chosen is free, as together as
asked, and never leaves more lone seats than another choice of the same kind would."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lastseat.domain.errors import InvalidRequest
from lastseat.domain.flights import Cabin, Layout
from lastseat.domain.money import Money
from lastseat.domain.seat_choice import SeatWish, Together, choose_seats, lone_seats

ECONOMY = Cabin("economy", 3, 12, "ABCDEFGH", Money(15_000, "EUR"), aisle_after="D")
BUSINESS = Cabin("business", 1, 2, "ABCD", Money(60_000, "EUR"), aisle_after="B")
LAYOUT = Layout((BUSINESS, ECONOMY))


def _row_and_letters(seat: str) -> tuple[int, str]:
    return int(seat[:-1]), seat[-1]


def _lone_everywhere(free: set[str]) -> int:
    return sum(
        lone_seats(cabin, row, free)
        for cabin in LAYOUT.cabins
        for row in range(cabin.first_row, cabin.last_row + 1)
    )


def _blocks(cabin: Cabin, count: int, free: set[str], across: bool) -> list[list[str]]:
    """Every choice of `count` free seats next to each other in one row (brute force)."""
    found = []
    for row in range(cabin.first_row, cabin.last_row + 1):
        for start in range(len(cabin.letters) - count + 1):
            letters = cabin.letters[start : start + count]
            if not across and any(letter in cabin.aisle_after for letter in letters[:-1]):
                continue
            block = [f"{row}{letter}" for letter in letters]
            if all(seat in free for seat in block):
                found.append(block)
    return found


free_maps = st.sets(st.sampled_from(LAYOUT.seat_names()))
wishes = st.builds(
    SeatWish,
    count=st.integers(1, 9),
    cabin=st.sampled_from([None, "economy", "business"]),
    together=st.sampled_from(list(Together)),
)


@settings(max_examples=300, deadline=None)
@given(free=free_maps, wish=wishes)
def test_a_choice_is_free_together_and_leaves_no_avoidable_lone_seat(
    free: set[str], wish: SeatWish
) -> None:
    chosen = choose_seats(LAYOUT, free, wish)
    across = wish.together is not Together.ROW
    # the cabins allowed with a choice of the kind asked, cheapest first
    cabins = [
        cabin
        for cabin in wish.cabins(LAYOUT)
        if _blocks(cabin, wish.count, free, across)
        or (
            wish.together is Together.CLOSE
            and len([s for s in free if LAYOUT.cabin_of(s) == cabin]) >= wish.count
        )
    ]
    if chosen is None:  # refused only when nothing of the kind exists
        assert not cabins
        return
    in_one_row = _blocks(cabins[0], wish.count, free, across)
    assert len(chosen) == len(set(chosen)) == wish.count
    assert set(chosen) <= free
    assert {LAYOUT.cabin_of(seat) for seat in chosen} == {cabins[0]}
    rows = {_row_and_letters(seat)[0] for seat in chosen}
    if in_one_row:  # together in one row whenever some row can
        assert len(rows) == 1
        cabin = LAYOUT.cabin_of(chosen[0])
        letters = "".join(_row_and_letters(seat)[1] for seat in chosen)
        assert letters in cabin.letters  # next to each other
        if wish.together is Together.ROW:
            assert not any(letter in cabin.aisle_after for letter in letters[:-1])
        made = _lone_everywhere(free - set(chosen))
        assert made <= min(_lone_everywhere(free - set(block)) for block in in_one_row)
    else:  # over neighbouring rows, as few as hold them
        assert wish.together is Together.CLOSE
        (cabin,) = {LAYOUT.cabin_of(seat) for seat in chosen}
        span = max(rows) - min(rows) + 1
        free_in = [sum(_row_and_letters(s)[0] == r for s in free) for r in range(0, 13)]
        assert all(
            sum(free_in[first : first + span - 1]) < wish.count
            for first in range(cabin.first_row, cabin.last_row - span + 3)
        )


def test_a_group_fills_a_partly_taken_row_before_an_empty_one() -> None:
    free = set(LAYOUT.seat_names()) - {"3A", "3B"}
    assert choose_seats(LAYOUT, free, SeatWish(2, "economy", Together.ROW)) == ("3C", "3D")


def test_three_across_the_aisle_rather_than_a_lone_seat() -> None:
    free = {f"3{letter}" for letter in "ABCDEFGH"}
    assert choose_seats(LAYOUT, free, SeatWish(3, "economy", Together.ROW)) == ("3A", "3B", "3C")
    assert choose_seats(LAYOUT, free, SeatWish(3, "economy", Together.AISLE)) == (
        "3C",
        "3D",
        "3E",
    )


def test_any_cabin_means_the_cheapest_with_room() -> None:
    everything = set(LAYOUT.seat_names())
    assert choose_seats(LAYOUT, everything, SeatWish(2)) == ("3A", "3B")
    only_business = {s for s in everything if LAYOUT.cabin_of(s) is BUSINESS}
    assert choose_seats(LAYOUT, only_business, SeatWish(2)) == ("1A", "1B")


def test_a_random_sale_leaves_few_lone_seats() -> None:
    """Groups of 1 to 4 choosing one after another fill the cabin nearly whole."""
    rng = random.Random(7)
    free = set(LAYOUT.seat_names()) - {s for s in LAYOUT.seat_names() if s[:-1] in "12"}
    while (count := rng.randint(1, 4)) and (
        chosen := choose_seats(LAYOUT, free, SeatWish(count, "economy"))
    ):
        free -= set(chosen)
    assert len(free) < 4 and _lone_everywhere(free) <= 1


def test_wishes_out_of_bounds_are_refused() -> None:
    with pytest.raises(InvalidRequest, match="1 to 9 seats"):
        SeatWish(10)
    with pytest.raises(InvalidRequest, match="no cabin 'first'; it has business, economy"):
        choose_seats(LAYOUT, set(), SeatWish(1, "first"))
    with pytest.raises(InvalidRequest, match="1 to 32 characters"):
        SeatWish(1, "x" * 33)
