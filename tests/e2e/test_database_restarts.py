"""A PostgreSQL restart (fast, then immediate: a crash) while an app server is busy: every
answer is a success, a clean 4xx, or a 503 with Retry-After that a client retries; never a
500, never a traceback; and the server serves again once the database is back."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from lastseat.bootstrap import build_services
from lastseat.domain.users import Role
from lastseat.stack.postgres import PostgresServer, start_private_cluster
from tests.support.databases import create_pg_database, make_settings, migrated
from tests.support.flights import new_flight
from tests.support.servers import AppServer, server_env

WORKERS = 6
CUSTOMER = ("ann@example.com", "ann-password-1")


@pytest.fixture
def private_postgres() -> Iterator[PostgresServer]:
    server = start_private_cluster()  # ours alone: restarting it disturbs no other test
    yield server
    server.stop()


async def test_a_database_restart_gives_503s_with_retry_after_and_never_a_500(
    private_postgres: PostgresServer, server_logs: Path
) -> None:
    url = private_postgres.sqlalchemy_url(await create_pg_database(private_postgres))
    await migrated(url)
    services = build_services(make_settings(url))
    try:
        flight = await services.catalog.create_flight(new_flight(services.catalog.now()))
        await services.accounts.ensure_user(*CUSTOMER, Role.CUSTOMER)
    finally:
        await services.close()
    log = server_logs / "app-db-restarts.log"
    app = AppServer(server_env(url, LASTSEAT_DB_CONNECT_TIMEOUT_SECONDS="2"), log).start()
    auth: dict[str, str] = {}
    answers: Counter[int] = Counter()
    bad: list[str] = []
    stop = asyncio.Event()

    async def work(client: httpx.AsyncClient, n: int) -> None:
        seat = f"{10 + n}A"
        while not stop.is_set():
            for method, path, body in (
                ("GET", "/api/v1/flights", None),
                ("GET", f"/api/v1/flights/{flight.id}/seats", None),
                ("POST", "/api/v1/holds", {"flight_id": flight.id, "seats": [seat]}),
            ):
                try:
                    response = await client.request(method, app.url + path, json=body, headers=auth)
                except httpx.TransportError as error:  # the app server itself must not drop
                    bad.append(f"{method} {path}: {error!r}")
                    continue
                answers[response.status_code] += 1
                if response.status_code >= 500 and (
                    response.status_code != 503
                    or response.headers.get("content-type") != "application/problem+json"
                    or "retry-after" not in response.headers
                ):
                    bad.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
                if method == "POST" and response.status_code == 201:
                    hold = response.json()["id"]
                    await client.delete(app.url + f"/api/v1/holds/{hold}", headers=auth)

    closes: Counter[int] = Counter()

    async def watch() -> None:
        """A live seat map through the restarts: closed, at worst, as "try again later"."""
        url = app.url.replace("http", "ws", 1) + f"/ws/flights/{flight.id}"
        while not stop.is_set():
            try:
                async with websockets.connect(url, open_timeout=5) as socket:
                    while not stop.is_set():
                        await asyncio.wait_for(socket.recv(), 0.5)
            except TimeoutError:
                continue
            except websockets.ConnectionClosed as closed:
                closes[closed.rcvd.code if closed.rcvd else 1006] += 1
            except OSError:
                closes[0] += 1  # the app server refused a connection: must not happen
            await asyncio.sleep(0.2)

    try:
        async with httpx.AsyncClient(timeout=30) as client:
            email, password = CUSTOMER
            signed_in = await client.post(
                app.url + "/api/v1/auth/login", json={"email": email, "password": password}
            )
            auth["Authorization"] = f"Bearer {signed_in.json()['access_token']}"
            workers = [asyncio.create_task(work(client, n)) for n in range(WORKERS)]
            workers.append(asyncio.create_task(watch()))
            await asyncio.sleep(1.0)
            for mode in ("fast", "immediate"):
                await asyncio.to_thread(private_postgres.restart, mode)
                await asyncio.sleep(1.5)
            await asyncio.sleep(3.0)  # the pool meets (and drops) its dead connections
            stop.set()
            await asyncio.gather(*workers)
            # back to normal: every request succeeds again
            settled = [
                (await client.get(app.url + f"/api/v1/flights/{flight.id}/seats")).status_code
                for _ in range(20)
            ]
    finally:
        app.stop()
    assert not bad, bad[:10]
    assert answers[500] == 0 and set(answers) <= {200, 201, 409, 503}, answers
    assert answers[200] > 0 and answers[201] > 0
    assert settled == [200] * 20
    assert set(closes) <= {1013}, closes  # never 1011 (an error) nor a refused connection
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert not [line for line in lines if line.get("event") == "unhandled_error"]
