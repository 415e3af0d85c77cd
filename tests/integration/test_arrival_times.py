"""Arrivals on the destination airport's clocks over HTTP, on both databases: every view of
a flight or a booking that shows the departure shows the arrival beside it, by the same rule
(UTC `arrives_at`, ISO 8601 `arrives_local` with that day's offset, `arrival_zone`); an
arrival left out is unknown (null), one before departure or too long after is refused."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.asgi import assert_problem, bearer, booked_seat, signed_in
from tests.support.flights import flight_body

DEPARTS = "2030-03-31T00:30:00Z"
# New York is on summer time by the end of March, Madrid moves its clocks that night
ARRIVAL = {
    "arrives_at": "2030-03-31T09:10:00Z",
    "arrives_local": "2030-03-31T05:10:00-04:00",
    "arrival_zone": "America/New_York",
}
UNKNOWN = {"arrives_at": None, "arrives_local": None, "arrival_zone": "America/New_York"}


def arrival(body: dict[str, Any]) -> dict[str, Any]:
    return {key: body[key] for key in ("arrives_at", "arrives_local", "arrival_zone")}


def madrid_new_york(code: str, **arrives: str) -> dict[str, Any]:
    return {
        **flight_body(DEPARTS, code),
        "origin": "MAD",
        "destination": "JFK",
        **arrives,
    }


async def test_every_view_of_a_flight_or_booking_shows_the_local_arrival(
    api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    created = await api.post(
        "/api/v1/admin/flights",
        json=madrid_new_york("LS401", arrives_at=ARRIVAL["arrives_at"]),
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert arrival(created.json()) == ARRIVAL
    assert created.json()["departs_local"] == "2030-03-31T01:30:00+01:00"  # unchanged
    flight_id = int(created.json()["id"])

    listed = (await api.get("/api/v1/flights", params={"origin": "MAD"})).json()["items"]
    assert [arrival(f) for f in listed] == [ARRIVAL]
    assert arrival((await api.get(f"/api/v1/flights/{flight_id}")).json()) == ARRIVAL

    ann = bearer(await signed_in(api, "ann@example.com"))
    booking = await booked_seat(api, ann, flight_id, "12A")
    assert arrival(booking) == ARRIVAL
    shown = (await api.get(f"/api/v1/bookings/{booking['id']}", headers=ann)).json()
    assert arrival(shown) == ARRIVAL
    mine = (await api.get("/api/v1/bookings", headers=ann)).json()["items"]
    assert [arrival(b) for b in mine] == [ARRIVAL]
    found = await api.post(
        "/api/v1/bookings/lookup", json={"reference": booking["reference"], "family_name": "Lee"}
    )
    assert arrival(found.json()["flight"]) == ARRIVAL
    manifest = await api.get(f"/api/v1/admin/flights/{flight_id}/manifest", headers=admin)
    assert arrival(manifest.json()) == ARRIVAL


async def test_a_flight_created_without_an_arrival_shows_it_as_unknown(
    api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    # what a client written before arrivals existed sends
    created = await api.post("/api/v1/admin/flights", json=madrid_new_york("LS402"), headers=admin)
    assert created.status_code == 201, created.text
    assert arrival(created.json()) == UNKNOWN
    flight_id = int(created.json()["id"])
    assert arrival((await api.get(f"/api/v1/flights/{flight_id}")).json()) == UNKNOWN
    listed = (await api.get("/api/v1/flights")).json()["items"]
    assert [arrival(f) for f in listed] == [UNKNOWN]


@pytest.mark.parametrize(
    ("arrives_at", "why"),
    [
        (DEPARTS, "arrives_at must be after departs_at"),
        ("2030-03-30T23:00:00Z", "arrives_at must be after departs_at"),
        ("2030-03-31T20:31:00Z", "arrives_at must be at most 20 hours after departs_at"),
    ],
)
async def test_an_arrival_before_departure_or_too_long_after_is_refused(
    api: httpx.AsyncClient, admin: dict[str, str], arrives_at: str, why: str
) -> None:
    refused = await api.post(
        "/api/v1/admin/flights", json=madrid_new_york("LS403", arrives_at=arrives_at), headers=admin
    )
    assert_problem(refused, 422)
    assert refused.json()["detail"] == why
    assert (await api.get("/api/v1/flights")).json()["items"] == []


async def test_an_arrival_without_a_zone_is_refused(
    api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    refused = await api.post(
        "/api/v1/admin/flights",
        json=madrid_new_york("LS404", arrives_at="2030-03-31T09:10:00"),
        headers=admin,
    )
    assert_problem(refused, 422)
