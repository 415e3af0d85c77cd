"""Flight search and seat maps (public reads)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from lastseat.entrypoints.http.deps import ServicesDep
from lastseat.entrypoints.http.responses import JSON
from lastseat.entrypoints.http.schemas import FlightDetailOut, FlightList, SeatMapOut
from lastseat.entrypoints.representations import flight_json, flight_summary_json
from lastseat.entrypoints.seatmap import REVALIDATE, etag_matches

router = APIRouter(prefix="/api/v1", tags=["flights"])

FlightId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Airport = Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")]


@router.get("/flights", response_model=FlightList)
async def list_flights(
    services: ServicesDep,
    origin: Airport = None,
    destination: Airport = None,
    date: Annotated[date | None, Query(description="departure day (UTC)")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> Response:
    found = await services.catalog.search(origin, destination, date, limit, offset)
    return JSON({"items": [flight_summary_json(f) for f in found]})


@router.get("/flights/{flight_id}", response_model=FlightDetailOut)
async def flight_detail(flight_id: FlightId, services: ServicesDep) -> Response:
    return JSON(flight_json(await services.catalog.flight(flight_id)))


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
