"""The public representation of domain objects, shared by HTTP, WebSocket and gRPC.

gRPC messages mirror these shapes field for field and are filled from them, so the three
entrypoints cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lastseat.domain.bookings import Booking
from lastseat.domain.flights import Flight
from lastseat.domain.holds import Hold
from lastseat.domain.pricing import Quote
from lastseat.domain.users import User
from lastseat.services.catalog import FlightSummary

# Names each error the same way over HTTP (problem+json `type`) and gRPC (trailing metadata).
PROBLEM_TYPE_BASE = "urn:lastseat:problem:"


def rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def user_json(user: User) -> dict[str, Any]:
    return {"id": str(user.id), "email": user.email, "role": user.role.value}


def _flight_fields(f: Flight | FlightSummary) -> dict[str, Any]:
    """What every representation of a flight starts with."""
    return {
        "id": f.id,
        "code": f.code,
        "origin": f.origin,
        "destination": f.destination,
        "departs_at": rfc3339(f.departs_at),
    }


def flight_summary_json(f: FlightSummary) -> dict[str, Any]:
    return {**_flight_fields(f), "seats_available": f.seats_available}


def flight_json(f: Flight) -> dict[str, Any]:
    """A flight with its layout: enough for a client to draw each cabin's rows, aisles and
    exit rows without inventing any of them."""
    return {
        **_flight_fields(f),
        "cabins": [
            {
                "cabin": c.name,
                "rows": [c.first_row, c.last_row],
                "letters": c.letters,
                "aisle_after": c.aisle_after,
                "exit_rows": list(c.exit_rows),
            }
            for c in f.layout.cabins
        ],
    }


def quote_json(quote: Quote) -> dict[str, Any]:
    return quote.as_dict()


def hold_json(hold: Hold) -> dict[str, Any]:
    return {
        "id": str(hold.id),
        "flight_id": hold.flight_id,
        "seats": list(hold.seats),
        "expires_at": rfc3339(hold.expires_at),
        "status": hold.status.value,
        "quote": quote_json(hold.quote),
    }


def booking_json(booking: Booking) -> dict[str, Any]:
    return {
        "id": str(booking.id),
        "reference": booking.reference,
        "flight_id": booking.flight_id,
        "seats": list(booking.seats),
        "total": booking.total.as_dict(),
        "discount_code": booking.discount_code,
        "status": booking.status.value,
        "created_at": rfc3339(booking.created_at),
    }
