"""What the seat map tells a traveller per seat (row, letter, features, the parts of its
price), the same over HTTP and gRPC, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import httpx
import pytest

from lastseat.bootstrap import Services
from lastseat.client.grpc import as_dict
from lastseat.entrypoints.grpc.server import build_server
from lastseat.stack.ports import free_port
from lastseat.v1 import booking_pb2, booking_pb2_grpc
from tests.support.flights import flight_body

SURCHARGES = {"exit_row": 2_500, "front_row": 1_000, "front_rows": 1, "window": 500, "aisle": 300}


def surcharged_flight() -> dict[str, Any]:
    body: dict[str, Any] = dict(flight_body(code="LS202"))
    economy = {**body["cabins"][1], "exit_rows": [12], "aisle_after": "C"}
    return {**body, "cabins": [body["cabins"][0], economy], "surcharges": SURCHARGES}


@pytest.fixture
async def surcharged_flight_id(api: httpx.AsyncClient, admin: dict[str, str]) -> int:
    made = await api.post("/api/v1/admin/flights", json=surcharged_flight(), headers=admin)
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


@pytest.fixture
async def grpc_stub(services: Services) -> AsyncIterator[Any]:
    address = f"127.0.0.1:{free_port()}"
    server, _, _ = build_server(services, address)
    await server.start()
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            yield booking_pb2_grpc.BookingStub(channel)  # type: ignore[no-untyped-call]
    finally:
        await server.stop(None)


def eur(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "EUR"}


async def test_each_seat_says_where_it_is_what_it_is_and_why_it_costs_what_it_costs(
    api: httpx.AsyncClient, surcharged_flight_id: int
) -> None:
    seats = {
        seat["seat"]: seat
        for seat in (await api.get(f"/api/v1/flights/{surcharged_flight_id}/seats")).json()["seats"]
    }
    exit_window = seats["12A"]
    assert exit_window["row"] == 12 and exit_window["letter"] == "A"
    assert exit_window["features"] == ["window", "exit_row", "extra_legroom"]
    assert exit_window["price_parts"] == {
        "fare": eur(15_000),
        "surcharges": [{"kind": "exit_row", **eur(2_500)}, {"kind": "window", **eur(500)}],
    }
    assert exit_window["price"] == eur(18_000)
    assert seats["12B"]["features"] == ["middle", "exit_row", "extra_legroom"]
    assert seats["12C"]["features"] == ["aisle", "exit_row", "extra_legroom"]
    assert seats["3B"]["features"] == ["middle", "front_row"]
    assert seats["3B"]["price_parts"]["surcharges"] == [{"kind": "front_row", **eur(1_000)}]
    assert seats["4D"]["features"] == ["aisle"]
    assert seats["4D"]["price_parts"]["surcharges"] == [{"kind": "aisle", **eur(300)}]
    for seat in seats.values():  # the parts add up to the price, for every seat
        parts = seat["price_parts"]
        added = parts["fare"]["amount"] + sum(s["amount"] for s in parts["surcharges"])
        assert added == seat["price"]["amount"], seat


async def test_grpc_seat_map_carries_the_same_seats_as_http(
    api: httpx.AsyncClient, surcharged_flight_id: int, grpc_stub: Any
) -> None:
    by_http = (await api.get(f"/api/v1/flights/{surcharged_flight_id}/seats")).json()
    request = booking_pb2.GetSeatMapRequest(flight_id=surcharged_flight_id)
    by_grpc = as_dict(await grpc_stub.GetSeatMap(request))
    assert by_grpc == by_http
    assert any(seat["price_parts"]["surcharges"] for seat in by_grpc["seats"])
