"""Secrets: the signing key rotates without logging everyone out; browsers see no secret."""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from lastseat.bootstrap import Services, build_services
from lastseat.entrypoints.http.app import create_app
from tests.support.clock import FakeClock
from tests.support.databases import make_settings
from tests.support.payments import FakePayments

OLD, NEW = "old-signing-key-0123456789", "new-signing-key-9876543210"


async def _accounts(services: Services, clock: FakeClock, **keys: str) -> Services:
    url = services.settings.database_url.get_secret_value()
    return build_services(make_settings(url, **keys), clock, payments=FakePayments())


async def test_rotating_the_signing_key_keeps_sessions_for_the_grace_period(
    services: Services, clock: FakeClock
) -> None:
    before = await _accounts(services, clock, token_signing_key=OLD)
    after = await _accounts(services, clock, token_signing_key=NEW, token_signing_key_previous=OLD)
    retired = await _accounts(services, clock, token_signing_key=NEW)
    try:
        await before.accounts.signup("ann@example.com", "ann-password-1")
        _, old_session = await before.accounts.login("ann@example.com", "ann-password-1")
        assert await after.accounts.authenticate(old_session) is not None  # grace period
        _, new_session = await after.accounts.login("ann@example.com", "ann-password-1")
        assert await retired.accounts.authenticate(new_session) is not None
        assert await retired.accounts.authenticate(old_session) is None  # grace over
        await after.accounts.logout(old_session)
        assert await after.accounts.authenticate(old_session) is None
    finally:
        for built in (before, after, retired):
            await built.close()


async def test_the_browser_gets_an_allow_list_of_settings(services: Services) -> None:
    transport = httpx.ASGITransport(app=create_app(services.settings, services))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as api:
        public = (await api.get("/api/v1/config")).json()
    assert set(public) == {
        "public_origin",
        "hold_ttl_seconds",
        "max_seats_per_hold",
        "min_password_length",
        "max_password_length",
        "request_path_panel",
    }
    settings = services.settings
    secrets = [settings.token_signing_key, settings.payments_secret_key, settings.database_url]
    assert all(isinstance(secret, SecretStr) for secret in secrets)
    text = repr(settings) + str(public)
    for secret in secrets:
        assert secret.get_secret_value() not in text


async def test_a_password_change_ends_every_session(services: Services) -> None:
    transport = httpx.ASGITransport(app=create_app(services.settings, services))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as api:
        creds = {"email": "ann@example.com", "password": "ann-password-1"}
        await api.post("/api/v1/auth/signup", json=creds)
        tokens = [
            (await api.post("/api/v1/auth/login", json=creds)).json()["access_token"]
            for _ in range(2)
        ]
        api.cookies.clear()
        first = {"Authorization": f"Bearer {tokens[0]}"}
        wrong = await api.post(
            "/api/v1/me/password",
            json={"current_password": "not-it-at-all", "new_password": "a-brand-new-one"},
            headers=first,
        )
        assert wrong.status_code == 401
        weak = await api.post(
            "/api/v1/me/password",
            json={"current_password": "ann-password-1", "new_password": "password123"},
            headers=first,
        )
        assert weak.status_code == 422
        changed = await api.post(
            "/api/v1/me/password",
            json={"current_password": "ann-password-1", "new_password": "a-brand-new-one"},
            headers=first,
        )
        assert changed.status_code == 204
        for token in tokens:  # the other device's session ends too
            me = await api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 401
        relogin = await api.post(
            "/api/v1/auth/login", json={**creds, "password": "a-brand-new-one"}
        )
        assert relogin.status_code == 200
