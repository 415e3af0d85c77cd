"""Departures on the origin airport's clocks over HTTP, on both databases: every view of a
flight or a booking adds the local time (ISO 8601 with that day's offset) and the zone,
beside the unchanged UTC `departs_at`; a flight from an airport nobody knows is refused."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.asgi import assert_problem, bearer, booked_seat, signed_in
from tests.support.flights import flight_body

LOCAL = {
    "departs_at": "2030-03-31T00:30:00Z",
    # half an hour before Spain moves its clocks on: still winter time
    "departs_local": "2030-03-31T01:30:00+01:00",
    "departure_zone": "Europe/Madrid",
}
SUMMER = {
    "departs_at": "2030-03-31T01:30:00Z",
    "departs_local": "2030-03-31T03:30:00+02:00",
    "departure_zone": "Europe/Madrid",
}


def departure(body: dict[str, Any]) -> dict[str, Any]:
    return {key: body[key] for key in ("departs_at", "departs_local", "departure_zone")}


async def _create(
    api: httpx.AsyncClient, admin: dict[str, str], expected: dict[str, str], code: str
) -> int:
    body = {**flight_body(expected["departs_at"], code), "origin": "MAD", "destination": "JFK"}
    created = await api.post("/api/v1/admin/flights", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert departure(created.json()) == expected
    return int(created.json()["id"])


async def test_every_view_of_a_flight_or_booking_shows_the_local_departure(
    api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    winter_id = await _create(api, admin, LOCAL, "LS301")
    summer_id = await _create(api, admin, SUMMER, "LS303")

    listed = (await api.get("/api/v1/flights", params={"origin": "MAD"})).json()["items"]
    assert [departure(f) for f in listed] == [LOCAL, SUMMER]  # either side of the change
    assert departure((await api.get(f"/api/v1/flights/{winter_id}")).json()) == LOCAL
    assert departure((await api.get(f"/api/v1/flights/{summer_id}")).json()) == SUMMER

    ann = bearer(await signed_in(api, "ann@example.com"))
    booking = await booked_seat(api, ann, winter_id, "12A")
    assert departure(booking) == LOCAL
    assert (booking["code"], booking["origin"], booking["destination"]) == ("LS301", "MAD", "JFK")
    assert booking["flight_id"] == winter_id  # the frozen fields stay as they were
    shown = (await api.get(f"/api/v1/bookings/{booking['id']}", headers=ann)).json()
    assert departure(shown) == LOCAL
    mine = (await api.get("/api/v1/bookings", headers=ann)).json()["items"]
    assert [departure(b) for b in mine] == [LOCAL]

    found = await api.post(
        "/api/v1/bookings/lookup", json={"reference": booking["reference"], "family_name": "Lee"}
    )
    assert departure(found.json()["flight"]) == LOCAL
    manifest = await api.get(f"/api/v1/admin/flights/{winter_id}/manifest", headers=admin)
    assert departure(manifest.json()) == LOCAL


async def test_a_flight_from_or_to_an_unknown_airport_is_refused(
    api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    for route in ({"origin": "QQQ"}, {"destination": "QQQ"}):
        refused = await api.post(
            "/api/v1/admin/flights", json={**flight_body(), **route}, headers=admin
        )
        assert_problem(refused, 422)
        assert "unknown airport QQQ" in refused.json()["detail"]
    assert (await api.get("/api/v1/flights")).json()["items"] == []
