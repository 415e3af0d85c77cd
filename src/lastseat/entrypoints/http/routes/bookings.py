"""Bookings: confirm a hold, read and cancel the caller's own."""

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
    BookingIn,
    BookingList,
    BookingOut,
    CancelOut,
    FoundBookingOut,
    Limit,
    LookupIn,
    Offset,
)
from lastseat.entrypoints.representations import booking_json, cancelled_json, found_booking_json

router = APIRouter(prefix="/api/v1", tags=["bookings"])


@router.post("/bookings", status_code=201, response_model=BookingOut)
async def create_booking(
    body: BookingIn,
    request: Request,
    user: CurrentUser,
    services: ServicesDep,
    key: IdempotencyKeyHeader,
) -> Response:
    result = await services.bookings.confirm(
        user,
        body.hold_id,
        body.payment.token,
        body.discount_code,
        fingerprint(key, request, body),
        client_address(request),
        passengers=[p.passenger() for p in body.passengers],
    )
    [trip] = await services.bookings.with_flights([result.booking])
    return created(
        booking_json(trip.booking, trip.flight),
        result.replayed,
        request.app.state.metrics.bookings,
    )


@router.post("/bookings/lookup", response_model=FoundBookingOut)
async def look_up_booking(body: LookupIn, request: Request, services: ServicesDep) -> Response:
    """Manage booking without signing in: a POST, so names stay out of URLs and logs."""
    found = await services.bookings.look_up(
        body.reference, body.family_name, client_address(request)
    )
    return JSON(found_booking_json(found))


@router.get("/bookings", response_model=BookingList)
async def list_bookings(
    user: CurrentUser,
    services: ServicesDep,
    limit: Limit = PAGE_SIZE,
    offset: Offset = 0,
) -> Response:
    found = await services.bookings.with_flights(await services.bookings.list(user, limit, offset))
    return JSON({"items": [booking_json(t.booking, t.flight) for t in found]})


@router.get("/bookings/{booking_id}", response_model=BookingOut)
async def get_booking(booking_id: UUID, user: CurrentUser, services: ServicesDep) -> Response:
    [trip] = await services.bookings.with_flights([await services.bookings.get(user, booking_id)])
    return JSON(booking_json(trip.booking, trip.flight))


@router.post("/bookings/{booking_id}/cancel", response_model=CancelOut)
async def cancel_booking(booking_id: UUID, user: CurrentUser, services: ServicesDep) -> Response:
    booking = await services.bookings.cancel(user, booking_id)
    return JSON(cancelled_json(booking))
