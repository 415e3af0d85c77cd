"""End-to-end fixtures: real app server processes over a real database, on loopback."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from lastseat.adapters.db import migrate
from lastseat.bootstrap import build_services
from lastseat.domain.users import Role
from lastseat.stack.postgres import PostgresServer
from lastseat.stack.supervisor import grpc_serving as serving
from tests.support.databases import create_pg_database, drop_pg_database, make_settings
from tests.support.flights import flight_body
from tests.support.leaks import known_secrets
from tests.support.servers import DATABASE_PASSWORD, PAYMENTS_KEY, AppServer, server_env

APP_SERVERS = 2
# Small, so the slow-consumer test reaches it with a few hundred changes.
WATCH_QUEUE_LIMIT = 64
ADMIN = ("admin@example.com", "admin-password-1")


@dataclass
class Stack:
    database_url: str
    servers: list[AppServer]
    admin_token: str
    sandbox: AppServer
    env: dict[str, str]

    def url(self, index: int = 0) -> str:
        return self.servers[index % len(self.servers)].url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def e2e_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("e2e-sqlite") / "lastseat.db"
        url = f"sqlite+aiosqlite:///{path}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        name = await create_pg_database(server)
        url = server.sqlalchemy_url(name).replace(
            f"//{server.user}@", f"//{server.user}:{DATABASE_PASSWORD}@"
        )
    services = build_services(make_settings(url))
    await migrate.upgrade(services.engine)
    await services.accounts.ensure_user(*ADMIN, Role.ADMIN)
    await services.close()
    yield url
    if request.param == "postgresql":
        await drop_pg_database(request.getfixturevalue("postgres"), url.rsplit("/", 1)[1])


@pytest.fixture(scope="session")
def server_logs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where every server process of the run logs; scanned for secrets at the end."""
    folder = tmp_path_factory.mktemp("server-logs")
    yield folder
    text = "\n".join(path.read_text() for path in folder.glob("*.log"))
    assert text, "the servers wrote no log at all"
    for secret in known_secrets():
        assert secret not in text, "a secret in a server log"


@pytest.fixture(scope="module")
def stack(e2e_database: str, server_logs: Path) -> Iterator[Stack]:
    ledger = server_logs / f"sandbox-ledger-{uuid.uuid4().hex[:8]}.jsonl"
    sandbox = AppServer(
        server_env(e2e_database, LASTSEAT_SANDBOX_LEDGER=str(ledger)),
        server_logs / "payments-sandbox.log",
        command="payments-sandbox",
        ready_path="/healthz",
    )
    env = server_env(
        e2e_database,
        LASTSEAT_PAYMENTS_URL=sandbox.url,
        LASTSEAT_WATCH_QUEUE_LIMIT=str(WATCH_QUEUE_LIMIT),
    )
    servers = [AppServer(env, server_logs / f"app-{i}.log") for i in range(APP_SERVERS)]
    try:
        sandbox.start()
        for server in servers:
            server.start()
        token = httpx.post(
            servers[0].url + "/api/v1/auth/login",
            json={"email": ADMIN[0], "password": ADMIN[1]},
        ).json()["access_token"]
        yield Stack(e2e_database, servers, token, sandbox, env)
    finally:
        for server in servers:
            server.stop()
        sandbox.stop()


async def sandbox_state(client: httpx.AsyncClient, stack: Stack, payment: str) -> Any:
    """What the payment provider's ledger says of an authorization."""
    response = await client.get(
        stack.sandbox.url + f"/v1/authorizations/{payment}",
        headers={"Authorization": f"Bearer {PAYMENTS_KEY}"},
    )
    return response.json()


def grpc_serving(server: AppServer) -> bool:
    """The gRPC server's own health service says SERVING."""
    return serving(f"127.0.0.1:{server.port}")()


@pytest.fixture(scope="module")
def grpc_server(stack: Stack, server_logs: Path) -> Iterator[AppServer]:
    """A `lastseat serve-grpc` process beside the stack's app servers, on the same database."""
    server = AppServer(
        stack.env, server_logs / "grpc.log", command="serve-grpc", ready_check=grpc_serving
    )
    try:
        yield server.start()
    finally:
        server.stop()


async def make_users(
    client: httpx.AsyncClient, stack: Stack, prefix: str, count: int
) -> list[dict[str, str]]:
    """Sign up and log in `count` users over HTTP, spread over the app servers."""

    async def one(i: int) -> dict[str, str]:
        base = stack.url(i)
        creds = {"email": f"{prefix}-{i}@example.com", "password": f"{prefix}-password-{i}"}
        signup = await client.post(base + "/api/v1/auth/signup", json=creds)
        assert signup.status_code == 201, signup.text
        login = await client.post(base + "/api/v1/auth/login", json=creds)
        return {"Authorization": f"Bearer {login.json()['access_token']}"}

    semaphore = asyncio.Semaphore(32)

    async def bounded(i: int) -> dict[str, str]:
        async with semaphore:
            return await one(i)

    return list(await asyncio.gather(*(bounded(i) for i in range(count))))


_departures = itertools.count()


async def make_flight(client: httpx.AsyncClient, stack: Stack, code: str) -> int:
    # a new departure each time, so no two tests' flights can clash on (code, departs_at)
    departs = datetime(2030, 1, 10, 9, tzinfo=UTC) + timedelta(minutes=next(_departures))
    response = await client.post(
        stack.url() + "/api/v1/admin/flights",
        json=flight_body(departs_at=departs.isoformat().replace("+00:00", "Z"), code=code),
        headers={"Authorization": f"Bearer {stack.admin_token}"},
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def hold_seats(
    client: httpx.AsyncClient, stack: Stack, auth: dict[str, str], flight_id: int, seats: list[str]
) -> str:
    """Hold seats through the first app server; return the hold id."""
    response = await client.post(
        stack.url() + "/api/v1/holds", json={"flight_id": flight_id, "seats": seats}, headers=auth
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])
