"""Every response body is built once, in entrypoints/representations.py; the HTTP schemas
only describe those bodies for OpenAPI. These tests hold each description to its body, field
for field, so the two cannot drift apart."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest
from pydantic import BaseModel

from lastseat.domain.bookings import Booking, BookingStatus
from lastseat.domain.discounts import Discount, DiscountKind
from lastseat.domain.flights import Flight
from lastseat.domain.holds import Hold, HoldStatus
from lastseat.domain.money import Money
from lastseat.domain.passengers import Passenger
from lastseat.domain.pricing import quote
from lastseat.domain.users import Role, User
from lastseat.entrypoints import representations as r
from lastseat.entrypoints.http import schemas as s
from lastseat.entrypoints.seatmap import SeatMapEncoder
from lastseat.services.bookings import FoundBooking
from lastseat.services.catalog import FlightSummary, Manifest, ManifestEntry, Redemptions, SeatMap
from lastseat.services.reservations import QuoteView
from lastseat.services.samples import standard_layout
from tests.support.fares import NO_RULES

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
EUR = Money(4_200, "EUR")
USER = User(uuid.uuid4(), "ann@example.com", Role.CUSTOMER)
FLIGHT = Flight(7, "LS101", "LHR", "JFK", NOW, standard_layout())
QUOTE = quote(FLIGHT.layout, ("12A", "12B"), NO_RULES, 0, FLIGHT.layout.capacity)
HOLD = Hold(uuid.uuid4(), USER.id, 7, ("12A", "12B"), NOW, HoldStatus.ACTIVE, QUOTE)
BOOKING = Booking(
    uuid.uuid4(),
    "ABC123",
    USER.id,
    7,
    ("12A",),
    EUR,
    BookingStatus.CONFIRMED,
    NOW,
    "SPRING",
    passengers=(Passenger("12A", "Ann", "Lee", date(1990, 2, 3)),),
)
MANIFEST = Manifest(
    FLIGHT,
    [ManifestEntry("12A", "ABC123", USER.id, Passenger("12A", "Ann", "Lee"))],
    1,
    EUR,
    [Redemptions("SPRING", 1, EUR)],
)


def same_fields(model: type[BaseModel], body: Any) -> None:
    """`body` has the fields `model` documents and no other (an optional one may be left out),
    nested models and lists included."""
    required = {name for name, field in model.model_fields.items() if field.is_required()}
    assert required <= set(body) <= set(model.model_fields), model.__name__
    for name, field in model.model_fields.items():
        kind = field.annotation
        inner = getattr(kind, "__args__", (kind,))[0]
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            same_fields(kind, body[name])
        elif isinstance(inner, type) and issubclass(inner, BaseModel) and name in body:
            for item in body[name]:
                same_fields(inner, item)
    model.model_validate(body)


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (s.UserOut, r.user_json(USER)),
        (s.SignupOut, r.signup_json(USER)),
        (s.TokenOut, r.token_json("t")),
        (s.FlightOut, r.flight_summary_json(FlightSummary(7, "LS101", "LHR", "JFK", NOW, 3))),
        (s.FlightDetailOut, r.flight_json(FLIGHT)),
        (s.AdminFlightOut, r.admin_flight_json(FLIGHT)),
        (s.HoldOut, r.hold_json(HOLD)),
        (s.QuoteOut, r.quote_view_json(QuoteView(QUOTE, "not valid for this booking"))),
        (s.BookingOut, r.booking_json(BOOKING, FLIGHT)),
        (s.CancelOut, r.cancelled_json(replace(BOOKING, status=BookingStatus.CANCELLED))),
        (s.ManifestOut, r.manifest_json(MANIFEST)),
        (s.FoundBookingOut, r.found_booking_json(FoundBooking(BOOKING, FLIGHT))),
        (s.DiscountOut, r.discount_json(Discount("SPRING", DiscountKind.PERCENT, 1_500))),
        (
            s.SeatMapOut,
            orjson.loads(SeatMapEncoder().encode(SeatMap(FLIGHT, {"1A": "held"}, 1000))),
        ),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else "",
)
def test_each_schema_documents_its_body(model: type[BaseModel], body: dict[str, Any]) -> None:
    same_fields(model, body)
