"""Live seat maps over WebSockets, across app server processes (both databases)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import websockets
from sqlalchemy.ext.asyncio import create_async_engine

from lastseat.adapters.db import tables
from lastseat.bootstrap import build_services
from lastseat.client import ApiError, watch
from lastseat.entrypoints.ws.flights import SLOW_CONSUMER
from tests.support.clock import FakeClock
from tests.support.databases import make_settings
from tests.support.outbox import seat_change_bursts, seat_changes_written
from tests.support.over_http import hold_seats, make_flight, make_users
from tests.support.servers import AppServers

# A bound on waiting, not a performance figure: events normally arrive in milliseconds.
WAIT_SECONDS = 5.0
# Watchers that read all along next to the stalled one, on the same app server, and how
# long they may take to read the 100,000 changes or more that the stalled one is cut off
# after (a bound on waiting, not a performance figure).
READERS = 1
READ_ALL_SECONDS = 60.0


def ws_url(base: str, flight_id: int, after: int | None = None) -> str:
    url = base.replace("http://", "ws://") + f"/ws/flights/{flight_id}"
    return url if after is None else f"{url}?after={after}"


async def receive(socket: Any) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), WAIT_SECONDS))
    return message


async def test_a_hold_reaches_watchers_on_both_servers(app_servers: AppServers) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        [ann] = await make_users(client, app_servers, "watch", 1)
        flight_id = await make_flight(client, app_servers, "LS960")
        async with (
            websockets.connect(ws_url(app_servers.url(0), flight_id)) as first,
            websockets.connect(ws_url(app_servers.url(1), flight_id)) as second,
        ):
            for socket in (first, second):
                snapshot = await receive(socket)
                assert snapshot["type"] == "snapshot"
                assert snapshot["seat_map"]["flight_id"] == flight_id
                assert {s["status"] for s in snapshot["seat_map"]["seats"]} == {"available"}
            await hold_seats(client, app_servers, ann, flight_id, ["9C"])
            seen = [await receive(first), await receive(second)]
            assert seen[0] == seen[1]
            assert seen[0]["type"] == "seat" and seen[0]["seat"] == "9C"
            assert seen[0]["status"] == "held" and seen[0]["event_id"] > snapshot["event_id"]


async def test_a_reconnecting_watcher_gets_exactly_what_it_missed(app_servers: AppServers) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        # seven customers, so none holds more than one customer may (eight seats each)
        users = await make_users(client, app_servers, "resume", 7)
        flight_id = await make_flight(client, app_servers, "LS961")
        async with websockets.connect(ws_url(app_servers.url(0), flight_id)) as socket:
            last_seen = (await receive(socket))["event_id"]
        seats = [f"{row}{letter}" for row in range(3, 12) for letter in "ABCDEF"][:50]
        for index, seat in enumerate(seats):  # 50 changes, through both servers
            response = await client.post(
                app_servers.url(index) + "/api/v1/holds",
                json={"flight_id": flight_id, "seats": [seat]},
                headers=users[index % len(users)],
            )
            assert response.status_code == 201
        async with websockets.connect(ws_url(app_servers.url(1), flight_id, last_seen)) as socket:
            assert (await receive(socket))["type"] == "snapshot"
            missed = [await receive(socket) for _ in seats]
            assert [m["seat"] for m in missed] == seats
            assert all(m["status"] == "held" for m in missed)
            ids = [m["event_id"] for m in missed]
            assert ids == sorted(set(ids)) and ids[0] > last_seen
            # nothing else is pending: the next message is the next change, not a repeat
            await hold_seats(client, app_servers, users[-1], flight_id, ["20F"])
            after = await receive(socket)
            assert after["seat"] == "20F" and after["event_id"] > ids[-1]


async def test_every_watcher_gets_every_change_once_and_in_order_through_bursts(
    app_servers: AppServers,
) -> None:
    """Concurrent holds through both servers and bursts written in one transaction each
    land in the same tick: however they are batched, each watcher's messages are the
    flight's events after its snapshot, each once, in id order, none left over."""
    async with httpx.AsyncClient(timeout=30) as client:
        users = await make_users(client, app_servers, "bursts", 8)
        flight_id = await make_flight(client, app_servers, "LS965")
        urls = [ws_url(app_servers.url(i), flight_id) for i in range(12)]
        async with contextlib.AsyncExitStack() as stack:
            sockets = [await stack.enter_async_context(websockets.connect(u)) for u in urls]
            starts = [(await receive(socket))["event_id"] for socket in sockets]
            seats = [f"{row}{letter}" for row in range(3, 7) for letter in "ABCDEF"]
            for wave, size in zip(range(0, len(seats), 8), (1, 20, 40), strict=True):
                await asyncio.gather(
                    *(
                        client.post(
                            app_servers.url(i) + "/api/v1/holds",
                            json={"flight_id": flight_id, "seats": [seat]},
                            headers=users[i],
                        )
                        for i, seat in enumerate(seats[wave : wave + 8])
                    ),
                    seat_changes_written(app_servers.database_url, flight_id, size),
                )
            events = await _events(app_servers.database_url, flight_id)
            assert len(events) == len(seats) + 61
            for socket, start in zip(sockets, starts, strict=True):
                expected = [e for e in events if e[0] > start]
                got = [await receive(socket) for _ in expected]
                assert [(m["event_id"], m["seat"], m["status"]) for m in got] == expected
            # Nothing repeated is left in any socket: the next message is the next change.
            await hold_seats(client, app_servers, users[0], flight_id, ["20F"])
            for socket in sockets:
                following = await receive(socket)
                assert following["seat"] == "20F" and following["event_id"] > events[-1][0]


