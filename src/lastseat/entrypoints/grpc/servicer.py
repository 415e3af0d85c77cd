"""`lastseat.v1.Booking`: parse the request, call one service, map the result.

Messages are filled from the same representations the HTTP API sends (messages.py), so
the two cannot disagree on a field. No business rule lives here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from contextlib import aclosing
from datetime import date
from typing import Any
from uuid import UUID

import grpc
import orjson
from google.protobuf.message import Message

from lastseat.bootstrap import Services
from lastseat.domain.addresses import client_network
from lastseat.domain.checkout import check_discount_code, check_payment_token
from lastseat.domain.errors import DomainError, InvalidRequest
from lastseat.domain.passengers import passenger_from_text
from lastseat.domain.requests import (
    PAGE_SIZE,
    check_airports,
    check_event_id,
    check_id,
    check_page,
    check_seat_list,
)
from lastseat.domain.seat_choice import SeatWish, Together
from lastseat.domain.users import User
from lastseat.entrypoints.credentials import presented_bearer, signed_in
from lastseat.entrypoints.grpc.closing import until_closed
from lastseat.entrypoints.grpc.errors import abort, mapped
from lastseat.entrypoints.grpc.messages import (
    booking_message,
    flights_message,
    found_booking_message,
    hold_message,
    holds_message,
    quote_message,
    seat_map_message,
)
from lastseat.entrypoints.grpc.pre_encoded import seat_change_events
from lastseat.entrypoints.representations import (
    booking_json,
    flight_summary_json,
    found_booking_json,
    hold_json,
    quote_view_json,
)
from lastseat.entrypoints.seatmap import SeatMapEncoder
from lastseat.services.idempotency import request_key
from lastseat.services.ports import Database, IdempotencyKey
from lastseat.services.watching import SlowConsumer, until_cut_off
from lastseat.v1 import booking_pb2 as pb
from lastseat.v1 import booking_pb2_grpc

Context = grpc.aio.ServicerContext[Any, Any]


def _metadata(context: Context, name: str) -> str | None:
    for key, value in context.invocation_metadata() or ():
        if key == name:
            return value if isinstance(value, str) else value.decode()
    return None


def client_address(context: Context, trusted_proxies: Collection[str]) -> str | None:
    """The caller's network: the peer's address, or behind the stack (a peer among the
    trusted proxies) the X-Forwarded-For the firewall tier set, as uvicorn does for the
    HTTP API with the same setting."""
    kind, _, rest = (context.peer() or "").partition(":")
    host = rest.rsplit(":", 1)[0].strip("[]") if kind in ("ipv4", "ipv6") else None
    forwarded = _metadata(context, "x-forwarded-for")
    if host in trusted_proxies and forwarded:
        host = forwarded.rsplit(",", 1)[-1].strip()
    return client_network(host)


def _flight_id(value: int) -> int:
    return check_id(value, "flight_id")


def _wanted(request: Any) -> list[str] | SeatWish:
    """A hold request's seats named, or its best-available wish (proto3: 0 and "" are
    "not given")."""
    seats = list(request.seats)
    if request.count == 0:
        if request.cabin or request.together:
            raise InvalidRequest("cabin and together go with count, not with named seats")
        check_seat_list(seats)
        return seats
    if seats:
        raise InvalidRequest("give either seats (named) or count (chosen for you), not both")
    together = request.together or Together.CLOSE
    if together not in set(Together):
        raise InvalidRequest("together is one of: " + ", ".join(Together))
    return SeatWish(request.count, request.cabin or None, Together(together))


def _uuid(value: str, name: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise InvalidRequest(f"{name} must be a UUID") from None


def _discount_code(value: str) -> str | None:
    return check_discount_code(value) if value else None


class BookingServicer(booking_pb2_grpc.BookingServicer):
    def __init__(self, services: Services) -> None:
        self._services = services
        self.closing = asyncio.Event()  # set on SIGTERM: watch streams end (closing.py)
        self._trusted_proxies = frozenset(services.settings.trusted_proxies)
        self._seatmaps = SeatMapEncoder()

    def _client_address(self, context: Context) -> str | None:
        return client_address(context, self._trusted_proxies)

    @property
    def database(self) -> Database:
        return self._services.database

    async def _user(self, context: Context) -> User:
        token = presented_bearer(_metadata(context, "authorization"))
        how = "send metadata authorization: Bearer <token>"
        return await signed_in(self._services.accounts, token, how)

    @staticmethod
    def _idempotency(context: Context, method: str, request: Message) -> IdempotencyKey | None:
        body = request.SerializeToString(deterministic=True)
        return request_key(_metadata(context, "idempotency-key"), method, body)

    @staticmethod
    def _replayed(context: Context, replayed: bool) -> None:
        if replayed:
            context.set_trailing_metadata((("idempotent-replayed", "true"),))

    def _seat_map(self, seat_map: Any) -> Any:
        return seat_map_message(orjson.loads(self._seatmaps.encode(seat_map)))

    @mapped
    async def ListFlights(self, request: Any, context: Context) -> Any:
        check_airports(*(a for a in (request.origin, request.destination) if a))
        try:
            day = date.fromisoformat(request.date) if request.date else None
        except ValueError:
            raise InvalidRequest("date must be YYYY-MM-DD") from None
        limit = request.limit or PAGE_SIZE  # proto3: 0 is "not given"
        check_page(limit, request.offset)
        found = await self._services.catalog.search(
            request.origin or None, request.destination or None, day, limit, request.offset
        )
        return flights_message([flight_summary_json(f) for f in found])

    @mapped
    async def GetSeatMap(self, request: Any, context: Context) -> Any:
        return self._seat_map(await self._services.catalog.seat_map(_flight_id(request.flight_id)))

    @mapped
    async def HoldSeats(self, request: Any, context: Context) -> Any:
        user = await self._user(context)
        seats = _wanted(request)
        idem = self._idempotency(context, "HoldSeats", request)
        replaces = _uuid(request.replaces, "replaces") if request.replaces else None
        result = await self._services.reservations.hold_seats(
            user,
            _flight_id(request.flight_id),
            seats,
            idem,
            self._client_address(context),
            replaces,
            request.admission or None,
        )
        self._replayed(context, result.replayed)
        return hold_message(hold_json(result.hold))

    @mapped
    async def ListHolds(self, request: Any, context: Context) -> Any:
        user = await self._user(context)
        flight_id = _flight_id(request.flight_id) if request.flight_id else None
        limit = request.limit or PAGE_SIZE  # proto3: 0 is "not given"
        check_page(limit, request.offset)
        found = await self._services.reservations.live_holds(user, flight_id, limit, request.offset)
        return holds_message([hold_json(hold) for hold in found])

    @mapped
    async def ReleaseHold(self, request: Any, context: Context) -> Any:
        user = await self._user(context)
        await self._services.reservations.release_hold(user, _uuid(request.hold_id, "hold_id"))
        return pb.ReleaseHoldResponse()

    @mapped
    async def GetQuote(self, request: Any, context: Context) -> Any:
        user = await self._user(context)
        view = await self._services.reservations.quote(
            user,
            _uuid(request.hold_id, "hold_id"),
            _discount_code(request.discount_code),
            self._client_address(context),
        )
        return quote_message(quote_view_json(view))

    @mapped
    async def ConfirmBooking(self, request: Any, context: Context) -> Any:
        user = await self._user(context)
        token = check_payment_token(request.payment_token)
        idem = self._idempotency(context, "ConfirmBooking", request)
        result = await self._services.bookings.confirm(
            user,
            _uuid(request.hold_id, "hold_id"),
            token,
            _discount_code(request.discount_code),
            idem,
            self._client_address(context),
            passengers=[
                passenger_from_text(p.seat, p.given_name, p.family_name, p.date_of_birth, p.type)
                for p in request.passengers
            ],
        )
        self._replayed(context, result.replayed)
        [trip] = await self._services.bookings.with_flights([result.booking])
        return booking_message(booking_json(trip.booking, trip.flight))

    @mapped
    async def FindBooking(self, request: Any, context: Context) -> Any:
        found = await self._services.bookings.look_up(
            request.reference, request.family_name, self._client_address(context)
        )
        return found_booking_message(found_booking_json(found))

    @mapped
    async def CancelBooking(self, request: Any, context: Context) -> Any:
        user = await self._user(context)
        booking = await self._services.bookings.cancel(
            user, _uuid(request.booking_id, "booking_id")
        )
        [trip] = await self._services.bookings.with_flights([booking])
        return booking_message(booking_json(trip.booking, trip.flight))

    async def WatchFlight(self, request: Any, context: Context) -> None:
        """Same semantics as `WS /ws/flights/{id}`: snapshot, then changes, resumable. A
        watcher whose stream is not read (its flow-control window and socket full) is cut
        off as soon as it falls too far behind, as over WebSocket, not when it reads
        again: a write blocked on it is given up."""
        watching = self._services.watching
        try:
            flight_id = _flight_id(request.flight_id)
            after = check_event_id(request.after) if request.HasField("after") else None
            start = await watching.start(flight_id, after)
        except DomainError as exc:
            await abort(context, exc)
            return
        await context.write(
            pb.FlightEvent(
                snapshot=pb.Snapshot(
                    event_id=start.event_id, seat_map=self._seat_map(start.seat_map)
                )
            )
        )
        cut_off = asyncio.Event()

        async def send_changes() -> None:
            # Closed on the way out, not when collected: a stream cut off waits on its
            # abort until its client reads again, and must not stay subscribed meanwhile.
            changes = watching.changes(flight_id, start.after, cut_off=cut_off)
            async with aclosing(changes), aclosing(until_closed(changes, self.closing)) as batches:
                async for batch in batches:
                    for event in batch.encoded(seat_change_events):  # encoded once a process
                        await context.write(event)

        try:
            await until_cut_off(send_changes(), cut_off)
            if self.closing.is_set():
                await context.abort(
                    grpc.StatusCode.UNAVAILABLE,
                    "server shutting down; watch again with after=<last event_id>",
                )
        except SlowConsumer as exc:
            await context.abort(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"{exc}; watch again with after=<last event_id>",
            )
        except DomainError as exc:  # the database away mid-stream: UNAVAILABLE, resumable
            await abort(context, exc)
