"""Flight search and seat maps (public reads)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from lastseat.entrypoints.http.deps import ServicesDep
from lastseat.entrypoints.http.responses import JSON
from lastseat.entrypoints.http.schemas import FlightList, SeatMapOut, flight_summary_json

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


@router.get("/flights/{flight_id}/seats", response_model=SeatMapOut)
async def seat_map(flight_id: FlightId, request: Request, services: ServicesDep) -> Response:
    seats = await services.catalog.seat_map(flight_id)
    return Response(request.app.state.seatmaps.encode(seats), media_type="application/json")
