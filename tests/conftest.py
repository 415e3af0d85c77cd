"""Shared fixtures: a database of each kind, services over it, and real app servers."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from lastseat.bootstrap import Services, build_services
from lastseat.stack.ports import SHARE_ENV
from lastseat.stack.postgres import PostgresServer, find_or_start
from tests.support.clock import FakeClock
from tests.support.databases import fresh_pg_database, make_settings
from tests.support.leaks import RECORDINGS_ENV, ResponseScanner, known_secrets
from tests.support.payments import FakePayments


def pytest_configure(config: pytest.Config) -> None:
    # Each parallel worker (and every server it starts) picks ports from a share of its own.
    worker, workers = (
        os.environ.get("PYTEST_XDIST_WORKER"),
        os.environ.get("PYTEST_XDIST_WORKER_COUNT"),
    )
    if worker and workers and worker.removeprefix("gw").isdigit():
        os.environ[SHARE_ENV] = f"{worker.removeprefix('gw')}/{workers}"
    config.addinivalue_line(
        "markers",
        "runs_after(*prefixes): run after every test whose node id starts with a prefix"
        " (a test that needs what those did), whatever order the rest run in",
    )


@pytest.hookimpl(trylast=True)  # after any plugin that shuffles the order
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in [item for item in items if item.get_closest_marker("runs_after")]:
        marker = item.get_closest_marker("runs_after")
        assert marker is not None
        prefixes = tuple(str(prefix) for prefix in marker.args)
        index = items.index(item)
        items.remove(item)
        named = [n for n, other in enumerate(items) if other.nodeid.startswith(prefixes)]
        items.insert(max([index, *(n + 1 for n in named)]), item)


@pytest.fixture(scope="session", autouse=True)
def no_secret_in_any_response() -> Iterator[ResponseScanner]:
    """Every response of the whole run, in-process or over the network, holds no secret."""
    scanner = ResponseScanner(known_secrets())
    scanner.install()
    yield scanner
    scanner.uninstall()
    if RECORDINGS_ENV in os.environ:
        scanner.save(
            Path(os.environ[RECORDINGS_ENV]), os.environ.get("PYTEST_XDIST_WORKER", "main")
        )
    assert not scanner.leaks, "\n".join(scanner.leaks[:20])


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    # LASTSEAT_TEST_PRIVATE_PG=1 exercises the path taken on machines without PostgreSQL.
    server = find_or_start(private=os.environ.get("LASTSEAT_TEST_PRIVATE_PG") == "1")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'lastseat.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    async with fresh_pg_database(server) as url:
        yield url


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
