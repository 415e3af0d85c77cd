"""Fixtures of the HTTP API in-process (ASGI), on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import httpx
import pytest

from lastseat.bootstrap import Services
from lastseat.domain.users import Role
from lastseat.entrypoints.grpc.server import build_server
from lastseat.entrypoints.http.app import create_app
from lastseat.stack.ports import free_port
from lastseat.v1 import booking_pb2_grpc
from tests.support.asgi import bearer, signed_in
from tests.support.flights import flight_body, surcharged_flight


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
