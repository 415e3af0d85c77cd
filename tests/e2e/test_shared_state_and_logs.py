"""One source of truth across app servers, and logs that keep secrets out."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx

from tests.support.over_http import make_flight
from tests.support.servers import DATABASE_PASSWORD, PAYMENTS_KEY, AppServers, server_env

WAIT_SECONDS = 5.0


async def test_a_hold_on_one_server_shows_on_the_other(app_servers: AppServers) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        creds = {"email": "shared@example.com", "password": "shared-password-1"}
        await client.post(app_servers.url(0) + "/api/v1/auth/signup", json=creds)
        login = await client.post(app_servers.url(0) + "/api/v1/auth/login", json=creds)
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        flight_id = await make_flight(client, app_servers, "LS500")
        seats_path = f"/api/v1/flights/{flight_id}/seats"
        for index in (0, 1):  # both servers have the map in memory before the change
            assert (await client.get(app_servers.url(index) + seats_path)).status_code == 200
        hold = await client.post(
            app_servers.url(0) + "/api/v1/holds",
            json={"flight_id": flight_id, "seats": ["7D"]},
            headers=auth,
        )
        assert hold.status_code == 201
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            seat_map = (await client.get(app_servers.url(1) + seats_path)).json()
            status = {s["seat"]: s["status"] for s in seat_map["seats"]}["7D"]
            if status == "held" or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.02)
        assert status == "held", "server 1 never showed the hold made on server 0"


async def test_logs_hold_no_password_token_or_key(
    app_servers: AppServers, server_logs: Path
) -> None:
    password = "log-canary-password-9"
    async with httpx.AsyncClient(timeout=30) as client:
        creds = {"email": "canary@example.com", "password": password}
        await client.post(app_servers.url(1) + "/api/v1/auth/signup", json=creds)
        await client.post(app_servers.url(1) + "/api/v1/auth/signup", json=creds)  # 409
        bad = await client.post(
            app_servers.url(1) + "/api/v1/auth/login", json={**creds, "password": password + "x"}
        )
        assert bad.status_code == 401
        token = (await client.post(app_servers.url(1) + "/api/v1/auth/login", json=creds)).json()[
            "access_token"
        ]
        auth = {"Authorization": f"Bearer {token}", "X-Request-ID": "canary-request"}
        assert (
            await client.get(app_servers.url(1) + "/api/v1/me", headers=auth)
        ).status_code == 200
        await client.post(app_servers.url(1) + "/api/v1/auth/logout", headers=auth)
    for _ in range(50):  # logs are written in batches (log_flush_seconds): allow for that
        logs = [path.read_text() for path in server_logs.glob("*.log")]  # noqa: ASYNC240
        text = "\n".join(logs)
        if "canary-request" in text:
            break
        await asyncio.sleep(0.1)
    assert "canary-request" in text  # the request was logged, by its id
    signing_key = server_env("")["LASTSEAT_TOKEN_SIGNING_KEY"]
    for secret in (
        password,
        token,
        signing_key,
        app_servers.admin_token,
        DATABASE_PASSWORD,
        PAYMENTS_KEY,
    ):
        assert secret not in text
    for content in logs:
        complete = content.splitlines(keepends=True)
        for line in complete:
            if line.startswith("{") and line.endswith("\n"):  # the last may be mid-write
                json.loads(line)  # every app log line is a JSON object
