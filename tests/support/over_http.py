"""Setting a scene on running app servers over HTTP: users, flights and holds, and what the
payment provider's ledger says of a payment."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support.flights import flight_body, surcharged_flight
from tests.support.servers import PAYMENTS_KEY, AppServers


async def sandbox_state(client: httpx.AsyncClient, app_servers: AppServers, payment: str) -> Any:
    """What the payment provider's ledger says of an authorization."""
    response = await client.get(
        app_servers.sandbox.url + f"/v1/authorizations/{payment}",
        headers={"Authorization": f"Bearer {PAYMENTS_KEY}"},
    )
    return response.json()


async def make_users(
    client: httpx.AsyncClient, app_servers: AppServers, prefix: str, count: int
) -> list[dict[str, str]]:
    """Sign up and log in `count` users over HTTP, spread over the app servers."""

    async def one(i: int) -> dict[str, str]:
        base = app_servers.url(i)
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
# LHR or MAD to JFK, gate to gate: about as long as the sample flights take
ARRIVES_AFTER = timedelta(hours=7, minutes=35)


async def make_flight(
    client: httpx.AsyncClient,
    app_servers: AppServers,
    code: str,
    origin: str = "LHR",
    surcharged: bool = False,
) -> int:
    # a new departure each time, so no two tests' flights can clash on (code, departs_at)
    departs = datetime(2030, 1, 10, 9, tzinfo=UTC) + timedelta(minutes=next(_departures))
    response = await client.post(
        app_servers.url() + "/api/v1/admin/flights",
        json={
            **(surcharged_flight(code) if surcharged else flight_body(code=code)),
            "departs_at": departs.isoformat().replace("+00:00", "Z"),
            "arrives_at": (departs + ARRIVES_AFTER).isoformat().replace("+00:00", "Z"),
            "origin": origin,
        },
        headers={"Authorization": f"Bearer {app_servers.admin_token}"},
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def hold_seats(
    client: httpx.AsyncClient,
    app_servers: AppServers,
    auth: dict[str, str],
    flight_id: int,
    seats: list[str],
) -> str:
    """Hold seats through the first app server; return the hold id."""
    response = await client.post(
        app_servers.url() + "/api/v1/holds",
        json={"flight_id": flight_id, "seats": seats},
        headers=auth,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])
