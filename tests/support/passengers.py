"""Passengers for tests: one named traveller per seat, so a booking call gains one argument.

`passengers_for(hold.seats)` for the services, `passengers_json(seats)` for HTTP bodies and
the Python clients. Given names differ by seat (a manifest can be read back per seat); the
family name is the same for all, as in a family booking.
"""

from __future__ import annotations

from collections.abc import Iterable

from lastseat.domain.passengers import Passenger

GIVEN_NAMES = ("Ann", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal", "Ida")
FAMILY_NAME = "Lee"


def given_name(index: int) -> str:
    return GIVEN_NAMES[index % len(GIVEN_NAMES)]


def passengers_for(seats: Iterable[str], family_name: str = FAMILY_NAME) -> list[Passenger]:
    return [Passenger(seat, given_name(i), family_name) for i, seat in enumerate(seats)]


def passengers_json(seats: Iterable[str], family_name: str = FAMILY_NAME) -> list[dict[str, str]]:
    return [
        {"seat": seat, "given_name": given_name(i), "family_name": family_name}
        for i, seat in enumerate(seats)
    ]
