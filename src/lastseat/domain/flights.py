"""Flights and their seat layouts: cabins by row range and seat letters."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from lastseat.domain.errors import CancellationClosed, FlightClosed, InvalidRequest
from lastseat.domain.fares import Surcharges
from lastseat.domain.money import Money

MAX_ROWS = 99
MAX_SEATS_PER_FLIGHT = 1_000
AIRPORT = re.compile(r"^[A-Z]{3}$")
FLIGHT_CODE = re.compile(r"^[A-Z0-9]{2}[0-9]{1,4}$")
SEAT_NAME = re.compile(r"^([1-9][0-9]?)([A-Z])$")
# Longer than the longest scheduled non-stop (about 19 h): an arrival later than this is a typo.
MAX_FLIGHT_TIME = timedelta(hours=20)


class SeatStatus(StrEnum):
    AVAILABLE = "available"
    HELD = "held"
    BOOKED = "booked"


# The seat state machine: what each state may become. Anything else is a bug or a race lost.
TRANSITIONS: dict[SeatStatus, frozenset[SeatStatus]] = {
    SeatStatus.AVAILABLE: frozenset({SeatStatus.HELD}),
    SeatStatus.HELD: frozenset({SeatStatus.AVAILABLE, SeatStatus.BOOKED}),
    SeatStatus.BOOKED: frozenset({SeatStatus.AVAILABLE}),
}


def can_transition(current: SeatStatus, new: SeatStatus) -> bool:
    return new in TRANSITIONS[current]


def sources(new: SeatStatus) -> tuple[SeatStatus, ...]:
    """The states a seat may become `new` from: the guard of every change to `new` (the
    repositories turn it into the WHERE of the one statement that makes the change)."""
    return tuple(current for current in SeatStatus if can_transition(current, new))


def status_at(stored: SeatStatus, held_until: datetime | None, now: datetime) -> SeatStatus:
    """A seat's status at `now`: a hold lapses at its end and the seat is available again,
    whether or not a sweep has written that down yet."""
    if stored is SeatStatus.HELD and held_until is not None and held_until <= now:
        return SeatStatus.AVAILABLE
    return stored


@dataclass(frozen=True, slots=True)
class Cabin:
    name: str
    first_row: int
    last_row: int
    letters: str
    fare: Money
    exit_rows: tuple[int, ...] = ()
    aisle_after: str = ""  # letters with an aisle on their right: "C" in "ABCDEF"

    def is_window(self, letter: str) -> bool:
        return letter in (self.letters[0], self.letters[-1])

    def is_aisle(self, letter: str) -> bool:
        index = self.letters.index(letter)
        return letter in self.aisle_after or (
            index > 0 and self.letters[index - 1] in self.aisle_after
        )

    def seat_names(self) -> list[str]:
        return [
            f"{row}{letter}"
            for row in range(self.first_row, self.last_row + 1)
            for letter in self.letters
        ]


@dataclass(frozen=True, slots=True)
class Layout:
    cabins: tuple[Cabin, ...]
    surcharges: Surcharges = field(default_factory=Surcharges)
    _cabin_of: dict[str, Cabin] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        validate_cabins(self.cabins)
        index = {seat: cabin for cabin in self.cabins for seat in cabin.seat_names()}
        object.__setattr__(self, "_cabin_of", index)

    @property
    def currency(self) -> str:
        return self.cabins[0].fare.currency

    def seat_names(self) -> list[str]:
        return [seat for cabin in self.cabins for seat in cabin.seat_names()]

    @property
    def capacity(self) -> int:
        return len(self._cabin_of)

    def cabin_of(self, seat: str) -> Cabin:
        try:
            return self._cabin_of[seat]
        except KeyError:
            raise InvalidRequest(f"seat {seat} does not exist on this flight") from None

    def unknown_seats(self, seats: list[str]) -> list[str]:
        return [seat for seat in seats if seat not in self._cabin_of]


@dataclass(frozen=True, slots=True)
class Flight:
    id: int
    code: str
    origin: str
    destination: str
    departs_at: datetime
    layout: Layout
    # None for a flight created before arrival times were kept: unknown, never guessed.
    arrives_at: datetime | None = None

    def has_departed(self, now: datetime) -> bool:
        return self.departs_at <= now

    def check_bookable(self, now: datetime) -> None:
        """Seats are held and bought only before departure."""
        if self.has_departed(now):
            raise FlightClosed(
                f"flight {self.code} departed at {self.departs_at.isoformat()}: "
                "it can no longer be held or booked"
            )

    def check_cancellable(self, now: datetime, cutoff: timedelta) -> None:
        """Bookings are cancelled (and paid back) only until `cutoff` before departure."""
        closes = self.departs_at - cutoff
        if now >= closes:
            minutes = int(cutoff.total_seconds() // 60)
            raise CancellationClosed(
                f"bookings on flight {self.code} cannot be cancelled within {minutes} minutes "
                f"of departure: cancellation closed at {closes.isoformat()}"
            )


def validate_cabins(cabins: tuple[Cabin, ...]) -> None:
    if not cabins:
        raise InvalidRequest("a flight needs at least one cabin")
    names: set[str] = set()
    rows: set[int] = set()
    currencies = {cabin.fare.currency for cabin in cabins}
    if len(currencies) != 1:
        raise InvalidRequest("all cabin fares must use one currency")
    total_seats = 0
    for cabin in cabins:
        if not cabin.name or cabin.name in names:
            raise InvalidRequest(f"cabin names must be unique and non-empty: {cabin.name!r}")
        names.add(cabin.name)
        if not 1 <= cabin.first_row <= cabin.last_row <= MAX_ROWS:
            raise InvalidRequest(
                f"cabin {cabin.name}: rows must satisfy 1 <= first <= last <= {MAX_ROWS}"
            )
        letters = cabin.letters
        if not letters or not letters.isalpha() or not letters.isupper() or not letters.isascii():
            raise InvalidRequest(f"cabin {cabin.name}: letters must be capital letters A-Z")
        if len(set(letters)) != len(letters):
            raise InvalidRequest(f"cabin {cabin.name}: seat letters repeat")
        span = set(range(cabin.first_row, cabin.last_row + 1))
        if span & rows:
            raise InvalidRequest(f"cabin {cabin.name}: rows overlap another cabin")
        rows |= span
        if cabin.fare.amount <= 0:
            raise InvalidRequest(f"cabin {cabin.name}: fare must be positive")
        if not set(cabin.exit_rows) <= span:
            raise InvalidRequest(f"cabin {cabin.name}: exit rows must be rows of the cabin")
        if not set(cabin.aisle_after) <= set(letters) or letters[-1] in cabin.aisle_after:
            raise InvalidRequest(f"cabin {cabin.name}: aisles go after one of its letters")
        total_seats += len(span) * len(letters)
    if total_seats > MAX_SEATS_PER_FLIGHT:
        raise InvalidRequest(f"a flight has at most {MAX_SEATS_PER_FLIGHT} seats")


def validate_route(code: str, origin: str, destination: str) -> None:
    # fullmatch, as requests.check_airports: with match, "$" also accepts a trailing newline.
    if not FLIGHT_CODE.fullmatch(code):
        raise InvalidRequest("flight code must be an airline designator and number, e.g. LS101")
    for airport in (origin, destination):
        if not AIRPORT.fullmatch(airport):
            raise InvalidRequest(f"airport {airport!r} is not a three-letter IATA code")
    if origin == destination:
        raise InvalidRequest("origin and destination must differ")


def validate_schedule(departs_at: datetime, arrives_at: datetime | None) -> None:
    """A flight lands after it leaves, and within MAX_FLIGHT_TIME of leaving; an arrival
    not given (None) stays unknown."""
    if arrives_at is None:
        return
    if arrives_at <= departs_at:
        raise InvalidRequest("arrives_at must be after departs_at")
    if arrives_at - departs_at > MAX_FLIGHT_TIME:
        hours = int(MAX_FLIGHT_TIME.total_seconds() // 3600)
        raise InvalidRequest(f"arrives_at must be at most {hours} hours after departs_at")


def normalise_seat(name: str) -> str:
    seat = name.strip().upper()
    if not SEAT_NAME.match(seat):
        raise InvalidRequest(f"{name!r} is not a seat name (row number and letter, e.g. 12A)")
    return seat
