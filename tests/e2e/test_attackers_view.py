"""A savvy user with the developer tools open edits what the browser sends. Each edit fails."""

from __future__ import annotations

import httpx

from tests.support.over_http import hold_seats, make_flight, make_users
from tests.support.passengers import passengers_json
from tests.support.servers import AppServers


async def test_edited_requests_gain_nothing(app_servers: AppServers) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        base = app_servers.url()
        # a role field slipped into the signup body
        admin_signup = await client.post(
            base + "/api/v1/auth/signup",
            json={"email": "mallory@example.com", "password": "mallory-pass-1", "role": "admin"},
        )
        assert admin_signup.status_code == 422
        mallory, victim = await make_users(client, app_servers, "attack", 2)
        me = (await client.get(base + "/api/v1/me", headers=mallory)).json()
        assert me["role"] == "customer"
        flight_id = await make_flight(client, app_servers, "LS950")
        # admin routes with a customer's token
        refused = await client.post(
            base + "/api/v1/admin/discounts",
            json={"code": "FREE100", "kind": "percent", "value": 10000},
            headers=mallory,
        )
        assert refused.status_code == 403
        # someone else's hold: read, quote, release, and buy with it
        victims_hold = await hold_seats(client, app_servers, victim, flight_id, ["10A"])
        for method, path in (
            ("GET", f"/api/v1/holds/{victims_hold}"),
            ("GET", f"/api/v1/holds/{victims_hold}/quote"),
            ("DELETE", f"/api/v1/holds/{victims_hold}"),
        ):
            response = await client.request(method, base + path, headers=mallory)
            assert response.status_code == 404, (method, path)
        stolen = await client.post(
            base + "/api/v1/bookings",
            json={
                "hold_id": victims_hold,
                "payment": {"token": "tok_ok"},
                "passengers": passengers_json(["10A"]),
            },
            headers=mallory,
        )
        assert stolen.status_code == 404
        # someone else's booking: read and cancel
        booking = await client.post(
            base + "/api/v1/bookings",
            json={
                "hold_id": victims_hold,
                "payment": {"token": "tok_ok"},
                "passengers": passengers_json(["10A"]),
            },
            headers=victim,
        )
        assert booking.status_code == 201
        booking_id = booking.json()["id"]
        for method, path in (
            ("GET", f"/api/v1/bookings/{booking_id}"),
            ("POST", f"/api/v1/bookings/{booking_id}/cancel"),
        ):
            assert (await client.request(method, base + path, headers=mallory)).status_code == 404
        assert booking_id not in (await client.get(base + "/api/v1/bookings", headers=mallory)).text
        # a forged or expired token is nobody
        forged = {"Authorization": "Bearer " + "A" * 43}
        assert (await client.get(base + "/api/v1/me", headers=forged)).status_code == 401
        # prices and totals in the body are refused; the victim's booking stands untouched
        priced = await client.post(
            base + "/api/v1/holds",
            json={"flight_id": flight_id, "seats": ["11A"], "price": {"amount": 1}},
            headers=mallory,
        )
        assert priced.status_code == 422
        mine = await client.get(base + f"/api/v1/bookings/{booking_id}", headers=victim)
        assert mine.json()["status"] == "confirmed"
