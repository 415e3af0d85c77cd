"""Load balancing and failover: the proxy spreads requests, and a killed app server costs
no request (GETs, and POSTs carrying an Idempotency-Key, are retried on the other one).
Runs last: it kills an app server of the package's stack."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections import Counter

from tests.support.stack import Site

F = "/api/v1/flights"
ROUNDS = 120


async def test_requests_spread_over_both_app_servers(site: Site) -> None:
    async with site.client() as client:
        upstreams = Counter([(await client.get(F)).headers["x-upstream"] for _ in range(40)])
    assert len(upstreams) == 2, upstreams
    assert min(upstreams.values()) >= 10, upstreams


async def test_killing_an_app_server_mid_stream_fails_no_request(site: Site) -> None:
    victim = site.tiers()["app-1"]
    async with site.client() as client:
        creds = {"email": "failover@example.com", "password": "failover password"}
        assert (await client.post("/api/v1/auth/signup", json=creds)).status_code == 201
        login = await client.post("/api/v1/auth/login", json=creds)
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        flight_id = (await client.get(F)).json()["items"][-1]["id"]
        seats = [f"{row}{letter}" for row in range(10, 30) for letter in "ABCDEF"]
        failures: list[tuple[str, int]] = []
        killed = asyncio.Event()

        async def stream() -> None:
            for i in range(ROUNDS):
                if i == ROUNDS // 4:
                    os.kill(victim, signal.SIGKILL)
                    killed.set()
                got = await client.get(F)
                if got.status_code != 200:
                    failures.append(("GET", got.status_code))
                if i % 3 == 0:
                    held = await client.post(
                        "/api/v1/holds",
                        json={"flight_id": flight_id, "seats": [seats[i // 3]]},
                        headers={**auth, "Idempotency-Key": f"failover-{uuid.uuid4()}"},
                    )
                    if held.status_code != 201:
                        failures.append(("POST", held.status_code))
                        continue
                    # released at once: one customer may hold only so many seats at a time
                    released = await client.delete(
                        f"/api/v1/holds/{held.json()['id']}", headers=auth
                    )
                    if released.status_code != 204:
                        failures.append(("DELETE", released.status_code))

        await asyncio.wait_for(stream(), timeout=120)
    assert killed.is_set()
    assert not failures, failures
    shown = site.lastseat("status")
    table = shown.stdout + shown.stderr
    assert shown.returncode == 1
    app_1 = next(line for line in table.splitlines() if "app-1" in line)
    assert "down" in app_1
    app_2 = next(line for line in table.splitlines() if "app-2" in line)
    assert "down" not in app_2
