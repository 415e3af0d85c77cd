"""Flights and their seat layouts: cabins by row range and seat letters."""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from lastseat.domain.errors import (
    CancellationClosed,
    Conflict,
    FieldRefusal,
    FlightClosed,
    InvalidFields,
    InvalidRequest,
)
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

    def free_seats(self, taken: AbstractSet[str]) -> set[str]:
        """The flight's seats but those `taken`."""
        return self._cabin_of.keys() - taken

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


class FlightExists(Conflict):
    """A flight with this code already leaves at this time: the code and the departure
    are the fields to change."""

    code = "flight-exists"

    def __init__(self, flight_code: str, departs_at: datetime) -> None:
        self.flight_code = flight_code
        self.departs_at = departs_at
        super().__init__(f"flight {flight_code} already departs at {departs_at.isoformat()}")

    @property
    def extras(self) -> dict[str, Any]:
        return {
            "errors": [
                FieldRefusal((name,), self.detail, self.code).item(self.code)
                for name in ("code", "departs_at")
            ]
        }


def validate_cabins(cabins: tuple[Cabin, ...]) -> None:
    """Every rule a layout breaks, each at its field of the admin's request (`cabins.N`
    is the N-th cabin), refused together."""
    refusals = cabin_refusals(cabins)
    if refusals:
        raise InvalidFields(refusals)


def cabin_refusals(cabins: tuple[Cabin, ...]) -> list[FieldRefusal]:
    if not cabins:
        return [FieldRefusal(("cabins",), "a flight needs at least one cabin", "cabins-missing")]
    refusals: list[FieldRefusal] = []
    currency = cabins[0].fare.currency
    named: dict[str, int] = {}
    row_owner: dict[int, int] = {}  # row -> index of the first cabin that has it
    total_seats = 0

    def refuse(
        index: int, where: tuple[str | int, ...], message: str, rule: str, **context: int
    ) -> None:
        refusals.append(FieldRefusal(("cabins", index, *where), message, rule, context))

    for index, cabin in enumerate(cabins):
        label = cabin.name
        if not cabin.name:
            refuse(index, ("cabin",), "cabin names must be non-empty", "cabin-name-missing")
        elif cabin.name in named:
            refuse(
                index,
                ("cabin",),
                f"cabin names must be unique: {cabin.name!r} names two cabins",
                "cabin-name-taken",
                other=named[cabin.name],
            )
        else:
            named[cabin.name] = index
        if cabin.fare.currency != currency:
            refuse(
                index,
                ("fare", "currency"),
                "all cabin fares must use one currency",
                "currency-mixed",
            )
        rows_ok = 1 <= cabin.first_row <= cabin.last_row <= MAX_ROWS
        if not rows_ok:
            refuse(
                index,
                ("rows", 1) if cabin.first_row > cabin.last_row else ("rows",),
                f"cabin {label}: rows must satisfy 1 <= first <= last <= {MAX_ROWS}",
                "rows-out-of-order",
                ge=1,
                le=MAX_ROWS,
            )
        letters = cabin.letters
        if not letters or not letters.isalpha() or not letters.isupper() or not letters.isascii():
            refuse(
                index,
                ("letters",),
                f"cabin {label}: letters must be capital letters A-Z",
                "letters-invalid",
            )
        elif len(set(letters)) != len(letters):
            refuse(index, ("letters",), f"cabin {label}: seat letters repeat", "letters-repeat")
        span = range(cabin.first_row, cabin.last_row + 1)
        overlapped = sorted({row_owner[row] for row in span if row in row_owner})
        if overlapped:
            refuse(
                index,
                ("rows",),
                f"cabin {label}: rows overlap another cabin",
                "rows-overlap",
                other=overlapped[0],
            )
        for row in span:
            row_owner.setdefault(row, index)
        if cabin.fare.amount <= 0:
            refuse(
                index,
                ("fare", "amount"),
                f"cabin {label}: fare must be positive",
                "fare-not-positive",
            )
        if rows_ok and not set(cabin.exit_rows) <= set(span):
            refuse(
                index,
                ("exit_rows",),
                f"cabin {label}: exit rows must be rows of the cabin",
                "exit-rows-outside",
                ge=cabin.first_row,
                le=cabin.last_row,
            )
        if letters and (
            not set(cabin.aisle_after) <= set(letters) or letters[-1] in cabin.aisle_after
        ):
            refuse(
                index,
                ("aisle_after",),
                f"cabin {label}: aisles go after one of its letters",
                "aisle-misplaced",
            )
        total_seats += len(span) * len(letters)
    if total_seats > MAX_SEATS_PER_FLIGHT:
        refusals.append(
            FieldRefusal(
                ("cabins",),
                f"a flight has at most {MAX_SEATS_PER_FLIGHT} seats",
                "too-many-seats",
                {"le": MAX_SEATS_PER_FLIGHT, "seats": total_seats},
            )
        )
    return refusals


def route_refusals(code: str, origin: str, destination: str) -> list[FieldRefusal]:
    """What is wrong with a flight's code and airports, each at its field."""
    refusals: list[FieldRefusal] = []
    # fullmatch, as requests.check_airports: with match, "$" also accepts a trailing newline.
    if not FLIGHT_CODE.fullmatch(code):
        refusals.append(
            FieldRefusal(
                ("code",),
                "flight code must be an airline designator and number, e.g. LS101",
                "code-invalid",
            )
        )
    for name, airport in (("origin", origin), ("destination", destination)):
        if not AIRPORT.fullmatch(airport):
            refusals.append(
                FieldRefusal(
                    (name,),
                    f"airport {airport!r} is not a three-letter IATA code",
                    "airport-invalid",
                )
            )
    if origin == destination:
        refusals.append(
            FieldRefusal(("destination",), "origin and destination must differ", "route-same")
        )
    return refusals


def validate_route(code: str, origin: str, destination: str) -> None:
    refusals = route_refusals(code, origin, destination)
    if refusals:
        raise InvalidFields(refusals)


def schedule_refusals(
    departs_at: datetime, arrives_at: datetime | None, now: datetime | None = None
) -> list[FieldRefusal]:
    """A new flight leaves after `now` (when given), lands after it leaves, and within
    MAX_FLIGHT_TIME of leaving; an arrival not given (None) stays unknown."""
    refusals: list[FieldRefusal] = []
    if now is not None and departs_at <= now:
        refusals.append(
            FieldRefusal(("departs_at",), "departs_at must be in the future", "departure-past")
        )
    if arrives_at is None:
        return refusals
    if arrives_at <= departs_at:
        refusals.append(
            FieldRefusal(
                ("arrives_at",), "arrives_at must be after departs_at", "arrival-before-departure"
            )
        )
    elif arrives_at - departs_at > MAX_FLIGHT_TIME:
        hours = int(MAX_FLIGHT_TIME.total_seconds() // 3600)
        refusals.append(
            FieldRefusal(
                ("arrives_at",),
                f"arrives_at must be at most {hours} hours after departs_at",
                "flight-too-long",
                {"hours": hours},
            )
        )
    return refusals


def validate_schedule(departs_at: datetime, arrives_at: datetime | None) -> None:
    refusals = schedule_refusals(departs_at, arrives_at)
    if refusals:
        raise InvalidFields(refusals)


def normalise_seat(name: str) -> str:
    seat = name.strip().upper()
    if not SEAT_NAME.match(seat):
        raise InvalidRequest(f"{name!r} is not a seat name (row number and letter, e.g. 12A)")
    return seat
