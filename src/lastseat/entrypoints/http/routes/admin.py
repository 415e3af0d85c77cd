"""Admin: create flights, read a flight's manifest."""

from __future__ import annotations

from fastapi import APIRouter, Response

from lastseat.entrypoints.http.deps import CurrentAdmin, ServicesDep
from lastseat.entrypoints.http.responses import JSON
from lastseat.entrypoints.http.schemas import (
    AdminFlightOut,
    DiscountIn,
    DiscountOut,
    FlightId,
    FlightIn,
    ManifestOut,
)
from lastseat.entrypoints.representations import admin_flight_json, discount_json, manifest_json
from lastseat.services.catalog import NewFlight

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


@router.post("/flights", status_code=201, response_model=AdminFlightOut)
async def create_flight(body: FlightIn, admin: CurrentAdmin, services: ServicesDep) -> Response:
    flight = await services.catalog.create_flight(
        NewFlight(
            body.code,
            body.origin,
            body.destination,
            body.departs_at,
            body.layout(),
            body.arrives_at,
        )
    )
    return JSON(admin_flight_json(flight), status_code=201)


@router.get("/flights/{flight_id}/manifest", response_model=ManifestOut)
async def manifest(flight_id: FlightId, admin: CurrentAdmin, services: ServicesDep) -> Response:
    return JSON(manifest_json(await services.catalog.manifest(flight_id)))


@router.post("/discounts", status_code=201, response_model=DiscountOut)
async def create_discount(body: DiscountIn, admin: CurrentAdmin, services: ServicesDep) -> Response:
    return JSON(discount_json(await services.discounts.create(body.discount())), status_code=201)
