"""Fixtures of the HTTP API in-process (ASGI), on both databases; and of two processes'
services on one PostgreSQL database, each with its change feed live."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import httpx
import pytest

from lastseat.bootstrap import Services, build_services
from lastseat.domain.users import Role
from lastseat.entrypoints.grpc.server import build_server
from lastseat.entrypoints.http.app import create_app
from lastseat.stack.ports import free_port
from lastseat.stack.postgres import PostgresServer
from lastseat.v1 import booking_pb2_grpc
from tests.support.asgi import bearer, signed_in
from tests.support.clock import FakeClock
from tests.support.databases import create_pg_database, drop_pg_database, make_settings
from tests.support.flights import flight_body, surcharged_flight
from tests.support.waiting import eventually


@pytest.fixture
async def api(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(services.settings, services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def admin(api: httpx.AsyncClient, services: Services) -> dict[str, str]:
    await services.accounts.ensure_user("admin@example.com", "admin-password", Role.ADMIN)
    return bearer(await signed_in(api, "admin@example.com", "admin-password"))


@pytest.fixture
async def flight_id(api: httpx.AsyncClient, admin: dict[str, str]) -> int:
    response = await api.post("/api/v1/admin/flights", json=flight_body(), headers=admin)
    assert response.status_code == 201, response.text
    assert response.json()["seats"] == 4 + 28 * 6
    return int(response.json()["id"])


@pytest.fixture
async def surcharged_flight_id(api: httpx.AsyncClient, admin: dict[str, str]) -> int:
    made = await api.post("/api/v1/admin/flights", json=surcharged_flight(), headers=admin)
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


@pytest.fixture
async def grpc_address(services: Services) -> AsyncIterator[str]:
    """`lastseat.v1.Booking` in-process on a free loopback port, on the test's services."""
    address = f"127.0.0.1:{free_port()}"
    server, _, _ = build_server(services, address)
    await server.start()
    try:
        yield address
    finally:
        await server.stop(None)


@pytest.fixture
async def grpc_stub(grpc_address: str) -> AsyncIterator[Any]:
    async with grpc.aio.insecure_channel(grpc_address) as channel:
        yield booking_pb2_grpc.BookingStub(channel)  # type: ignore[no-untyped-call]


@pytest.fixture
async def two_processes(
    postgres: PostgresServer, clock: FakeClock
) -> AsyncIterator[tuple[Services, Services]]:
    """Two independent service stacks on one database, as two app servers have."""
    name = await create_pg_database(postgres)
    url = postgres.sqlalchemy_url(name)
    pair = (build_services(make_settings(url), clock), build_services(make_settings(url), clock))
    await pair[0].database.upgrade()
    feeds = [asyncio.create_task(s.change_feed.run()) for s in pair if s.change_feed is not None]
    try:
        for services in pair:

            async def is_live(services: Services = services) -> bool:
                return services.catalog.seat_map_cache_live

            await eventually(is_live, "change feed connected")
        yield pair
    finally:
        for task in feeds:
            task.cancel()
        await asyncio.gather(*feeds, return_exceptions=True)
        for services in pair:
            await services.close()
        await drop_pg_database(postgres, name)
