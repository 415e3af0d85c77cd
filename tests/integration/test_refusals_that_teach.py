"""A refused hold teaches, on both databases and both APIs: besides the seats it asked for
that are taken, it carries the flight's free seats as they are now and whether the flight
is sold out, so a client picks again from them or stops, instead of rereading the map or
guessing seat after seat (docs/api.md)."""

from __future__ import annotations

from typing import Any

import grpc
import httpx
import pytest

from lastseat.v1 import booking_pb2 as pb
from tests.support.asgi import assert_problem, bearer, signed_in
from tests.support.flights import flight_body


@pytest.fixture
async def two_seat_flight(api: httpx.AsyncClient, admin: dict[str, str]) -> int:
    body: dict[str, Any] = dict(flight_body(code="LS002"))
    body["cabins"] = [{**body["cabins"][1], "rows": [1, 1], "letters": "AB"}]
    made = await api.post("/api/v1/admin/flights", json=body, headers=admin)
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


async def _hold(
    api: httpx.AsyncClient, who: dict[str, str], flight_id: int, seats: list[str]
) -> httpx.Response:
    return await api.post(
        "/api/v1/holds", json={"flight_id": flight_id, "seats": seats}, headers=who
    )


async def test_a_refused_hold_lists_the_seats_free_now(
    api: httpx.AsyncClient, flight_id: int
) -> None:
    ann = bearer(await signed_in(api, "ann@example.com"))
    bob = bearer(await signed_in(api, "bob@example.com"))
    assert (await _hold(api, ann, flight_id, ["3A", "3B"])).status_code == 201
    refused = assert_problem(
        await _hold(api, bob, flight_id, ["3B", "3C"]), 409, "seats-unavailable"
    )
    seat_map = (await api.get(f"/api/v1/flights/{flight_id}/seats")).json()
    free = [s["seat"] for s in seat_map["seats"] if s["status"] == "available"]
    assert refused["seats"] == ["3B"]
    assert refused["available"] == free and "3C" in free and "3A" not in free
    assert refused["sold_out"] is False
    # and it holds what it was told is free
    assert (await _hold(api, bob, flight_id, refused["available"][:2])).status_code == 201


async def test_a_sold_out_flight_says_so(
    api: httpx.AsyncClient, two_seat_flight: int, grpc_stub: Any
) -> None:
    ann = bearer(await signed_in(api, "ann@example.com"))
    bob = bearer(await signed_in(api, "bob@example.com"))
    assert (await _hold(api, ann, two_seat_flight, ["1A", "1B"])).status_code == 201
    refused = assert_problem(await _hold(api, bob, two_seat_flight, ["1B"]), 409)
    assert (refused["seats"], refused["available"], refused["sold_out"]) == (["1B"], [], True)
    assert "sold out" in refused["detail"]

    # gRPC carries the same in its trailers, as it does the seats
    with pytest.raises(grpc.aio.AioRpcError) as over_grpc:
        await grpc_stub.HoldSeats(
            pb.HoldSeatsRequest(flight_id=two_seat_flight, seats=["1A"]),
            metadata=(("authorization", bob["Authorization"]),),
        )
    assert over_grpc.value.code() == grpc.StatusCode.ABORTED
    trailers = dict(over_grpc.value.trailing_metadata() or ())
    assert (trailers["seats"], trailers["available"], trailers["sold_out"]) == ("1A", "", "true")


@pytest.mark.settings(holds_per_customer=2)
async def test_a_replayed_hold_is_not_a_new_attempt(api: httpx.AsyncClient, flight_id: int) -> None:
    """Retries of one hold (the same key) count as the one attempt they repeat: a client
    on a flaky network does not use up its rate by retrying."""
    ann = bearer(await signed_in(api, "ann@example.com"))
    body = {"flight_id": flight_id, "seats": ["7A"]}
    keyed = {**ann, "Idempotency-Key": "hold-7A"}
    first = await api.post("/api/v1/holds", json=body, headers=keyed)
    for _ in range(3):
        again = await api.post("/api/v1/holds", json=body, headers=keyed)
        assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
        assert again.headers["idempotent-replayed"] == "true"
    assert (await _hold(api, ann, flight_id, ["7B"])).status_code == 201  # the second
    assert (await _hold(api, ann, flight_id, ["7C"])).status_code == 429  # the third
