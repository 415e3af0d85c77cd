"""Flight search and seat maps (public reads)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from lastseat.domain.requests import PAGE_SIZE
from lastseat.entrypoints.http.deps import ServicesDep
from lastseat.entrypoints.http.responses import JSON
from lastseat.entrypoints.http.schemas import (
    Airport,
    FlightDetailOut,
    FlightId,
    FlightList,
    Limit,
    Offset,
    SeatMapOut,
)
from lastseat.entrypoints.representations import flight_detail_json, flight_summary_json
from lastseat.entrypoints.seatmap import REVALIDATE, etag_matches

router = APIRouter(prefix="/api/v1", tags=["flights"])


@router.get("/flights", response_model=FlightList)
async def list_flights(
    services: ServicesDep,
    origin: Airport = None,
    destination: Airport = None,
    date: Annotated[date | None, Query(description="departure day (UTC)")] = None,
    limit: Limit = PAGE_SIZE,
    offset: Offset = 0,
) -> Response:
    found = await services.catalog.search(origin, destination, date, limit, offset)
    return JSON({"items": [flight_summary_json(f) for f in found]})


@router.get("/flights/{flight_id}", response_model=FlightDetailOut)
async def flight_detail(flight_id: FlightId, services: ServicesDep) -> Response:
    """The flight, and `sale` when it is on sale through a waiting room (its holds then need
    an admission: join the line, POST /api/v1/flights/{id}/queue)."""
    return JSON(flight_detail_json(*await services.waiting_room.flight(flight_id)))


@router.get(
    "/flights/{flight_id}/seats",
    response_model=SeatMapOut,
    responses={304: {"description": "the map is unchanged since the ETag given"}},
)
async def seat_map(flight_id: FlightId, request: Request, services: ServicesDep) -> Response:
    seats = await services.catalog.seat_map(flight_id)
    body, etag = request.app.state.seatmaps.encode_tagged(seats)
    headers = {"ETag": etag, "Cache-Control": REVALIDATE}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
