"""Growing a hold over HTTP, on both databases: a new hold that replaces the caller's live
hold on the same flight, in one transaction, all or none."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.asgi import assert_problem, bearer, signed_in
from tests.support.clock import FakeClock
from tests.support.flights import flight_body


@pytest.fixture
async def ann(api: httpx.AsyncClient) -> dict[str, str]:
    return bearer(await signed_in(api, "ann@example.com"))


@pytest.fixture
async def bob(api: httpx.AsyncClient) -> dict[str, str]:
    return bearer(await signed_in(api, "bob@example.com"))


async def _hold(
    api: httpx.AsyncClient,
    who: dict[str, str],
    flight_id: int,
    seats: list[str],
    replaces: str | None = None,
    key: str | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"flight_id": flight_id, "seats": seats}
    if replaces is not None:
        body["replaces"] = replaces
    headers = {**who, "Idempotency-Key": key} if key else who
    return await api.post("/api/v1/holds", json=body, headers=headers)


async def _statuses(api: httpx.AsyncClient, flight_id: int, *names: str) -> list[str]:
    seat_map = (await api.get(f"/api/v1/flights/{flight_id}/seats")).json()
    by_name = {s["seat"]: s["status"] for s in seat_map["seats"]}
    return [by_name[name] for name in names]


async def test_a_hold_grows_into_one_hold_and_the_first_is_released(
    api: httpx.AsyncClient, flight_id: int, ann: dict[str, str]
) -> None:
    first = await _hold(api, ann, flight_id, ["12A"])
    assert first.status_code == 201, first.text
    grown = await _hold(api, ann, flight_id, ["12A", "12B"], replaces=first.json()["id"])
    assert grown.status_code == 201, grown.text
    assert grown.json()["seats"] == ["12A", "12B"]
    assert [line["seat"] for line in grown.json()["quote"]["lines"]] == ["12A", "12B"]
    old = (await api.get(f"/api/v1/holds/{first.json()['id']}", headers=ann)).json()
    assert old["status"] == "released"
    assert await _statuses(api, flight_id, "12A", "12B") == ["held", "held"]
    # The new hold is the one that books and releases them: both seats go with it.
    released = await api.delete(f"/api/v1/holds/{grown.json()['id']}", headers=ann)
    assert released.status_code == 204
    assert await _statuses(api, flight_id, "12A", "12B") == ["available", "available"]


async def test_a_replacement_that_meets_a_taken_seat_leaves_the_first_hold_intact(
    api: httpx.AsyncClient, flight_id: int, ann: dict[str, str], bob: dict[str, str]
) -> None:
    first = await _hold(api, ann, flight_id, ["14A"])
    assert (await _hold(api, bob, flight_id, ["14C"])).status_code == 201
    refused = await _hold(api, ann, flight_id, ["14A", "14B", "14C"], replaces=first.json()["id"])
    assert assert_problem(refused, 409, "seats-unavailable")["seats"] == ["14C"]
    kept = (await api.get(f"/api/v1/holds/{first.json()['id']}", headers=ann)).json()
    assert kept["status"] == "active" and kept["seats"] == ["14A"]
    assert await _statuses(api, flight_id, "14A", "14B", "14C") == ["held", "available", "held"]


async def test_the_replaced_hold_s_seats_do_not_count_toward_the_limits(
    api: httpx.AsyncClient, flight_id: int, ann: dict[str, str]
) -> None:
    nine = [f"20{letter}" for letter in "ABCDEF"] + ["21A", "21B", "21C"]
    first = await _hold(api, ann, flight_id, nine)
    assert first.status_code == 201, first.text
    assert_problem(await _hold(api, ann, flight_id, ["22A"]), 409, "limit-reached")
    moved = [*nine[1:], "22A"]
    replaced = await _hold(api, ann, flight_id, moved, replaces=first.json()["id"])
    assert replaced.status_code == 201, replaced.text
    assert await _statuses(api, flight_id, "20A", "22A") == ["available", "held"]
    too_many = await _hold(api, ann, flight_id, [*moved, "20A"], replaces=replaced.json()["id"])
    assert_problem(too_many, 422)


async def test_only_the_caller_s_live_hold_on_the_same_flight_can_be_replaced(
    api: httpx.AsyncClient,
    flight_id: int,
    ann: dict[str, str],
    bob: dict[str, str],
    admin: dict[str, str],
) -> None:
    bobs = await _hold(api, bob, flight_id, ["5A"])
    assert_problem(await _hold(api, ann, flight_id, ["5B"], replaces=bobs.json()["id"]), 404)
    assert await _statuses(api, flight_id, "5A", "5B") == ["held", "available"]
    anns = await _hold(api, ann, flight_id, ["6A"])
    await api.delete(f"/api/v1/holds/{anns.json()['id']}", headers=ann)
    gone = await _hold(api, ann, flight_id, ["6A", "6B"], replaces=anns.json()["id"])
    assert_problem(gone, 409, "hold-gone")
    live = await _hold(api, ann, flight_id, ["7A"])
    other = await api.post("/api/v1/admin/flights", json=flight_body(code="LS777"), headers=admin)
    assert other.status_code == 201, other.text
    elsewhere = await _hold(api, ann, other.json()["id"], ["7A"], replaces=live.json()["id"])
    assert_problem(elsewhere, 422, "invalid-request")
    assert await _statuses(api, flight_id, "7A") == ["held"]


async def test_a_retried_replacement_replays_the_hold_it_made(
    api: httpx.AsyncClient, flight_id: int, ann: dict[str, str]
) -> None:
    first = await _hold(api, ann, flight_id, ["9A"])
    replaces = first.json()["id"]
    grown = await _hold(api, ann, flight_id, ["9A", "9B"], replaces=replaces, key="grow-9")
    again = await _hold(api, ann, flight_id, ["9A", "9B"], replaces=replaces, key="grow-9")
    assert grown.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true" and again.json() == grown.json()
    other = await _hold(api, ann, flight_id, ["9A", "9C"], replaces=replaces, key="grow-9")
    assert_problem(other, 422, "idempotency-key-reused")


async def _live(api: httpx.AsyncClient, who: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = await api.get("/api/v1/holds", params=params, headers=who)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_live_holds_are_the_caller_s_own_and_only_the_live_ones(
    api: httpx.AsyncClient,
    admin: dict[str, str],
    flight_id: int,
    ann: dict[str, str],
    bob: dict[str, str],
) -> None:
    other = await api.post("/api/v1/admin/flights", json=flight_body(code="LS202"), headers=admin)
    assert other.status_code == 201, other.text
    other_id = other.json()["id"]
    first = (await _hold(api, ann, flight_id, ["14A", "14B"])).json()
    elsewhere = (await _hold(api, ann, other_id, ["3A"])).json()
    released = (await _hold(api, ann, flight_id, ["5A"])).json()
    assert (await api.delete(f"/api/v1/holds/{released['id']}", headers=ann)).status_code == 204
    assert (await _hold(api, bob, flight_id, ["20C"])).status_code == 201
    # Another session of the same traveller (a token of its own) finds the seats as theirs.
    ann_elsewhere = bearer(await signed_in(api, "ann@example.com"))
    on_flight = await _live(api, ann_elsewhere, flight_id=flight_id)
    assert [(h["id"], h["seats"], h["status"]) for h in on_flight] == [
        (first["id"], ["14A", "14B"], "active")
    ]
    assert on_flight[0]["quote"]["total"] == first["quote"]["total"]
    assert {h["id"] for h in await _live(api, ann)} == {first["id"], elsewhere["id"]}
    assert [h["id"] for h in await _live(api, ann, limit=1, offset=1)] in (
        [first["id"]],
        [elsewhere["id"]],
    )
    assert [h["seats"] for h in await _live(api, bob, flight_id=flight_id)] == [["20C"]]
    # Found, it grows like a hold this session made itself; the replaced one is no longer live.
    grown = await _hold(api, ann_elsewhere, flight_id, ["14A", "14B", "20A"], on_flight[0]["id"])
    assert grown.status_code == 201, grown.text
    assert [h["seats"] for h in await _live(api, ann, flight_id=flight_id)] == [
        ["14A", "14B", "20A"]
    ]


async def test_live_holds_leave_out_expired_ones_and_need_a_sign_in(
    api: httpx.AsyncClient, flight_id: int, ann: dict[str, str], clock: FakeClock
) -> None:
    assert (await _hold(api, ann, flight_id, ["16A"])).status_code == 201
    clock.advance(minutes=11)
    assert await _live(api, ann, flight_id=flight_id) == []
    assert (await api.get("/api/v1/holds")).status_code == 401
    assert (await api.get("/api/v1/holds", params={"flight_id": 0}, headers=ann)).status_code == 422
