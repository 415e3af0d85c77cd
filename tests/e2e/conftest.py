"""End-to-end fixtures: real app server processes over a real database, on loopback."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from lastseat.bootstrap import build_services
from lastseat.domain.users import Role
from lastseat.stack.postgres import PostgresServer
from tests.support.databases import create_pg_database, drop_pg_database, make_settings
from tests.support.leaks import known_secrets
from tests.support.servers import (
    ADMIN,
    APP_SERVERS,
    DATABASE_PASSWORD,
    WATCH_QUEUE_LIMIT,
    AppServer,
    AppServers,
    grpc_serving,
    server_env,
)


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
    await services.database.upgrade()
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
def app_servers(e2e_database: str, server_logs: Path) -> Iterator[AppServers]:
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
        yield AppServers(e2e_database, servers, token, sandbox, env)
    finally:
        for server in servers:
            server.stop()
        sandbox.stop()


@pytest.fixture(scope="module")
def grpc_server(app_servers: AppServers, server_logs: Path) -> Iterator[AppServer]:
    """A `lastseat serve-grpc` process beside the end-to-end app servers, on the same database."""
    server = AppServer(
        app_servers.env, server_logs / "grpc.log", command="serve-grpc", ready_check=grpc_serving
    )
    try:
        yield server.start()
    finally:
        server.stop()
