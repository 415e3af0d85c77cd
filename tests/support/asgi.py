"""The HTTP API in-process (ASGI) for integration tests: signing in, and reading problems."""

from __future__ import annotations

from typing import Any

import httpx

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
