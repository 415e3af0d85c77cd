"""Flight specs for tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypedDict

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


SURCHARGES = {"exit_row": 2_500, "front_row": 1_000, "front_rows": 1, "window": 500, "aisle": 300}


def surcharged_flight(code: str = "LS202") -> dict[str, Any]:
    """The standard flight with an exit row (12) in economy and every kind of surcharge."""
    body: dict[str, Any] = dict(flight_body(code=code))
    economy = {**body["cabins"][1], "exit_rows": [12], "aisle_after": "C"}
    return {**body, "cabins": [body["cabins"][0], economy], "surcharges": SURCHARGES}
