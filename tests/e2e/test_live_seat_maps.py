"""Live seat maps over WebSockets, across app server processes (both databases)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import websockets

from tests.e2e.conftest import Stack, hold_seats, make_flight, make_users

# A bound on waiting, not a performance figure: events normally arrive in milliseconds.
WAIT_SECONDS = 5.0


def ws_url(base: str, flight_id: int, after: int | None = None) -> str:
    url = base.replace("http://", "ws://") + f"/ws/flights/{flight_id}"
    return url if after is None else f"{url}?after={after}"


async def receive(socket: Any) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), WAIT_SECONDS))
    return message


async def test_a_hold_reaches_watchers_on_both_servers(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        [ann] = await make_users(client, stack, "watch", 1)
        flight_id = await make_flight(client, stack, "LS960")
        async with (
            websockets.connect(ws_url(stack.url(0), flight_id)) as first,
            websockets.connect(ws_url(stack.url(1), flight_id)) as second,
        ):
            for socket in (first, second):
                snapshot = await receive(socket)
                assert snapshot["type"] == "snapshot"
                assert snapshot["seat_map"]["flight_id"] == flight_id
                assert {s["status"] for s in snapshot["seat_map"]["seats"]} == {"available"}
            await hold_seats(client, stack, ann, flight_id, ["9C"])
            seen = [await receive(first), await receive(second)]
            assert seen[0] == seen[1]
            assert seen[0]["type"] == "seat" and seen[0]["seat"] == "9C"
            assert seen[0]["status"] == "held" and seen[0]["event_id"] > snapshot["event_id"]


async def test_a_reconnecting_watcher_gets_exactly_what_it_missed(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        [ann] = await make_users(client, stack, "resume", 1)
        flight_id = await make_flight(client, stack, "LS961")
        async with websockets.connect(ws_url(stack.url(0), flight_id)) as socket:
            last_seen = (await receive(socket))["event_id"]
        seats = [f"{row}{letter}" for row in range(3, 12) for letter in "ABCDEF"][:50]
        for index, seat in enumerate(seats):  # 50 changes, through both servers
            response = await client.post(
                stack.url(index) + "/api/v1/holds",
                json={"flight_id": flight_id, "seats": [seat]},
                headers=ann,
            )
            assert response.status_code == 201
        async with websockets.connect(ws_url(stack.url(1), flight_id, last_seen)) as socket:
            assert (await receive(socket))["type"] == "snapshot"
            missed = [await receive(socket) for _ in seats]
            assert [m["seat"] for m in missed] == seats
            assert all(m["status"] == "held" for m in missed)
            ids = [m["event_id"] for m in missed]
            assert ids == sorted(set(ids)) and ids[0] > last_seen
            # nothing else is pending: the next message is the next change, not a repeat
            await hold_seats(client, stack, ann, flight_id, ["20F"])
            after = await receive(socket)
            assert after["seat"] == "20F" and after["event_id"] > ids[-1]


async def test_unknown_flights_and_bad_positions_are_refused(stack: Stack) -> None:
    for url, code in (
        (ws_url(stack.url(), 999_999), 4404),
        (ws_url(stack.url(), 1) + "?after=-5", 4400),
    ):
        async with websockets.connect(url) as socket:
            try:
                await asyncio.wait_for(socket.recv(), WAIT_SECONDS)
            except websockets.exceptions.ConnectionClosed as closed:
                assert closed.rcvd is not None and closed.rcvd.code == code
            else:
                raise AssertionError(f"{url} was not refused")
