"""Holds: claim seats for a while, quote them, let them go."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response

from lastseat.domain.requests import PAGE_SIZE
from lastseat.entrypoints.http.deps import (
    CurrentUser,
    IdempotencyKeyHeader,
    ServicesDep,
    client_address,
    fingerprint,
)
from lastseat.entrypoints.http.responses import JSON, created
from lastseat.entrypoints.http.schemas import (
    DiscountCodeQuery,
    FlightIdQuery,
    HoldIn,
    HoldList,
    HoldOut,
    Limit,
    Offset,
    QuoteOut,
)
from lastseat.entrypoints.representations import hold_json, quote_view_json

router = APIRouter(prefix="/api/v1", tags=["holds"])


@router.post("/holds", status_code=201, response_model=HoldOut)
async def create_hold(
    body: HoldIn,
    request: Request,
    user: CurrentUser,
    services: ServicesDep,
    key: IdempotencyKeyHeader,
) -> Response:
    result = await services.reservations.hold_seats(
        user,
        body.flight_id,
        body.wanted(),
        fingerprint(key, request, body),
        client_address(request),
        body.replaces,
        body.admission,
    )
    return created(hold_json(result.hold), result.replayed, request.app.state.metrics.holds)


@router.get("/holds", response_model=HoldList)
async def list_live_holds(
    user: CurrentUser,
    services: ServicesDep,
    flight_id: FlightIdQuery = None,
    limit: Limit = PAGE_SIZE,
    offset: Offset = 0,
) -> Response:
    """The caller's own live holds (others' never), newest first."""
    found = await services.reservations.live_holds(user, flight_id, limit, offset)
    return JSON({"items": [hold_json(hold) for hold in found]})


@router.get("/holds/{hold_id}", response_model=HoldOut)
async def get_hold(hold_id: UUID, user: CurrentUser, services: ServicesDep) -> Response:
    return JSON(hold_json(await services.reservations.get_hold(user, hold_id)))


@router.get("/holds/{hold_id}/quote", response_model=QuoteOut)
async def get_quote(
    hold_id: UUID,
    request: Request,
    user: CurrentUser,
    services: ServicesDep,
    discount_code: DiscountCodeQuery = None,
) -> Response:
    view = await services.reservations.quote(user, hold_id, discount_code, client_address(request))
    return JSON(quote_view_json(view))


@router.delete("/holds/{hold_id}", status_code=204)
async def release_hold(hold_id: UUID, user: CurrentUser, services: ServicesDep) -> Response:
    await services.reservations.release_hold(user, hold_id)
    return Response(status_code=204)
