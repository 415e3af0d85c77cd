"""Admin: create flights, read a flight's manifest."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from lastseat.entrypoints.http.deps import CurrentAdmin, ServicesDep
from lastseat.entrypoints.http.responses import JSON
from lastseat.entrypoints.http.schemas import (
    AdminFlightOut,
    DiscountIn,
    DiscountOut,
    FlightIn,
    ManifestOut,
)
from lastseat.entrypoints.representations import rfc3339
from lastseat.services.catalog import NewFlight

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


@router.post("/flights", status_code=201, response_model=AdminFlightOut)
async def create_flight(body: FlightIn, admin: CurrentAdmin, services: ServicesDep) -> Response:
    flight = await services.catalog.create_flight(
        NewFlight(body.code, body.origin, body.destination, body.departs_at, body.layout())
    )
    return JSON(
        {
            "id": flight.id,
            "code": flight.code,
            "origin": flight.origin,
            "destination": flight.destination,
            "departs_at": rfc3339(flight.departs_at),
            "seats": flight.layout.capacity,
        },
        status_code=201,
    )


@router.get("/flights/{flight_id}/manifest", response_model=ManifestOut)
async def manifest(
    flight_id: Annotated[int, Path(ge=1, le=2**31 - 1)], admin: CurrentAdmin, services: ServicesDep
) -> Response:
    found = await services.catalog.manifest(flight_id)
    return JSON(
        {
            "flight_id": found.flight.id,
            "code": found.flight.code,
            "seats_booked": len(found.passengers),
            "bookings": found.bookings,
            "revenue": found.revenue.as_dict(),
            "redemptions": [
                {"code": r.code, "uses": r.uses, "discounted": r.discounted.as_dict()}
                for r in found.redemptions
            ],
            "passengers": [
                {
                    "seat": e.seat,
                    "reference": e.reference,
                    "user_id": str(e.user_id),
                    "email": e.email,
                }
                for e in found.passengers
            ],
        }
    )


@router.post("/discounts", status_code=201, response_model=DiscountOut)
async def create_discount(body: DiscountIn, admin: CurrentAdmin, services: ServicesDep) -> Response:
    discount = await services.discounts.create(body.discount())
    return JSON(
        {"code": discount.code, "kind": discount.kind.value, "value": discount.value},
        status_code=201,
    )
