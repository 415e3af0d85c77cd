"""Best-available seats: a group asks for N seats of a cabin, and the seats are chosen for
it from the free ones, as together as they allow.

How together:
  row    side by side in one row, no aisle between them
  aisle  in one row, next to each other across an aisle if need be
  close  in one row if any has room (side by side first), else over as few neighbouring
         rows as hold them
A lone seat is a free seat with no free neighbour on its side of the aisle (taken seats, the
aisle or the cabin wall on both sides): only a solo traveller can use it. A choice never
leaves more lone seats than another choice of the same kind would; among those it takes the
row with the fewest seats to spare (a nearly full row before an empty one, so whole rows
stay for the large groups still to come), then the front row, the window side. The cabin
comes first: the cheapest allowed that has a choice of the kind asked (a group is never
moved to a dearer cabin to spare a lone seat).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from lastseat.domain.errors import InvalidRequest
from lastseat.domain.flights import Cabin, Layout
from lastseat.domain.holds import MAX_SEATS_PER_HOLD, MIN_SEATS_PER_HOLD

MAX_CABIN_NAME_LENGTH = 32


class Together(StrEnum):
    ROW = "row"
    AISLE = "aisle"
    CLOSE = "close"


@dataclass(frozen=True, slots=True)
class SeatWish:
    count: int
    cabin: str | None = None  # None: any cabin, the cheapest with room first
    together: Together = Together.CLOSE

    def __post_init__(self) -> None:
        if self.cabin is not None and not 1 <= len(self.cabin) <= MAX_CABIN_NAME_LENGTH:
            raise InvalidRequest(f"a cabin's name is 1 to {MAX_CABIN_NAME_LENGTH} characters")
        if not MIN_SEATS_PER_HOLD <= self.count <= MAX_SEATS_PER_HOLD:
            raise InvalidRequest(
                f"a hold takes {MIN_SEATS_PER_HOLD} to {MAX_SEATS_PER_HOLD} seats, got {self.count}"
            )

    def cabins(self, layout: Layout) -> list[Cabin]:
        """The cabins the wish allows, cheapest first (front first at the same fare)."""
        names = [cabin.name for cabin in layout.cabins]
        if self.cabin is not None and self.cabin not in names:
            raise InvalidRequest(
                f"this flight has no cabin {self.cabin!r}; it has " + ", ".join(names)
            )
        allowed = [c for c in layout.cabins if self.cabin in (None, c.name)]
        return sorted(allowed, key=lambda cabin: cabin.fare.amount)

    def words(self) -> str:
        where = {
            Together.ROW: "side by side in one row",
            Together.AISLE: "in one row",
            Together.CLOSE: "",
        }[self.together]
        cabin = f" in {self.cabin}" if self.cabin else " in one cabin"
        return (
            " ".join(
                part
                for part in (f"{self.count} seat{'s' if self.count > 1 else ''}", where)
                if part
            )
            + cabin
        )


def lone_seats(cabin: Cabin, row: int, free: AbstractSet[str]) -> int:
    """The free seats of a row that have no free neighbour on their side of the aisle."""
    return _lone([f"{row}{letter}" in free for letter in cabin.letters], _aisles(cabin))


def _aisles(cabin: Cabin) -> list[bool]:
    """Per letter of the cabin: an aisle on its right."""
    return [letter in cabin.aisle_after for letter in cabin.letters]


def _lone(free: Sequence[bool], aisles: Sequence[bool]) -> int:
    lone = run = 0
    for is_free, aisle in zip(free, aisles, strict=True):
        if is_free:
            run += 1
        else:
            lone += run == 1
            run = 0
        if aisle:
            lone += run == 1
            run = 0
    return lone + (run == 1)


@dataclass(frozen=True, slots=True)
class _Choice:
    seats: tuple[str, ...]
    key: tuple[int, ...]


@cache
def _rows(cabin: Cabin) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """The cabin's rows and their seats' names, made once per cabin (a choice reads them
    all, in a transaction that other groups' choices wait on)."""
    return tuple(
        (row, tuple(f"{row}{letter}" for letter in cabin.letters))
        for row in range(cabin.first_row, cabin.last_row + 1)
    )


def _in_one_row(cabin: Cabin, count: int, free: set[str], across_aisle: bool) -> list[_Choice]:
    aisles = _aisles(cabin)
    width = len(aisles)
    best: tuple[tuple[int, ...], tuple[str, ...]] | None = None
    for row, names in _rows(cabin):
        flags = [name in free for name in names]
        spare = sum(flags) - count
        if spare < 0:
            continue
        before = _lone(flags, aisles)
        for start in range(width - count + 1):
            end = start + count
            if not all(flags[start:end]):
                continue
            crosses = any(aisles[start : end - 1])
            if crosses and not across_aisle:
                continue
            made = _lone(flags[:start] + [False] * count + flags[end:], aisles) - before
            key = (made, int(crosses), spare, row, start)
            if best is None or key < best[0]:
                best = (key, names[start:end])
    return [] if best is None else [_Choice(best[1], best[0])]


def _over_rows(cabin: Cabin, count: int, free: set[str]) -> list[_Choice]:
    """Seats over as few neighbouring rows as hold `count`: whole runs of free seats first
    (taking a run whole leaves no lone seat), the rest from a run it fits best."""
    rows = range(cabin.first_row, cabin.last_row + 1)
    runs_of = {row: _runs(cabin, row, free) for row in rows}
    found: list[_Choice] = []
    for span in range(1, len(rows) + 1):
        for first in range(cabin.first_row, cabin.last_row - span + 2):
            window = range(first, first + span)
            runs = [run for row in window for run in runs_of[row]]
            if sum(len(run) for run in runs) < count:
                continue
            seats = _fill(runs, count)
            left = free.difference(seats)
            made = sum(lone_seats(cabin, r, left) - lone_seats(cabin, r, free) for r in window)
            spare = sum(len(run) for run in runs) - count
            found.append(_Choice(tuple(seats), (made, spare, first)))
        if found:
            return found
    return found


def _runs(cabin: Cabin, row: int, free: set[str]) -> list[list[str]]:
    """The row's free seats in runs, each bounded by taken seats, the aisle or the wall."""
    runs: list[list[str]] = [[]]
    for letter in cabin.letters:
        seat = f"{row}{letter}"
        if seat in free:
            runs[-1].append(seat)
        elif runs[-1]:
            runs.append([])
        if letter in cabin.aisle_after and runs[-1]:
            runs.append([])
    return [run for run in runs if run]


def _fill(runs: Sequence[list[str]], count: int) -> list[str]:
    chosen: list[str] = []
    rest = sorted(runs, key=len, reverse=True)
    while rest and len(chosen) < count:
        need = count - len(chosen)
        whole = next((run for run in rest if len(run) <= need), None)
        if whole is not None and len(whole) != need - 1:
            chosen += whole
            rest.remove(whole)
            continue
        # the last seats: from a run they fill exactly or leave at least two of, if any
        fits = [run for run in rest if len(run) == need or len(run) >= need + 2]
        run = min(fits or rest, key=len)
        chosen += run[:need]
        rest.remove(run)
    return chosen


def choose_seats(layout: Layout, free: Iterable[str], wish: SeatWish) -> tuple[str, ...] | None:
    """The seats chosen for `wish` from the `free` ones, or None if no choice fits it: in
    the cheapest cabin allowed that has a choice of the kind asked."""
    free = set(free)
    for cabin in wish.cabins(layout):
        found = _in_one_row(cabin, wish.count, free, wish.together is not Together.ROW)
        if not found and wish.together is Together.CLOSE:
            found = _over_rows(cabin, wish.count, free)
        if found:
            return min(found, key=lambda choice: choice.key).seats
    return None
