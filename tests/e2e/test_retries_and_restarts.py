"""Retried bookings create one booking; a restart loses nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from tests.support.over_http import hold_seats, make_flight, make_users
from tests.support.passengers import passengers_json
from tests.support.servers import AppServer, AppServers, server_env


async def test_concurrent_retries_with_one_key_make_one_booking(app_servers: AppServers) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        [ann] = await make_users(client, app_servers, "retry", 1)
        flight_id = await make_flight(client, app_servers, "LS400")
        hold_id = await hold_seats(client, app_servers, ann, flight_id, ["4A", "4B"])
        body = {
            "hold_id": hold_id,
            "payment": {"token": "tok_ok"},
            "passengers": passengers_json(["4A", "4B"]),
        }
        headers = {**ann, "Idempotency-Key": "checkout-7f3a"}
        responses = await asyncio.gather(
            *(
                client.post(app_servers.url(i) + "/api/v1/bookings", json=body, headers=headers)
                for i in range(24)
            )
        )
        assert {r.status_code for r in responses} == {201}
        assert len({r.json()["id"] for r in responses}) == 1
        assert sum("idempotent-replayed" not in r.headers for r in responses) == 1
        listed = (await client.get(app_servers.url(1) + "/api/v1/bookings", headers=ann)).json()
        assert [b["id"] for b in listed["items"]] == [responses[0].json()["id"]]
        # a sequential retry, after the fact, replays too
        late = await client.post(
            app_servers.url(1) + "/api/v1/bookings", json=body, headers=headers
        )
        assert late.status_code == 201 and late.json() == responses[0].json()


async def test_bookings_and_seats_survive_a_restart(
    app_servers: AppServers, server_logs: Path
) -> None:
    # stop every app server, start a fresh process on the same database
    async with httpx.AsyncClient(timeout=60) as client:
        [ann] = await make_users(client, app_servers, "restart", 1)
        flight_id = await make_flight(client, app_servers, "LS401")
        hold_id = await hold_seats(client, app_servers, ann, flight_id, ["2A", "2C"])
        booking = await client.post(
            app_servers.url() + "/api/v1/bookings",
            json={
                "hold_id": hold_id,
                "payment": {"token": "tok_ok"},
                "passengers": passengers_json(["2A", "2C"]),
            },
            headers=ann,
        )
        assert booking.status_code == 201
        await hold_seats(client, app_servers, ann, flight_id, ["9F"])
    for server in app_servers.servers:
        server.stop()
    try:
        env = server_env(app_servers.database_url, LASTSEAT_PAYMENTS_URL=app_servers.sandbox.url)
        fresh = AppServer(env, server_logs / "app-restarted.log").start()
        try:
            async with httpx.AsyncClient(base_url=fresh.url, timeout=30) as client:
                got = await client.get(f"/api/v1/bookings/{booking.json()['id']}", headers=ann)
                assert got.status_code == 200
                assert got.json() == booking.json()
                seat_map = (await client.get(f"/api/v1/flights/{flight_id}/seats")).json()
                status = {s["seat"]: s["status"] for s in seat_map["seats"]}
                assert status["2A"] == status["2C"] == "booked"
                assert status["9F"] == "held"
                assert list(status.values()).count("available") == len(status) - 3
        finally:
            fresh.stop()
    finally:
        for server in app_servers.servers:
            server.start()


async def test_an_idle_connection_is_kept_longer_than_clients_keep_theirs(
    app_servers: AppServers,
) -> None:
    """The app server must not be the side that closes an idle keep-alive connection: a
    client (nginx's upstream pool: 60 s, httpx: 5 s) may be sending on it at that instant.
    uvicorn's own default (5 s) would close this one during the pause."""
    url = httpx.URL(app_servers.url(0))
    reader, writer = await asyncio.open_connection(url.host, url.port)
    request = f"GET /healthz HTTP/1.1\r\nHost: {url.host}\r\n\r\n".encode()

    async def ask() -> bytes:
        writer.write(request)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        await asyncio.wait_for(reader.readexactly(length), timeout=10)
        return head

    try:
        assert (await ask()).startswith(b"HTTP/1.1 200")
        await asyncio.sleep(6.5)  # idle past httpx's expiry and uvicorn's default
        assert (await ask()).startswith(b"HTTP/1.1 200")
    finally:
        writer.close()
