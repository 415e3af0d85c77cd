"""Load balancing and failover: the proxy spreads requests, a killed app server costs no
request (GETs, and POSTs carrying an Idempotency-Key, are retried on the other one) and
is started again by the supervisor, and a rolling restart of the app servers costs no
request at all, POSTs without a key included."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections import Counter

import httpx

from tests.support.stack import Stack

F = "/api/v1/flights"
ROUNDS = 120


async def signed_up(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    """Sign up through the stack and log in: the Authorization header."""
    creds = {"email": email, "password": password}
    assert (await client.post("/api/v1/auth/signup", json=creds)).status_code == 201
    login = await client.post("/api/v1/auth/login", json=creds)
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


async def test_requests_spread_over_both_app_servers(failover_stack: Stack) -> None:
    async with failover_stack.client() as client:
        upstreams = Counter([(await client.get(F)).headers["x-upstream"] for _ in range(40)])
    assert len(upstreams) == 2, upstreams
    assert min(upstreams.values()) >= 10, upstreams


async def test_killing_an_app_server_mid_stream_fails_no_request(failover_stack: Stack) -> None:
    victim = failover_stack.tiers()["app-1"]
    restarts = failover_stack.restarts()
    async with failover_stack.client() as client:
        auth = await signed_up(client, "failover@example.com", "failover password")
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
    # the supervisor starts the dead one again, and `status` counts the restart
    shown = await failover_stack.status_once_up(seconds=60)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    app_1 = next(line for line in shown.stdout.splitlines() if "app-1" in line)
    assert "up" in app_1 and failover_stack.tiers()["app-1"] != victim
    after = failover_stack.restarts()
    assert after["app-1"] >= restarts["app-1"] + 1 and after["app-2"] == restarts["app-2"]


async def test_a_rolling_restart_of_the_app_servers_fails_no_request(failover_stack: Stack) -> None:
    before = failover_stack.tiers()
    restarts = failover_stack.restarts()
    async with failover_stack.client() as client:
        auth = await signed_up(client, "rolling@example.com", "rolling password")
        flight_id = (await client.get(F)).json()["items"][0]["id"]
        failures: list[tuple[str, int | str]] = []
        served = Counter[str]()
        done = asyncio.Event()

        async def load(seat: str) -> None:
            while not done.is_set():
                # paced under the firewall's per-address rate (100/s in these tests)
                await asyncio.sleep(0.1)
                for method, path, body in (
                    ("GET", F, None),
                    # no Idempotency-Key: nginx may not retry these, so none may be lost
                    ("POST", "/api/v1/holds", {"flight_id": flight_id, "seats": [seat]}),
                ):
                    try:
                        answer = await client.request(method, path, json=body, headers=auth)
                    except httpx.TransportError as error:
                        failures.append((method, repr(error)))
                        continue
                    if answer.status_code not in (200, 201):
                        failures.append((method, answer.status_code))
                        continue
                    served[answer.headers["x-upstream"]] += 1
                    if method == "POST":
                        released = await client.delete(
                            f"/api/v1/holds/{answer.json()['id']}", headers=auth
                        )
                        if released.status_code != 204:
                            failures.append(("DELETE", released.status_code))

        workers = [asyncio.create_task(load(seat)) for seat in ("20A", "20B", "20C")]
        rolled = await asyncio.to_thread(failover_stack.lastseat, "restart", "app", timeout=200)
        done.set()
        await asyncio.gather(*workers)
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert not failures, failures[:20]
    after = failover_stack.tiers()
    assert all(after[name] != before[name] for name in ("app-1", "app-2"))
    assert all(failover_stack.restarts()[name] == restarts[name] + 1 for name in ("app-1", "app-2"))
    # requests reached the old servers, then the new ones (ports changed with the roll)
    assert len(served) >= 3, served
