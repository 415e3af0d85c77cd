"""Every gRPC reply built from real service output on a flight with surcharges, on both
databases: each carries what the HTTP API says about the same hold, quote or booking,
field for field (quote lines' surcharges nest their amount as `Money`, v1's wire shape)."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import httpx
import pytest

from lastseat.bootstrap import Services
from lastseat.client.grpc import as_dict
from lastseat.v1 import booking_pb2 as pb
from lastseat.v1 import booking_pb2_grpc
from tests.support.asgi import bearer, signed_in
from tests.support.outbox import STALLED_GRPC_CHANNEL, seat_changes_written
from tests.support.passengers import passengers_json

WAIT_SECONDS = 10.0  # a bound on waiting, not a performance figure

SEATS = ["12A", "3B", "4D"]  # exit-row window, front row, aisle


def flat_surcharges(quote: dict[str, Any]) -> dict[str, Any]:
    """A gRPC quote in the HTTP shape: `{kind, amount: {amount, currency}}` made flat."""
    lines = [
        {**line, "surcharges": [{"kind": s["kind"], **s["amount"]} for s in line["surcharges"]]}
        for line in quote["lines"]
    ]
    return {**quote, "lines": lines}


# `optional` in the proto: an unknown arrival is unset there, null over HTTP
UNSET_WHEN_NULL = frozenset({"arrives_at", "arrives_local"})


def proto3(value: Any) -> Any:
    """The HTTP JSON as proto3 carries it: no null, an absent string is "" (an unset
    `optional` field is left out)."""
    if isinstance(value, dict):
        return {k: proto3(v) for k, v in value.items() if not (v is None and k in UNSET_WHEN_NULL)}
    if isinstance(value, list):
        return [proto3(v) for v in value]
    return "" if value is None else value


async def test_hold_quote_book_find_and_cancel_surcharged_seats_over_grpc(
    api: httpx.AsyncClient, surcharged_flight_id: int, grpc_stub: Any
) -> None:
    auth = bearer(await signed_in(api, "surcharged@example.com"))
    metadata = (("authorization", auth["Authorization"]),)

    hold = as_dict(
        await grpc_stub.HoldSeats(
            pb.HoldSeatsRequest(flight_id=surcharged_flight_id, seats=SEATS), metadata=metadata
        )
    )
    [exit_window] = [line for line in hold["quote"]["lines"] if line["seat"] == "12A"]
    assert exit_window["surcharges"] == [
        {"kind": "exit_row", "amount": {"amount": 2_500, "currency": "EUR"}},
        {"kind": "window", "amount": {"amount": 500, "currency": "EUR"}},
    ]
    by_http = (await api.get(f"/api/v1/holds/{hold['id']}", headers=auth)).json()
    unrefused = {"discount_refused": "", **by_http["quote"]}  # proto3: no code, no refusal
    assert {**hold, "quote": flat_surcharges(hold["quote"])} == proto3(
        {**by_http, "quote": unrefused}
    )

    # the caller's live holds carry the same surcharged quote
    listed = as_dict(
        await grpc_stub.ListHolds(
            pb.ListHoldsRequest(flight_id=surcharged_flight_id), metadata=metadata
        )
    )
    assert listed["holds"] == [hold]

    quote = as_dict(
        await grpc_stub.GetQuote(
            pb.GetQuoteRequest(hold_id=hold["id"], discount_code="NO-SUCH-CODE"),
            metadata=metadata,
        )
    )
    quoted_by_http = await api.get(
        f"/api/v1/holds/{hold['id']}/quote", params={"discount_code": "NO-SUCH-CODE"}, headers=auth
    )
    assert quote["discount_refused"]
    assert flat_surcharges(quote) == proto3(quoted_by_http.json())

    passengers = [pb.Passenger(**p) for p in passengers_json(SEATS)]
    booking = as_dict(
        await grpc_stub.ConfirmBooking(
            pb.ConfirmBookingRequest(
                hold_id=hold["id"], payment_token="tok_ok", passengers=passengers
            ),
            metadata=metadata,
        )
    )
    assert booking["total"] == hold["quote"]["total"]
    booked_by_http = (await api.get(f"/api/v1/bookings/{booking['id']}", headers=auth)).json()
    assert booking == proto3(booked_by_http)

    family_name = passengers_json(SEATS)[0]["family_name"]
    found = as_dict(
        await grpc_stub.FindBooking(
            pb.FindBookingRequest(reference=booking["reference"], family_name=family_name)
        )
    )
    found_by_http = await api.post(
        "/api/v1/bookings/lookup",
        json={"reference": booking["reference"], "family_name": family_name},
    )
    assert found == proto3(found_by_http.json())

    cancelled = as_dict(
        await grpc_stub.CancelBooking(
            pb.CancelBookingRequest(booking_id=booking["id"]), metadata=metadata
        )
    )
    cancelled_by_http = (await api.get(f"/api/v1/bookings/{booking['id']}", headers=auth)).json()
    assert cancelled["status"] == "cancelled" and cancelled == proto3(cancelled_by_http)


async def test_the_flight_list_over_grpc_carries_what_http_lists(
    api: httpx.AsyncClient, surcharged_flight_id: int, grpc_stub: Any
) -> None:
    listed = as_dict(await grpc_stub.ListFlights(pb.ListFlightsRequest(origin="LHR")))
    by_http = (await api.get("/api/v1/flights", params={"origin": "LHR"})).json()["items"]
    assert listed["flights"] == proto3(by_http)
    assert [f["id"] for f in listed["flights"]] == [surcharged_flight_id]


async def test_a_watch_stream_not_read_is_cut_off_before_it_reads_again(
    services: Services, grpc_address: str, flight_id: int, database_url: str
) -> None:
    """A stream whose client stops reading is ended as soon as it falls too far behind (the
    write blocked on it is given up), not when the client reads again: its subscription
    is gone meanwhile, and what the client then reads ends with RESOURCE_EXHAUSTED."""
    request = pb.WatchFlightRequest(flight_id=flight_id)
    async with grpc.aio.insecure_channel(grpc_address, options=STALLED_GRPC_CHANNEL) as channel:
        stream = booking_pb2_grpc.BookingStub(channel).WatchFlight(request)  # type: ignore[no-untyped-call]
        first = await asyncio.wait_for(stream.read(), WAIT_SECONDS)
        assert first.WhichOneof("event") == "snapshot"
        assert services.watching.watchers == 1
        # more than the stream's window and the watcher's queue hold, read by no one
        changes = 3 * services.settings.watch_queue_limit
        await seat_changes_written(database_url, flight_id, changes)
        for _ in range(int(WAIT_SECONDS * 10)):  # (bounded)
            if services.watching.watchers == 0:
                break
            await asyncio.sleep(0.1)
        assert services.watching.watchers == 0
        with pytest.raises(grpc.aio.AioRpcError) as ended:
            for _ in range(changes + 1):  # (bounded: never more than was written)
                assert await asyncio.wait_for(stream.read(), WAIT_SECONDS) is not grpc.aio.EOF
        assert ended.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
