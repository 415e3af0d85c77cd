"""Response hardening, CORS and the password policy, in-process on both databases."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from lastseat.bootstrap import Services, build_services
from lastseat.entrypoints.http.app import create_app
from tests.support.databases import make_settings
from tests.support.payments import FakePayments

OWN = "https://lastseat.test"
PARTNER = "https://partner.example"
FOREIGN = "https://evil.example"


@pytest.fixture
async def hardened(database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    settings = make_settings(
        database_url, public_origin=OWN, cors_origins=[PARTNER], cookie_secure=True
    )
    services = build_services(settings, payments=FakePayments())
    await services.database.upgrade()
    transport = httpx.ASGITransport(app=create_app(settings, services))
    try:
        async with httpx.AsyncClient(transport=transport, base_url=OWN) as client:
            yield client, services
    finally:
        await services.close()


async def test_every_response_carries_the_security_headers(
    hardened: tuple[httpx.AsyncClient, Services],
) -> None:
    client, _ = hardened
    for response in (
        await client.get("/api/v1/flights"),
        await client.get("/api/v1/no-such-route"),
        await client.post("/api/v1/holds", json={}),
        await client.get("/api/docs"),
    ):
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["strict-transport-security"].startswith("max-age=")
        assert "server" not in headers
        assert "Traceback" not in response.text


async def test_hsts_only_when_served_over_tls(services: Services) -> None:
    transport = httpx.ASGITransport(app=create_app(services.settings, services))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/healthz")
    assert "strict-transport-security" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_the_api_docs_load_nothing_from_elsewhere_and_nothing_inline(
    hardened: tuple[httpx.AsyncClient, Services],
) -> None:
    client, _ = hardened
    page = await client.get("/api/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = dict(
        d.strip().split(" ", 1) for d in page.headers["content-security-policy"].split(";")
    )
    assert policy["script-src"] == "'self'" and "unsafe-inline" not in policy["style-src"]
    assert "//" not in page.text  # no URL with a host: every file comes from here
    assert page.text.count("<script") == page.text.count("<script src=")  # none inline
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(assets) == 3
    for asset in assets:
        loaded = await client.get(asset)
        assert loaded.status_code == 200, asset
        assert loaded.headers["content-type"].split(";")[0] in ("text/css", "text/javascript")
    assert (await client.get("/api/openapi.json")).json()["openapi"].startswith("3.")
    assert (await client.get("/api/docs/index.html")).status_code == 404  # only those files


@pytest.mark.parametrize("origin", [OWN, PARTNER])
async def test_allowed_origins_get_exact_cors_answers(
    hardened: tuple[httpx.AsyncClient, Services], origin: str
) -> None:
    client, _ = hardened
    preflight = await client.options(
        "/api/v1/holds",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    simple = await client.get("/api/v1/flights", headers={"Origin": origin})
    assert simple.headers["access-control-allow-origin"] == origin
    assert simple.headers["access-control-allow-origin"] != "*"


async def test_a_foreign_origin_gets_no_cors_headers(
    hardened: tuple[httpx.AsyncClient, Services],
) -> None:
    client, _ = hardened
    preflight = await client.options(
        "/api/v1/holds",
        headers={"Origin": FOREIGN, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 400
    assert preflight.headers["content-type"] == "application/problem+json"
    assert not any(name.startswith("access-control-") for name in preflight.headers)
    simple = await client.get("/api/v1/flights", headers={"Origin": FOREIGN})
    assert simple.status_code == 200
    assert not any(name.startswith("access-control-") for name in simple.headers)


@pytest.mark.parametrize(
    "password", ["password123", "PASSWORD123", "qwertyuiop", "ann@example.com", "short"]
)
async def test_weak_passwords_are_refused(
    hardened: tuple[httpx.AsyncClient, Services], password: str
) -> None:
    client, _ = hardened
    response = await client.post(
        "/api/v1/auth/signup", json={"email": "ann@example.com", "password": password}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert password not in response.text


async def test_head_is_get_without_the_body(hardened: tuple[httpx.AsyncClient, Services]) -> None:
    client, _ = hardened
    for path in ("/api/v1/flights", "/api/v1/config", "/healthz"):
        got, head = await client.get(path), await client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]
        assert head.headers["content-length"] == got.headers["content-length"]
    missing = await client.head("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.content == b""
    # HEAD is answered as GET is, so it never reaches a route that changes something.
    post_only = "/api/v1/holds"
    assert (await client.head(post_only)).status_code == (await client.get(post_only)).status_code


async def test_an_authorization_header_not_bearer_is_refused_not_ignored(
    hardened: tuple[httpx.AsyncClient, Services],
) -> None:
    client, _ = hardened
    for value in ("Token abc", "Basic YTpi", "Bearer", "bearer  "):
        response = await client.get("/api/v1/me", headers={"Authorization": value})
        assert response.status_code == 401, value
        assert "Bearer <token>" in response.json()["detail"]  # as gRPC tells it
