"""The real sandbox provider over HTTP: failures lose no seat, charge nothing twice, leak no key."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from lastseat.stack.ports import free_port
from tests.support.over_http import hold_seats, make_flight, make_users, sandbox_state
from tests.support.passengers import passengers_json
from tests.support.servers import (
    DATABASE_PASSWORD,
    PAYMENTS_KEY,
    AppServer,
    AppServers,
    server_env,
)


@contextmanager
def extra_server(app_servers: AppServers, logs: Path, name: str, **env: str) -> Iterator[AppServer]:
    """One more app server on the other app servers' database, with some settings changed."""
    settings = server_env(
        app_servers.database_url, **{"LASTSEAT_PAYMENTS_URL": app_servers.sandbox.url, **env}
    )
    server = AppServer(settings, logs / f"{name}.log").start()
    try:
        yield server
    finally:
        server.stop()


async def _book(
    client: httpx.AsyncClient, base: str, auth: dict[str, str], body: Any, key: str
) -> httpx.Response:
    return await client.post(
        base + "/api/v1/bookings", json=body, headers={**auth, "Idempotency-Key": key}
    )


async def test_a_wrong_key_is_refused_by_the_provider_and_reported_as_503(
    app_servers: AppServers, server_logs: Path
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        refused = await client.post(
            app_servers.sandbox.url + "/v1/authorizations",
            json={"amount": 100, "currency": "EUR", "token": "tok_ok"},
            headers={"Authorization": "Bearer sk_wrong", "Idempotency-Key": "k"},
        )
        assert refused.status_code == 401
        [ann] = await make_users(client, app_servers, "wrongkey", 1)
        flight_id = await make_flight(client, app_servers, "LS800")
        hold_id = await hold_seats(client, app_servers, ann, flight_id, ["3A"])
        body = {
            "hold_id": hold_id,
            "payment": {"token": "tok_ok"},
            "passengers": passengers_json(["3A"]),
        }
        with extra_server(
            app_servers, server_logs, "app-wrong-key", LASTSEAT_PAYMENTS_SECRET_KEY="sk_wrong_key"
        ) as server:
            failed = await _book(client, server.url, ann, body, "k-1")
        assert failed.status_code == 503
        assert failed.headers["content-type"] == "application/problem+json"
        assert "sk_wrong_key" not in failed.text and PAYMENTS_KEY not in failed.text
        ok = await _book(client, app_servers.url(), ann, body, "k-1")  # a retry on a good server
        assert ok.status_code == 201


async def test_provider_down_or_slow_loses_no_seat_and_retries_complete_once(
    app_servers: AppServers, server_logs: Path
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        [ann] = await make_users(client, app_servers, "flaky", 1)
        flight_id = await make_flight(client, app_servers, "LS801")
        hold_id = await hold_seats(client, app_servers, ann, flight_id, ["3C", "4C"])
        body = {
            "hold_id": hold_id,
            "payment": {"token": "tok_ok"},
            "passengers": passengers_json(["3C", "4C"]),
        }
        nowhere = f"http://127.0.0.1:{free_port()}"
        with extra_server(
            app_servers, server_logs, "app-no-provider", LASTSEAT_PAYMENTS_URL=nowhere
        ) as server:
            down = await _book(client, server.url, ann, body, "pay-7")
        assert down.status_code == 503 and "cannot be reached" in down.json()["detail"]
        slow = await _book(
            client, app_servers.url(), ann, {**body, "payment": {"token": "tok_slow"}}, "pay-8"
        )
        assert slow.status_code == 503 and "in time" in slow.json()["detail"]
        seats = (await client.get(app_servers.url(1) + f"/api/v1/flights/{flight_id}/seats")).json()
        status = {s["seat"]: s["status"] for s in seats["seats"]}
        assert status["3C"] == status["4C"] == "held"  # nothing lost
        assert (await client.get(app_servers.url() + "/api/v1/bookings", headers=ann)).json() == {
            "items": []
        }
        first = await _book(client, app_servers.url(0), ann, body, "pay-7")
        again = await _book(client, app_servers.url(1), ann, body, "pay-7")
        assert first.status_code == again.status_code == 201
        assert first.json()["id"] == again.json()["id"]
        assert again.headers["idempotent-replayed"] == "true"


async def test_a_failed_capture_leaves_a_booking_paid_by_its_authorization(
    app_servers: AppServers,
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        [ann] = await make_users(client, app_servers, "capture", 1)
        flight_id = await make_flight(client, app_servers, "LS802")
        hold_id = await hold_seats(client, app_servers, ann, flight_id, ["5E"])
        booking = await _book(
            client,
            app_servers.url(),
            ann,
            {
                "hold_id": hold_id,
                "payment": {"token": "tok_capture_fails"},
                "passengers": passengers_json(["5E"]),
            },
            "cap-1",
        )
        assert booking.status_code == 201 and booking.json()["status"] == "confirmed"
        declined = await hold_seats(client, app_servers, ann, flight_id, ["5F"])
        refused = await _book(
            client,
            app_servers.url(),
            ann,
            {
                "hold_id": declined,
                "payment": {"token": "tok_declined"},
                "passengers": passengers_json(["5F"]),
            },
            "cap-2",
        )
        assert refused.status_code == 402
        cancel = await client.post(
            app_servers.url() + f"/api/v1/bookings/{booking.json()['id']}/cancel", headers=ann
        )
        assert cancel.status_code == 200


async def test_a_checkout_never_shows_the_provider_key(
    app_servers: AppServers, server_logs: Path
) -> None:
    seen: list[str] = []
    async with httpx.AsyncClient(timeout=30) as client:

        async def record(response: httpx.Response) -> None:
            await response.aread()
            seen.append(response.text)
            seen.extend(f"{k}: {v}" for k, v in response.headers.items())

        client.event_hooks["response"] = [record]
        [ann] = await make_users(client, app_servers, "leak", 1)
        flight_id = await make_flight(client, app_servers, "LS803")
        await client.get(app_servers.url() + "/api/docs")
        await client.get(app_servers.url() + "/api/openapi.json")
        await client.get(app_servers.url() + f"/api/v1/flights/{flight_id}/seats")
        hold_id = await hold_seats(client, app_servers, ann, flight_id, ["6A"])
        await client.get(app_servers.url() + f"/api/v1/holds/{hold_id}/quote", headers=ann)
        booking = await _book(
            client,
            app_servers.url(),
            ann,
            {
                "hold_id": hold_id,
                "payment": {"token": "tok_ok"},
                "passengers": passengers_json(["6A"]),
            },
            "leak-1",
        )
        await client.get(app_servers.url() + "/api/v1/bookings", headers=ann)
        await client.post(
            app_servers.url() + f"/api/v1/bookings/{booking.json()['id']}/cancel", headers=ann
        )
        await client.get(app_servers.url() + "/metrics")
        state = await sandbox_state(client, app_servers, "missing")
        assert state["error"]["code"] == "not_found"
    assert len(seen) > 20
    logs = [path.read_text() for path in server_logs.glob("*.log")]  # noqa: ASYNC240
    for text in seen + logs:
        assert PAYMENTS_KEY not in text
        assert DATABASE_PASSWORD not in text
        assert "sk_wrong_key" not in text
