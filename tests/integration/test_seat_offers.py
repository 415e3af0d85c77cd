"""What the seat map tells a traveller per seat (row, letter, features, the parts of its
price), the same over HTTP and gRPC, on both databases."""

from __future__ import annotations

from typing import Any

import httpx

from lastseat.client.grpc import as_dict
from lastseat.v1 import booking_pb2


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
