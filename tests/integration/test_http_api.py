"""The HTTP API in-process (ASGI), on both databases: contract shapes and bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from lastseat.adapters.db.database import engine_of
from lastseat.bootstrap import Services, build_services
from lastseat.entrypoints.http.app import create_app
from tests.support.asgi import assert_problem, bearer, signed_in
from tests.support.databases import make_settings
from tests.support.flights import flight_body, new_flight
from tests.support.passengers import passengers_json
from tests.support.payments import FakePayments


async def test_booking_journey_matches_the_contract(api: httpx.AsyncClient, flight_id: int) -> None:
    signup = await api.post(
        "/api/v1/auth/signup", json={"email": "ann@example.com", "password": "ann-password"}
    )
    assert signup.status_code == 201 and set(signup.json()) == {"id", "email"}
    assert_problem(
        await api.post(
            "/api/v1/auth/signup", json={"email": "ann@example.com", "password": "x" * 12}
        ),
        409,
        "email-taken",
    )
    login = await api.post(
        "/api/v1/auth/login", json={"email": "ann@example.com", "password": "ann-password"}
    )
    assert login.json()["token_type"] == "bearer"
    assert "httponly" in login.headers["set-cookie"].lower()
    ann = bearer(login.json()["access_token"])
    me = (await api.get("/api/v1/me", headers=ann)).json()
    assert me == {"id": signup.json()["id"], "email": "ann@example.com", "role": "customer"}

    flights = (
        await api.get("/api/v1/flights", params={"origin": "LHR", "date": "2030-01-10"})
    ).json()
    assert flights["items"][0]["id"] == flight_id
    assert flights["items"][0]["departs_at"] == "2030-01-10T09:00:00Z"
    assert flights["items"][0]["seats_available"] == 172
    seat_map = (await api.get(f"/api/v1/flights/{flight_id}/seats")).json()
    assert seat_map["flight_id"] == flight_id and len(seat_map["seats"]) == 172
    assert seat_map["seats"][0] == {
        "seat": "1A",
        "cabin": "business",
        "status": "available",
        "price": {"amount": 120000, "currency": "EUR"},
        "row": 1,
        "letter": "A",
        "features": ["window", "premium_cabin"],
        "price_parts": {"fare": {"amount": 120000, "currency": "EUR"}, "surcharges": []},
    }

    hold = await api.post(
        "/api/v1/holds", json={"flight_id": flight_id, "seats": ["12A", "1C"]}, headers=ann
    )
    assert hold.status_code == 201
    assert set(hold.json()) >= {"id", "flight_id", "seats", "expires_at", "quote"}
    hold_id = hold.json()["id"]
    quote = (await api.get(f"/api/v1/holds/{hold_id}/quote", headers=ann)).json()
    assert set(quote) == {"lines", "subtotal", "discount", "discount_code", "taxes", "total"}
    assert quote["subtotal"] == {"amount": 135000, "currency": "EUR"}
    # default taxes: 12.00 per seat plus 5% of the fares
    assert quote["taxes"]["amount"] == 2 * 1200 + 6750
    assert quote["total"] == {"amount": 144150, "currency": "EUR"}
    refused = await api.get(f"/api/v1/holds/{hold_id}/quote?discount_code=NOPE", headers=ann)
    assert refused.status_code == 200
    assert refused.json()["discount_refused"] == "not valid for this booking"
    assert refused.json()["total"] == quote["total"]
    seats = {
        s["seat"]: s["status"]
        for s in (await api.get(f"/api/v1/flights/{flight_id}/seats")).json()["seats"]
    }
    assert seats["12A"] == seats["1C"] == "held"

    bob = bearer(await signed_in(api, "bob@example.com"))
    taken = assert_problem(
        await api.post(
            "/api/v1/holds", json={"flight_id": flight_id, "seats": ["12B", "12A"]}, headers=bob
        ),
        409,
        "seats-unavailable",
    )
    assert taken["seats"] == ["12A"] and "12A" in taken["detail"]
    assert_problem(await api.get(f"/api/v1/holds/{hold_id}/quote", headers=bob), 404)

    named = passengers_json(["1C", "12A"])
    declined = await api.post(
        "/api/v1/bookings",
        json={"hold_id": hold_id, "payment": {"token": "tok_declined"}, "passengers": named},
        headers=ann,
    )
    assert_problem(declined, 402, "payment-declined")
    booking = await api.post(
        "/api/v1/bookings",
        json={"hold_id": hold_id, "payment": {"token": "tok_ok"}, "passengers": named},
        headers=ann,
    )
    assert booking.status_code == 201
    body = booking.json()
    assert body["status"] == "confirmed" and body["total"]["amount"] == 144150
    assert body["passengers"] == [{**p, "date_of_birth": None, "type": "adult"} for p in named]
    assert len(body["reference"]) == 8
    assert_problem(
        await api.post(
            "/api/v1/bookings",
            json={"hold_id": hold_id, "payment": {"token": "tok_ok"}, "passengers": named},
            headers=ann,
        ),
        409,
        "hold-gone",
    )
    assert (await api.get(f"/api/v1/bookings/{body['id']}", headers=ann)).json()["id"] == body["id"]
    assert_problem(await api.get(f"/api/v1/bookings/{body['id']}", headers=bob), 404)
    assert (await api.get("/api/v1/bookings", headers=bob)).json() == {"items": []}
    assert_problem(await api.post(f"/api/v1/bookings/{body['id']}/cancel", headers=bob), 404)
    cancel = await api.post(f"/api/v1/bookings/{body['id']}/cancel", headers=ann)
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"

    logout = await api.post("/api/v1/auth/logout", headers=ann)
    assert logout.status_code == 204
    assert_problem(await api.get("/api/v1/me", headers=ann), 401)


async def test_release_and_manifest(
    api: httpx.AsyncClient, flight_id: int, admin: dict[str, str]
) -> None:
    ann = bearer(await signed_in(api, "ann@example.com"))
    hold_id = (
        await api.post("/api/v1/holds", json={"flight_id": flight_id, "seats": ["5A"]}, headers=ann)
    ).json()["id"]
    assert (await api.delete(f"/api/v1/holds/{hold_id}", headers=ann)).status_code == 204
    hold_id = (
        await api.post("/api/v1/holds", json={"flight_id": flight_id, "seats": ["6A"]}, headers=ann)
    ).json()["id"]
    body = {
        "hold_id": hold_id,
        "payment": {"token": "tok_ok"},
        "passengers": passengers_json(["6A"]),
    }
    await api.post("/api/v1/bookings", json=body, headers=ann)
    manifest = (await api.get(f"/api/v1/admin/flights/{flight_id}/manifest", headers=admin)).json()
    assert manifest["seats_booked"] == 1
    [entry] = manifest["passengers"]
    assert (entry["seat"], entry["given_name"], entry["family_name"]) == ("6A", "Ann", "Lee")
    assert "ann@example.com" not in str(manifest)  # who flies, not who paid
    assert_problem(await api.get(f"/api/v1/admin/flights/{flight_id}/manifest", headers=ann), 403)
    assert_problem(
        await api.post("/api/v1/admin/flights", json=flight_body(code="LS9"), headers=ann), 403
    )
    assert_problem(await api.get(f"/api/v1/admin/flights/{flight_id}/manifest"), 401)


async def test_idempotency_over_http(api: httpx.AsyncClient, flight_id: int) -> None:
    ann = bearer(await signed_in(api, "ann@example.com"))
    headers = {**ann, "Idempotency-Key": "hold-abc"}
    body = {"flight_id": flight_id, "seats": ["8A"]}
    first = await api.post("/api/v1/holds", json=body, headers=headers)
    again = await api.post("/api/v1/holds", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert_problem(
        await api.post("/api/v1/holds", json={**body, "seats": ["8B"]}, headers=headers),
        422,
        "idempotency-key-reused",
    )
    assert_problem(
        await api.post("/api/v1/holds", json=body, headers={**ann, "Idempotency-Key": "x" * 300}),
        422,
    )


@pytest.mark.parametrize(
    ("method", "path", "payload", "status"),
    [
        ("post", "/api/v1/holds", b'{"flight_id": 1, "seats": ["12A"', 400),
        ("post", "/api/v1/holds", b"not json at all", 400),
        ("post", "/api/v1/holds", {"flight_id": "1", "seats": ["12A"]}, 422),
        ("post", "/api/v1/holds", {"flight_id": 1, "seats": "12A"}, 422),
        ("post", "/api/v1/holds", {"flight_id": 1, "seats": []}, 422),
        ("post", "/api/v1/holds", {"flight_id": 1, "seats": ["1A"] * 10}, 422),
        ("post", "/api/v1/holds", {"flight_id": -1, "seats": ["12A"]}, 422),
        ("post", "/api/v1/holds", {"flight_id": 10**30, "seats": ["12A"]}, 422),
        ("post", "/api/v1/holds", {"flight_id": "FLIGHT", "seats": ["12A"], "price": 1}, 422),
        ("post", "/api/v1/holds", {"flight_id": "FLIGHT", "seats": ["99Z"]}, 422),
        ("post", "/api/v1/holds", {"flight_id": "FLIGHT", "seats": ["12A", "12A"]}, 422),
        ("post", "/api/v1/holds", {"flight_id": "FLIGHT", "seats": ["row12"]}, 422),
        ("post", "/api/v1/holds", {"flight_id": 999999, "seats": ["12A"]}, 404),
        ("post", "/api/v1/holds", [1, 2, 3], 422),
        ("post", "/api/v1/bookings", {"hold_id": "nope", "payment": {"token": "tok_ok"}}, 422),
        (
            "post",
            "/api/v1/bookings",
            {
                "hold_id": "00000000-0000-0000-0000-000000000000",
                "payment": {"token": "tok_ok"},
                "passengers": passengers_json(["12A"]),
            },
            404,
        ),
        (
            "post",
            "/api/v1/bookings",
            {
                "hold_id": "00000000-0000-0000-0000-000000000000",
                "payment": {"token": "tok_ok"},
                "total": 1,
            },
            422,
        ),
        ("get", "/api/v1/flights/0/seats", None, 422),
        ("get", "/api/v1/flights/99999999999/seats", None, 422),
        ("get", "/api/v1/flights/424242/seats", None, 404),
        ("get", "/api/v1/flights?origin=lhr", None, 422),
        ("get", "/api/v1/flights?date=2030-13-45", None, 422),
        ("get", "/api/v1/flights?limit=0", None, 422),
        ("get", "/api/v1/flights?limit=1000000", None, 422),
        ("get", "/api/v1/holds/not-a-uuid", None, 422),
        ("get", "/api/v1/no/such/route", None, 404),
        ("put", "/api/v1/holds", {}, 405),
        ("post", "/api/v1/auth/login", {"email": "a\x00@example.com", "password": "p"}, 422),
        (
            "post",
            "/api/v1/auth/signup",
            {"email": "a@example.com", "password": "pass\x00word1"},
            422,
        ),
    ],
)
async def test_bad_input_gets_a_clear_problem(
    api: httpx.AsyncClient, flight_id: int, method: str, path: str, payload: Any, status: int
) -> None:
    ann = bearer(await signed_in(api, "ann@example.com"))
    if isinstance(payload, dict) and payload.get("flight_id") == "FLIGHT":
        payload = {**payload, "flight_id": flight_id}
    kwargs: dict[str, Any] = {"headers": {**ann, "content-type": "application/json"}}
    if isinstance(payload, bytes):
        kwargs["content"] = payload
    elif payload is not None:
        kwargs["json"] = payload
    response = await api.request(method.upper(), path, **kwargs)
    assert_problem(response, status)
    # nothing half-written: the flight's seats are all still available
    seats = (await api.get(f"/api/v1/flights/{flight_id}/seats")).json()["seats"]
    assert {s["status"] for s in seats} == {"available"}


async def test_control_characters_in_checkout_text_are_a_422_that_reaches_no_provider(
    api: httpx.AsyncClient, flight_id: int, payments: FakePayments
) -> None:
    ann = bearer(await signed_in(api, "ann@example.com"))
    hold_id = (
        await api.post("/api/v1/holds", json={"flight_id": flight_id, "seats": ["8A"]}, headers=ann)
    ).json()["id"]
    for payment, code in [
        ({"token": "tok_ok\r\nX-Injected: 1"}, None),  # would split the provider's header
        ({"token": "tok_ok\n"}, None),
        ({"token": "tok\x00ok"}, None),
        ({"token": "tok_ok"}, "SPRING10\r\nX-Injected: 1"),
        ({"token": "tok_ok"}, "SPRING\x0010"),
    ]:
        body = {"hold_id": hold_id, "payment": payment, "passengers": passengers_json(["8A"])}
        if code is not None:
            body["discount_code"] = code
        problem = assert_problem(await api.post("/api/v1/bookings", json=body, headers=ann), 422)
        assert "X-Injected" not in problem["detail"]
    for code in ["SPRING10\r\nX-Injected: 1", "NO\x00PE"]:
        quote = await api.get(
            f"/api/v1/holds/{hold_id}/quote", params={"discount_code": code}, headers=ann
        )
        assert_problem(quote, 422)
    assert payments.calls == []  # the provider was never asked
    booked = await api.post(
        "/api/v1/bookings",
        json={
            "hold_id": hold_id,
            "payment": {"token": "tok_ok"},
            "passengers": passengers_json(["8A"]),
        },
        headers=ann,
    )
    assert booked.status_code == 201, booked.text


async def test_validation_problems_never_echo_a_password(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/api/v1/auth/signup", json={"email": "not-an-email", "password": "hunter2-secret"}
    )
    assert_problem(response, 422, "validation-failed")
    assert "hunter2-secret" not in response.text
    login = await api.post(
        "/api/v1/auth/login", json={"email": "a@example.com", "password": 12345678}
    )
    assert_problem(login, 422)
    assert "12345678" not in login.text


async def test_oversized_bodies_are_refused(api: httpx.AsyncClient, services: Services) -> None:
    limit = services.settings.max_body_bytes
    big = b'{"email": "' + b"a" * limit + b'@example.com", "password": "x"}'
    assert_problem(await api.post("/api/v1/auth/signup", content=big), 413)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(limit // 1024 + 2):
            yield b" " * 1024

    assert_problem(await api.post("/api/v1/auth/signup", content=chunks()), 413)


async def test_admin_flight_input_is_validated(
    api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    bad_bodies = [
        {**flight_body(), "departs_at": "2030-01-10T09:00:00"},
        {**flight_body(), "departs_at": "2001-01-10T09:00:00Z"},
        {**flight_body(), "origin": "LHR", "destination": "LHR"},
        {**flight_body(), "cabins": []},
        {
            **flight_body(),
            "cabins": [{**flight_body()["cabins"][0], "fare": {"amount": -5, "currency": "EUR"}}],
        },
        {
            **flight_body(),
            "cabins": [{**flight_body()["cabins"][0], "fare": {"amount": 5, "currency": "XXX"}}],
        },
        {**flight_body(), "cabins": [{**flight_body()["cabins"][0], "rows": [5, 1]}]},
        {
            **flight_body(),
            "cabins": [{**flight_body()["cabins"][0], "fare": {"amount": 1.5, "currency": "EUR"}}],
        },
    ]
    for body in bad_bodies:
        assert_problem(await api.post("/api/v1/admin/flights", json=body, headers=admin), 422)
    assert (
        await api.post("/api/v1/admin/flights", json=flight_body(), headers=admin)
    ).status_code == 201
    assert_problem(await api.post("/api/v1/admin/flights", json=flight_body(), headers=admin), 409)


async def test_admin_discount_input_is_checked_by_the_rules_the_cli_uses(
    api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = {"code": "walkjpy", "kind": "fixed", "value": 1000, "currency": "jpy"}
    for bad in ({"currency": "XYZ"}, {"origin": "QQQ"}, {"destination": "QQQ"}):
        refused = await api.post("/api/v1/admin/discounts", json=body | bad, headers=admin)
        assert_problem(refused, 422)
    made = await api.post("/api/v1/admin/discounts", json=body, headers=admin)
    assert made.status_code == 201 and made.json()["code"] == "WALKJPY"
    again = await api.post("/api/v1/admin/discounts", json=body, headers=admin)
    assert_problem(again, 409)
    assert again.json()["detail"] == "discount code WALKJPY already exists"


async def test_cookie_session_needs_csrf_for_writes(api: httpx.AsyncClient, flight_id: int) -> None:
    await signed_in(api, "ann@example.com")
    credentials = {"email": "ann@example.com", "password": "a-good-password"}
    assert (await api.post("/api/v1/auth/login", json=credentials)).status_code == 200
    assert (await api.get("/api/v1/me")).status_code == 200
    body = {"flight_id": flight_id, "seats": ["30A"]}
    assert_problem(await api.post("/api/v1/holds", json=body), 403, "forbidden")
    csrf = api.cookies["lastseat_csrf"]
    assert (
        await api.post("/api/v1/holds", json=body, headers={"X-CSRF-Token": csrf})
    ).status_code == 201


async def test_health_readiness_metrics_and_docs(api: httpx.AsyncClient, flight_id: int) -> None:
    assert (await api.get("/healthz")).json() == {"status": "ok"}
    ready = await api.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    await api.get(f"/api/v1/flights/{flight_id}/seats", headers={"X-Request-ID": "trace-me-42"})
    response = await api.get("/api/v1/flights", headers={"X-Request-ID": "trace-me-42"})
    assert response.headers["x-request-id"] == "trace-me-42"
    assert response.headers["server-timing"].startswith("app;dur=")
    generated = await api.get("/api/v1/flights", headers={"X-Request-ID": "bad id\twith spaces"})
    assert generated.headers["x-request-id"] != "bad id\twith spaces"
    metrics = (await api.get("/metrics")).text
    assert (
        'lastseat_http_requests_total{method="GET",route="/api/v1/flights/{flight_id}/seats",status="200"}'
        in metrics
    )
    assert "lastseat_http_request_duration_seconds_bucket" in metrics
    assert "lastseat_db_pool_checked_out" in metrics
    assert (await api.get("/api/docs")).status_code == 200
    spec = (await api.get("/api/openapi.json")).json()
    assert (
        "/api/v1/holds" in spec["paths"] and "/api/v1/bookings/{booking_id}/cancel" in spec["paths"]
    )


async def test_pool_exhaustion_is_a_503_with_retry_after(database_url: str) -> None:
    settings = make_settings(database_url, pool_size=1, pool_timeout_seconds=0.2)
    services = build_services(settings)
    await services.database.upgrade()
    app = create_app(settings, services)
    transport = httpx.ASGITransport(app=app)
    try:
        flight = await services.catalog.create_flight(new_flight(services.catalog.now()))
        seats_path = f"/api/v1/flights/{flight.id}/seats"
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as api:
            assert (await api.get("/api/v1/flights")).status_code == 200
            assert (await api.get(seats_path)).status_code == 200  # flight now known in memory
            held = await engine_of(services.database).connect()  # the pool's only connection
            try:
                for path in ("/api/v1/flights", seats_path):
                    busy = await api.get(path)
                    assert_problem(busy, 503, "database-busy")
                    assert busy.headers["retry-after"] == "1"
            finally:
                await held.close()
            assert (await api.get("/api/v1/flights")).status_code == 200
    finally:
        await services.close()


async def test_seat_map_revalidation_answers_304_until_the_map_changes(
    api: httpx.AsyncClient, flight_id: int
) -> None:
    url = f"/api/v1/flights/{flight_id}/seats"
    first = await api.get(url)
    etag = first.headers["etag"]
    assert etag.startswith('"') and first.headers["cache-control"] == "no-cache"
    for header in (etag, f"W/{etag}", f'"nope", {etag}', "*"):
        again = await api.get(url, headers={"If-None-Match": header})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
    assert (await api.get(url, headers={"If-None-Match": '"other"'})).status_code == 200
    ann = bearer(await signed_in(api, "etag@example.com"))
    held = await api.post(
        "/api/v1/holds", json={"flight_id": flight_id, "seats": ["3A"]}, headers=ann
    )
    assert held.status_code == 201
    changed = await api.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert {"seat": "3A", "status": "held"}.items() <= next(
        s for s in changed.json()["seats"] if s["seat"] == "3A"
    ).items()


async def test_server_timing_reports_app_and_database_time(
    api: httpx.AsyncClient, flight_id: int
) -> None:
    timing = (await api.get("/api/v1/flights")).headers["server-timing"]
    app_part, db_part = (part.strip() for part in timing.split(","))
    assert app_part.startswith("app;dur=") and db_part.startswith("db;dur=")
    assert float(db_part.removeprefix("db;dur=")) <= float(app_part.removeprefix("app;dur="))


async def test_a_flight_with_its_layout(api: httpx.AsyncClient, flight_id: int) -> None:
    response = await api.get(f"/api/v1/flights/{flight_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == flight_id and body["code"] == "LS101"
    assert (body["origin"], body["destination"]) == ("LHR", "JFK")
    assert body["departs_at"] == "2030-01-10T09:00:00Z"
    assert body["cabins"] == [
        {"cabin": "business", "rows": [1, 2], "letters": "AC", "aisle_after": "", "exit_rows": []},
        {
            "cabin": "economy",
            "rows": [3, 30],
            "letters": "ABCDEF",
            "aisle_after": "",
            "exit_rows": [],
        },
    ]
    assert "fare" not in response.text  # prices come per seat, from the seat map
    assert_problem(await api.get("/api/v1/flights/999999"), 404, "not-found")
    assert_problem(await api.get("/api/v1/flights/0"), 422, "validation-failed")


async def test_the_app_serves_the_web_client_in_serve_mode(api: httpx.AsyncClient) -> None:
    page = await api.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/js/app.js">' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    script = await api.get("/js/app.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    # The static mount never shadows the API: unknown API paths are still problems.
    assert_problem(await api.get("/api/v1/no-such-thing"), 404)
    missing = await api.get("/no-such-file.js")
    assert missing.status_code == 404
    assert_problem(missing, 404)


async def test_a_field_out_of_range_names_its_rule_and_limits_for_clients_to_word(
    api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = flight_body(code="LS422")
    body["cabins"][1]["fare"]["amount"] = 100_000_001
    refused = assert_problem(
        await api.post("/api/v1/admin/flights", json=body, headers=admin), 422, "validation-failed"
    )
    [fare] = refused["errors"]
    assert fare["loc"] == ["body", "cabins", "1", "fare", "amount"]
    assert (fare["type"], fare["limits"]) == ("less_than_equal", {"le": 100_000_000})
    assert "100000000" in fare["message"]  # the API's own words stay as they were
