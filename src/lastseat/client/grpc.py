"""The gRPC API (`lastseat.v1.Booking`), asynchronously, with the same errors as HTTP."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message

from lastseat.client.closing import AsyncClosing
from lastseat.client.errors import ApiError, problem_name
from lastseat.v1 import booking_pb2 as pb
from lastseat.v1 import booking_pb2_grpc

T = TypeVar("T")


def as_dict(message: Message) -> dict[str, Any]:
    """A message in the HTTP API's JSON shape: proto field names, integers kept integers,
    zero values included (proto3 leaves them out of the wire, the JSON API does not)."""
    result: dict[str, Any] = {}
    for field in message.DESCRIPTOR.fields:
        value = getattr(message, field.name)
        if field.is_repeated:
            nested = field.message_type is not None
            result[field.name] = [as_dict(v) for v in value] if nested else list(value)
        elif field.has_presence and not message.HasField(field.name):
            continue
        elif field.message_type is not None:
            result[field.name] = as_dict(value)
        else:
            result[field.name] = value
    return result


def _error(exc: grpc.aio.AioRpcError) -> ApiError:
    trailers = {key: value for key, value in (exc.trailing_metadata() or ())}
    problem = problem_name(str(trailers.get("problem-type", exc.code().name.lower())))
    body: dict[str, Any] = {}
    if "seats" in trailers:
        body["seats"] = str(trailers["seats"]).split(",")
    if "errors" in trailers:  # refused fields, as JSON (entrypoints/grpc/errors.trailers_for)
        body["errors"] = json.loads(trailers["errors"])
    return ApiError(exc.code().name, problem, exc.details() or "", body)


def grpc_target(address: str, dns_server: str | None = None) -> str:
    """`address` (host:port) as a gRPC target; with `dns_server` (host:port, such as
    lastseat's DNS tier), one whose name gRPC resolves at that server."""
    if dns_server is None or "://" in address:
        return address
    return f"dns://{dns_server}/{address}"


class GrpcClient(AsyncClosing):
    """`target` is host:port, or any gRPC target: `dns://127.0.0.1:5353/lastseat.test:8443`
    resolves the name at lastseat's DNS tier. With `ca` (a CA file) the channel is TLS, as
    through the firewall tier; without it, plaintext, as to an app server on loopback."""

    def __init__(
        self,
        target: str,
        token: str | None = None,
        channel: grpc.aio.Channel | None = None,
        ca: str | None = None,
    ) -> None:
        self.token = token
        if channel is None:
            if ca is None:
                channel = grpc.aio.insecure_channel(target)
            else:
                credentials = grpc.ssl_channel_credentials(Path(ca).read_bytes())
                channel = grpc.aio.secure_channel(target, credentials)
        self._channel = channel
        self._stub: Any = booking_pb2_grpc.BookingStub(self._channel)  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        await self._channel.close()

    def _metadata(self, idempotency_key: str | None = None) -> tuple[tuple[str, str], ...]:
        metadata = []
        if self.token is not None:
            metadata.append(("authorization", f"Bearer {self.token}"))
        if idempotency_key is not None:
            metadata.append(("idempotency-key", idempotency_key))
        return tuple(metadata)

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await call()
        except grpc.aio.AioRpcError as exc:
            raise _error(exc) from None

    async def flights(self, origin: str = "", destination: str = "", day: str = "") -> Any:
        request = pb.ListFlightsRequest(origin=origin, destination=destination, date=day)
        response = await self._call(lambda: self._stub.ListFlights(request))
        return list(response.flights)

    async def seat_map(self, flight_id: int) -> Any:
        request = pb.GetSeatMapRequest(flight_id=flight_id)
        return await self._call(lambda: self._stub.GetSeatMap(request))

    async def hold(
        self,
        flight_id: int,
        seats: list[str],
        idempotency_key: str | None = None,
        replaces: str = "",
    ) -> Any:
        request = pb.HoldSeatsRequest(flight_id=flight_id, seats=seats, replaces=replaces)
        metadata = self._metadata(idempotency_key or str(uuid.uuid4()))
        return await self._call(lambda: self._stub.HoldSeats(request, metadata=metadata))

    async def quote(self, hold_id: str, discount_code: str = "") -> Any:
        request = pb.GetQuoteRequest(hold_id=hold_id, discount_code=discount_code)
        return await self._call(lambda: self._stub.GetQuote(request, metadata=self._metadata()))

    async def release(self, hold_id: str) -> None:
        request = pb.ReleaseHoldRequest(hold_id=hold_id)
        await self._call(lambda: self._stub.ReleaseHold(request, metadata=self._metadata()))

    async def live_holds(self, flight_id: int = 0, limit: int = 0, offset: int = 0) -> Any:
        """The signed-in caller's own live holds, newest first (one flight's with flight_id)."""
        request = pb.ListHoldsRequest(flight_id=flight_id, limit=limit, offset=offset)
        metadata = self._metadata()
        response = await self._call(lambda: self._stub.ListHolds(request, metadata=metadata))
        return list(response.holds)

    async def book(
        self,
        hold_id: str,
        payment_token: str,
        discount_code: str = "",
        idempotency_key: str | None = None,
        *,
        passengers: Sequence[Mapping[str, str]],
    ) -> Any:
        """`passengers` as for HttpClient.book."""
        request = pb.ConfirmBookingRequest(
            hold_id=hold_id,
            payment_token=payment_token,
            discount_code=discount_code,
            passengers=[pb.Passenger(**p) for p in passengers],
        )
        metadata = self._metadata(idempotency_key or str(uuid.uuid4()))
        return await self._call(lambda: self._stub.ConfirmBooking(request, metadata=metadata))

    async def cancel(self, booking_id: str) -> Any:
        request = pb.CancelBookingRequest(booking_id=booking_id)
        return await self._call(
            lambda: self._stub.CancelBooking(request, metadata=self._metadata())
        )

    async def find_booking(self, reference: str, family_name: str) -> Any:
        request = pb.FindBookingRequest(reference=reference, family_name=family_name)
        return await self._call(lambda: self._stub.FindBooking(request))

    async def watch(self, flight_id: int, after: int | None = None) -> AsyncIterator[Any]:
        """FlightEvent messages: a snapshot, then seat changes (after `after`, if given)."""
        request = pb.WatchFlightRequest(flight_id=flight_id)
        if after is not None:
            request.after = after
        try:
            async for event in self._stub.WatchFlight(request):
                yield event
        except grpc.aio.AioRpcError as exc:
            raise _error(exc) from None
