"""Shared fixtures: a database of each kind, services over it, and real app servers."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from lastseat.bootstrap import Services, build_services
from lastseat.config import Settings
from lastseat.stack.postgres import PostgresServer, find_or_start
from tests.support.clock import FakeClock
from tests.support.leaks import ResponseScanner, known_secrets
from tests.support.payments import FakePayments

FAST_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_kib": 8192, "argon2_parallelism": 1}


@pytest.fixture(scope="session", autouse=True)
def no_secret_in_any_response() -> Iterator[ResponseScanner]:
    """Every response of the whole run, in-process or over the network, holds no secret."""
    scanner = ResponseScanner(known_secrets())
    scanner.install()
    yield scanner
    scanner.uninstall()
    assert not scanner.leaks, "\n".join(scanner.leaks[:20])


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    # LASTSEAT_TEST_PRIVATE_PG=1 exercises the path taken on machines without PostgreSQL.
    server = find_or_start(private=os.environ.get("LASTSEAT_TEST_PRIVATE_PG") == "1")
    yield server
    server.stop()


async def create_pg_database(server: PostgresServer) -> str:
    name = f"lastseat_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(server.dsn())
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def drop_pg_database(server: PostgresServer, name: str) -> None:
    conn = await asyncpg.connect(server.dsn())
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'lastseat.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    name = await create_pg_database(server)
    try:
        yield server.sqlalchemy_url(name)
    finally:
        await drop_pg_database(server, name)


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "log_level": "warning",
        **FAST_ARGON2,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


async def migrated(url: str) -> str:
    """The database at `url`, migrated to the latest schema (for tests that start servers)."""
    services = build_services(make_settings(url))
    try:
        await services.database.upgrade()
    finally:
        await services.close()
    return url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def payments() -> FakePayments:
    return FakePayments()


@pytest.fixture
async def services(
    request: pytest.FixtureRequest, database_url: str, clock: FakeClock, payments: FakePayments
) -> AsyncIterator[Services]:
    marker = request.node.get_closest_marker("settings")
    overrides = {} if marker is None else marker.kwargs
    settings = make_settings(database_url, **overrides)
    built = build_services(settings, clock=clock, payments=payments)
    await built.database.upgrade()
    try:
        yield built
    finally:
        await built.close()
