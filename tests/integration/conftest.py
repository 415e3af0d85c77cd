"""Fixtures of the HTTP API in-process (ASGI), on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from lastseat.bootstrap import Services
from lastseat.domain.users import Role
from lastseat.entrypoints.http.app import create_app
from tests.support.asgi import bearer, signed_in
from tests.support.flights import flight_body


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
