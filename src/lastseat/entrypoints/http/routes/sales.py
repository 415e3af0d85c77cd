"""Sales through a waiting room: an admin opens and ends one; travellers join its line and
read their place (or watch it: WS /ws/flights/{id}/queue)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from lastseat.entrypoints.http.deps import CurrentAdmin, CurrentUser, ServicesDep
from lastseat.entrypoints.http.responses import JSON
from lastseat.entrypoints.http.schemas import FlightId, PlaceOut, SaleIn, SaleOut
from lastseat.entrypoints.representations import place_json, sale_json

router = APIRouter(prefix="/api/v1", tags=["sales"])


@router.post("/admin/flights/{flight_id}/sale", status_code=201, response_model=SaleOut)
async def open_sale(
    flight_id: FlightId, body: SaleIn, admin: CurrentAdmin, services: ServicesDep
) -> Response:
    return JSON(
        sale_json(await services.waiting_room.open_sale(body.sale(flight_id))), status_code=201
    )


@router.delete("/admin/flights/{flight_id}/sale", status_code=204)
async def end_sale(flight_id: FlightId, admin: CurrentAdmin, services: ServicesDep) -> Response:
    await services.waiting_room.end_sale(flight_id)
    return Response(status_code=204)


@router.get("/flights/{flight_id}/sale", response_model=SaleOut)
async def get_sale(flight_id: FlightId, services: ServicesDep) -> Response:
    """The flight's sale, if it has one: when it opens, how fast it admits, how many wait."""
    return JSON(sale_json(await services.waiting_room.sale(flight_id)))


@router.post("/flights/{flight_id}/queue", status_code=201, response_model=PlaceOut)
async def join_queue(flight_id: FlightId, user: CurrentUser, services: ServicesDep) -> Response:
    """A place in the sale's line (201), or the place already taken (200): joining again,
    as a reload does, keeps it."""
    place, new = await services.waiting_room.join(user, flight_id)
    return JSON(place_json(place), status_code=201 if new else 200)


@router.get("/flights/{flight_id}/queue", response_model=PlaceOut)
async def get_place(flight_id: FlightId, user: CurrentUser, services: ServicesDep) -> Response:
    """Where the caller stands, and once admitted their admission token."""
    return JSON(place_json(await services.waiting_room.place(user, flight_id)))