async def _events(database_url: str, flight_id: int) -> list[tuple[int, str, str]]:
    """The flight's events in the outbox, in id order."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.select(tables.events.c.id, tables.events.c.seat, tables.events.c.status)
                .where(tables.events.c.flight_id == flight_id)
                .order_by(tables.events.c.id)
            )
            return [(row[0], row[1], row[2]) for row in rows]
    finally:
        await engine.dispose()


async def test_unknown_flights_and_bad_positions_are_refused(app_servers: AppServers) -> None:
    for url, code in (
        (ws_url(app_servers.url(), 999_999), 4404),
        (ws_url(app_servers.url(), 1) + "?after=-5", 4400),
    ):
        async with websockets.connect(url) as socket:
            try:
                await asyncio.wait_for(socket.recv(), WAIT_SECONDS)
            except websockets.exceptions.ConnectionClosed as closed:
                assert closed.rcvd is not None and closed.rcvd.code == code
            else:
                raise AssertionError(f"{url} was not refused")


async def _read_ids(socket: Any, ids: list[int]) -> None:
    """The event ids of a watcher's changes, as they come, until cancelled."""
    assert json.loads(await socket.recv())["type"] == "snapshot"
    async for raw in socket:
        ids.append(json.loads(raw)["event_id"])


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def _stalled_socket(port: int) -> socket.socket:
    """A client socket with a tiny receive buffer, so an unread stream backs up quickly."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    return sock


async def test_a_watcher_that_stops_reading_is_cut_off_and_can_resume(
    app_servers: AppServers,
) -> None:
    """...while the watchers of the same app server that read get every change, each once:
    the stalled socket holds up no one but itself."""
    async with httpx.AsyncClient(timeout=30) as client:
        flight_id = await make_flight(client, app_servers, "LS962")
        metrics_url = app_servers.url(0) + "/metrics"
        cut_before = _metric(
            (await client.get(metrics_url)).text, "lastseat_watchers_cut_off_total"
        )
        slow = await websockets.connect(
            ws_url(app_servers.url(0), flight_id),
            sock=_stalled_socket(app_servers.servers[0].port),
            max_queue=1,  # the client library stops reading from the socket at once
        )
        readers = [
            await websockets.connect(ws_url(app_servers.url(0), flight_id), max_queue=None)
            for _ in range(READERS)
        ]
        heard: list[list[int]] = [[] for _ in readers]
        reading = [
            asyncio.create_task(_read_ids(reader, ids))
            for reader, ids in zip(readers, heard, strict=True)
        ]
        try:
            first = await receive(slow)
            assert first["type"] == "snapshot"
            # Bursts go on in the background while the metric is watched: the stalled
            # client must start reading soon after it is cut off, or the server stops
            # waiting to send it the close frame (CLOSE_TIMEOUT_SECONDS).
            written = [0]
            stop = asyncio.Event()
            writing = asyncio.create_task(
                seat_change_bursts(app_servers.database_url, flight_id, written, stop)
            )
            for _ in range(int(READ_ALL_SECONDS * 10)):  # (bounded, past the last burst)
                metrics = (await client.get(metrics_url)).text
                if _metric(metrics, "lastseat_watchers_cut_off_total") > cut_before:
                    break
                if writing.done():  # the app servers may still be reading the outbox
                    writing.result()
                await asyncio.sleep(0.1)
            else:
                raise AssertionError(f"{written[0]} changes later the stalled watcher is on")
            stop.set()  # (the burst under way ends: all of it is in `written`)
            # The stalled client now reads: what the socket held, then the 4008 close.
            received: list[dict[str, Any]] = []
            try:
                while True:
                    received.append(await receive(slow))
            except websockets.exceptions.ConnectionClosed as closed:
                assert closed.rcvd is not None and closed.rcvd.code == SLOW_CONSUMER
            await writing
            changes = written[0]
            assert len(received) < changes  # it was cut off, not served everything
            ids = [m["event_id"] for m in received]
            assert ids == sorted(set(ids))
            # The readers beside it were not cut off and hear every change, each once.
            every = [e[0] for e in await _events(app_servers.database_url, flight_id)]
            for _ in range(int(READ_ALL_SECONDS * 10)):  # (bounded)
                if all(len(reader_ids) >= len(every) for reader_ids in heard):
                    break
                await asyncio.sleep(0.1)
            assert heard == [every] * READERS
            assert not any(task.done() for task in reading)  # still open, none closed
        finally:
            for task in reading:
                task.cancel()
            await asyncio.gather(*reading, return_exceptions=True)
            for socket in (slow, *readers):
                await socket.close()
        # Resuming from its last event gets exactly the rest, with no gap or repeat.
        last = ids[-1] if ids else first["event_id"]
        async with websockets.connect(ws_url(app_servers.url(1), flight_id, last)) as resumed:
            assert (await receive(resumed))["type"] == "snapshot"
            rest = [await receive(resumed) for _ in range(changes - len(received))]
            rest_ids = [m["event_id"] for m in rest]
            assert rest_ids == sorted(set(rest_ids)) and rest_ids[0] > last


async def test_the_python_watch_client_follows_a_flight_and_reports_refusals(
    app_servers: AppServers,
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        [ann] = await make_users(client, app_servers, "watch-client", 1)
        flight_id = await make_flight(client, app_servers, "LS963")
        stream = watch(app_servers.url(1), flight_id)
        assert isinstance(stream, AsyncGenerator)  # typed as an iterator; closed below
        snapshot = await asyncio.wait_for(anext(stream), WAIT_SECONDS)
        assert snapshot["type"] == "snapshot" and snapshot["seat_map"]["flight_id"] == flight_id
        await hold_seats(client, app_servers, ann, flight_id, ["8A", "8B"])
        changes = [await asyncio.wait_for(anext(stream), WAIT_SECONDS) for _ in range(2)]
        assert [(c["seat"], c["status"]) for c in changes] == [("8A", "held"), ("8B", "held")]
        await stream.aclose()
    with pytest.raises(ApiError) as refused:
        await asyncio.wait_for(anext(watch(app_servers.url(0), 999_999)), WAIT_SECONDS)
    assert refused.value.problem == "not-found"


async def test_a_watcher_resuming_from_before_the_retention_window_gets_a_snapshot(
    app_servers: AppServers,
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        [ann] = await make_users(client, app_servers, "pruned", 1)
        flight_id = await make_flight(client, app_servers, "LS963")
        await hold_seats(client, app_servers, ann, flight_id, ["3A"])
        [other] = await make_users(client, app_servers, "pruned-other", 1)
        other_flight = await make_flight(client, app_servers, "LS964")
        await hold_seats(client, app_servers, other, other_flight, ["3A"])  # (the newest stays)
        # Two days on, this flight's hold is past the window: pruned (with all before it).
        later = FakeClock(datetime.now(UTC) + timedelta(days=2))
        pruner = build_services(make_settings(app_servers.database_url), clock=later)
        try:
            while await pruner.watching.prune_history():
                pass
        finally:
            await pruner.close()
        async with websockets.connect(ws_url(app_servers.url(1), flight_id, 0)) as socket:
            snapshot = await receive(socket)
            assert snapshot["type"] == "snapshot"
            held = {s["seat"] for s in snapshot["seat_map"]["seats"] if s["status"] == "held"}
            assert held == {"3A"}
            await hold_seats(client, app_servers, ann, flight_id, ["3B"])
            following = await receive(socket)  # not the pruned 3A, with a hole after it
            assert following["seat"] == "3B" and following["event_id"] > snapshot["event_id"]
