"""Flight specs for tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypedDict

from lastseat.services.catalog import NewFlight
from lastseat.services.samples import standard_layout


def new_flight(now: datetime, code: str = "LS101", days: int = 30, **kw: str) -> NewFlight:
    return NewFlight(
        code=code,
        origin=kw.get("origin", "LHR"),
        destination=kw.get("destination", "JFK"),
        departs_at=now + timedelta(days=days),
        layout=standard_layout(),
    )


class FareBody(TypedDict):
    amount: int
    currency: str


class CabinBody(TypedDict):
    cabin: str
    rows: list[int]
    letters: str
    fare: FareBody


class FlightBody(TypedDict):
    """The JSON body of POST /api/v1/admin/flights."""

    code: str
    origin: str
    destination: str
    departs_at: str
    cabins: list[CabinBody]


def flight_body(departs_at: str = "2030-01-10T09:00:00Z", code: str = "LS101") -> FlightBody:
    return {
        "code": code,
        "origin": "LHR",
        "destination": "JFK",
        "departs_at": departs_at,
        "cabins": [
            {
                "cabin": "business",
                "rows": [1, 2],
                "letters": "AC",
                "fare": {"amount": 120000, "currency": "EUR"},
            },
            {
                "cabin": "economy",
                "rows": [3, 30],
                "letters": "ABCDEF",
                "fare": {"amount": 15000, "currency": "EUR"},
            },
        ],
    }
