"""The public representation of domain objects, shared by HTTP, WebSocket and gRPC.

gRPC messages mirror these shapes field for field and are filled from them, so the three
entrypoints cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lastseat.domain.bookings import Booking
from lastseat.domain.discounts import Discount
from lastseat.domain.flights import Flight
from lastseat.domain.holds import Hold
from lastseat.domain.passengers import Passenger
from lastseat.domain.pricing import Quote
from lastseat.domain.users import User
from lastseat.domain.waiting_room import Place, Sale
from lastseat.services.airports import airport_zone, local_time
from lastseat.services.bookings import FoundBooking
from lastseat.services.catalog import FlightSummary, Manifest
from lastseat.services.reservations import QuoteView
from lastseat.services.waiting_room import SaleView, poll_after
from lastseat.services.watching import SeatChange


def rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def user_json(user: User) -> dict[str, Any]:
    return {"id": str(user.id), "email": user.email, "role": user.role.value}


def signup_json(user: User) -> dict[str, Any]:
    return {"id": str(user.id), "email": user.email}


def token_json(token: str) -> dict[str, Any]:
    return {"access_token": token, "token_type": "bearer"}


def _on_airport_clocks(moment: datetime | None, airport: str) -> tuple[str | None, str | None]:
    """The UTC instant (RFC 3339) and the same instant on the airport's clocks (ISO 8601
    with that day's offset); both None for an instant that is not known."""
    if moment is None:
        return None, None
    return rfc3339(moment), local_time(moment, airport).isoformat()


def departure_fields(f: Flight | FlightSummary) -> dict[str, Any]:
    """When a flight leaves: the UTC instant, and the same instant on the origin airport's
    clocks with the zone named, so a client shows local time without knowing any airport."""
    at, local = _on_airport_clocks(f.departs_at, f.origin)
    return {"departs_at": at, "departs_local": local, "departure_zone": airport_zone(f.origin).key}


def arrival_fields(f: Flight | FlightSummary) -> dict[str, Any]:
    """When a flight lands, by the same rule on the destination airport's clocks; the
    instants are null for a flight created before arrivals were kept (unknown)."""
    at, local = _on_airport_clocks(f.arrives_at, f.destination)
    return {
        "arrives_at": at,
        "arrives_local": local,
        "arrival_zone": airport_zone(f.destination).key,
    }


def schedule_fields(f: Flight | FlightSummary) -> dict[str, Any]:
    return {**departure_fields(f), **arrival_fields(f)}


def _flight_fields(f: Flight | FlightSummary) -> dict[str, Any]:
    """What every representation of a flight starts with."""
    return {
        "id": f.id,
        "code": f.code,
        "origin": f.origin,
        "destination": f.destination,
        **schedule_fields(f),
    }


def flight_summary_json(f: FlightSummary) -> dict[str, Any]:
    return {**_flight_fields(f), "seats_available": f.seats_available}


def admin_flight_json(f: Flight) -> dict[str, Any]:
    return {**_flight_fields(f), "seats": f.layout.capacity}


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


def quote_view_json(view: QuoteView) -> dict[str, Any]:
    """A quote as asked for with a discount code, and why the code was refused if it was."""
    body = quote_json(view.quote)
    if view.discount_refused is not None:
        body["discount_refused"] = view.discount_refused
    return body


def hold_json(hold: Hold) -> dict[str, Any]:
    return {
        "id": str(hold.id),
        "flight_id": hold.flight_id,
        "seats": list(hold.seats),
        "expires_at": rfc3339(hold.expires_at),
        "status": hold.status.value,
        "quote": quote_json(hold.quote),
    }


def passenger_json(p: Passenger) -> dict[str, Any]:
    return {
        "seat": p.seat,
        "given_name": p.given_name,
        "family_name": p.family_name,
        "date_of_birth": None if p.date_of_birth is None else p.date_of_birth.isoformat(),
        "type": p.type.value,
    }


def booking_json(booking: Booking, flight: Flight) -> dict[str, Any]:
    return {
        "id": str(booking.id),
        "reference": booking.reference,
        "flight_id": booking.flight_id,
        "seats": list(booking.seats),
        "passengers": [passenger_json(p) for p in booking.passengers],
        "total": booking.total.as_dict(),
        "discount_code": booking.discount_code,
        "status": booking.status.value,
        "created_at": rfc3339(booking.created_at),
        # added after v1 froze, so beside flight_id rather than a nested flight
        "code": flight.code,
        "origin": flight.origin,
        "destination": flight.destination,
        **schedule_fields(flight),
    }


def found_booking_json(found: FoundBooking) -> dict[str, Any]:
    """What manage-booking shows to whoever knows a reference and a family name: the trip,
    not the account (no owner, no payment, no price)."""
    booking = found.booking
    return {
        "reference": booking.reference,
        "flight": _flight_fields(found.flight),
        "seats": list(booking.seats),
        "passengers": [passenger_json(p) for p in booking.passengers],
        "status": booking.status.value,
    }


def cancelled_json(booking: Booking) -> dict[str, Any]:
    return {"id": str(booking.id), "status": booking.status.value}


def seat_change_json(change: SeatChange) -> dict[str, Any]:
    return {"seat": change.seat, "status": change.status, "event_id": change.event_id}


def discount_json(discount: Discount) -> dict[str, Any]:
    return {"code": discount.code, "kind": discount.kind.value, "value": discount.value}


def manifest_json(manifest: Manifest) -> dict[str, Any]:
    return {
        "flight_id": manifest.flight.id,
        "code": manifest.flight.code,
        **schedule_fields(manifest.flight),
        "seats_booked": len(manifest.passengers),
        "bookings": manifest.bookings,
        "revenue": manifest.revenue.as_dict(),
        "redemptions": [
            {"code": r.code, "uses": r.uses, "discounted": r.discounted.as_dict()}
            for r in manifest.redemptions
        ],
        # names, not the account's email: the manifest is who flies, not who paid
        "passengers": [
            {
                "seat": e.seat,
                "reference": e.reference,
                "user_id": str(e.user_id),
                "given_name": None if e.passenger is None else e.passenger.given_name,
                "family_name": None if e.passenger is None else e.passenger.family_name,
                "type": None if e.passenger is None else e.passenger.type.value,
            }
            for e in manifest.passengers
        ],
    }


def sale_json(view: SaleView) -> dict[str, Any]:
    sale = view.sale
    return {
        "flight_id": sale.flight_id,
        "opens_at": rfc3339(sale.opens_at),
        "state": view.state.value,
        "admissions_per_minute": sale.admissions_per_minute,
        "active_cap": sale.active_cap,
        "admission_minutes": int(sale.admission_ttl.total_seconds()) // 60,
        "waiting": view.waiting,
        "active": view.active,
    }


def place_json(place: Place) -> dict[str, Any]:
    admission = place.admission
    return {
        "place_id": str(place.place_id),
        "flight_id": place.flight_id,
        "state": place.state.value,
        "position": place.position,
        "wait_seconds": place.wait_seconds,
        "poll_after_seconds": poll_after(place),
        "opens_at": rfc3339(place.opens_at),
        "admission": None
        if admission is None
        else {"token": admission.token, "expires_at": rfc3339(admission.expires_at)},
        "sold_out": place.sold_out,
    }


def flight_detail_json(flight: Flight, sale: Sale | None) -> dict[str, Any]:
    """A flight, and its sale through a waiting room if one runs."""
    opens = None if sale is None else {"opens_at": rfc3339(sale.opens_at)}
    return {**flight_json(flight), "sale": opens}
