"""The HTTP API in-process (ASGI) for integration tests: signing in, and reading problems."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.passengers import passengers_json

PROBLEM = "application/problem+json"


async def signed_in(api: httpx.AsyncClient, email: str, password: str = "a-good-password") -> str:
    """A bearer token for the account, signed up first if it is new."""
    if (
        await api.post("/api/v1/auth/signup", json={"email": email, "password": password})
    ).status_code not in (201, 409):
        raise AssertionError("signup failed")
    response = await api.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200
    api.cookies.clear()  # these tests authenticate by bearer token unless they say otherwise
    return str(response.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(
    response: httpx.Response, status: int, code: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    if code is not None:
        assert body["type"].endswith(":" + code)
    return body


async def booked_seat(
    api: httpx.AsyncClient, headers: dict[str, str], flight_id: int, seat: str
) -> dict[str, Any]:
    """Hold one seat and pay for it with the sandbox's good card: the booking's body."""
    held = await api.post(
        "/api/v1/holds", json={"flight_id": flight_id, "seats": [seat]}, headers=headers
    )
    assert held.status_code == 201, held.text
    booked = await api.post(
        "/api/v1/bookings",
        json={
            "hold_id": held.json()["id"],
            "payment": {"token": "tok_ok"},
            "passengers": passengers_json([seat]),
        },
        headers=headers,
    )
    assert booked.status_code == 201, booked.text
    body: dict[str, Any] = booked.json()
    return body
