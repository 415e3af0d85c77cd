"""A new flight's refusals over HTTP, on both databases: each names the field of the admin's
request it refuses (`errors[].loc`, as a schema's refusals do), every field one request breaks
is named at once, and `detail` stays a sentence an API or CLI user reads."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.asgi import assert_problem
from tests.support.flights import flight_body


def economy(**changes: Any) -> dict[str, Any]:
    cabin: dict[str, Any] = dict(flight_body()["cabins"][1])
    return {**cabin, **changes}


def refused(body: dict[str, Any]) -> list[tuple[list[str], str]]:
    return [(item["loc"], item["type"]) for item in body["errors"]]


async def create(api: httpx.AsyncClient, admin: dict[str, str], **changes: Any) -> httpx.Response:
    body = {**flight_body(), **changes}
    return await api.post("/api/v1/admin/flights", json=body, headers=admin)


@pytest.mark.parametrize(
    ("cabin", "loc", "rule", "detail"),
    [
        (
            economy(rows=[2, 30]),
            ["cabins", "1", "rows"],
            "rows-overlap",
            "cabin economy: rows overlap another cabin",
        ),
        (
            economy(exit_rows=[1]),
            ["cabins", "1", "exit_rows"],
            "exit-rows-outside",
            "cabin economy: exit rows must be rows of the cabin",
        ),
        (
            economy(aisle_after="F"),
            ["cabins", "1", "aisle_after"],
            "aisle-misplaced",
            "cabin economy: aisles go after one of its letters",
        ),
        (
            economy(cabin="business"),
            ["cabins", "1", "cabin"],
            "cabin-name-taken",
            "cabin names must be unique: 'business' names two cabins",
        ),
        (
            economy(rows=[30, 3]),
            ["cabins", "1", "rows", "1"],
            "rows-out-of-order",
            "cabin economy: rows must satisfy 1 <= first <= last <= 99",
        ),
    ],
)
async def test_a_layout_refusal_names_the_cabin_field_it_refuses(
    api: httpx.AsyncClient,
    admin: dict[str, str],
    cabin: dict[str, Any],
    loc: list[str],
    rule: str,
    detail: str,
) -> None:
    response = await create(api, admin, cabins=[flight_body()["cabins"][0], cabin])
    body = assert_problem(response, 422, "invalid-request")
    assert refused(body) == [(loc, rule)]
    assert body["detail"] == detail
    assert body["errors"][0]["message"] == detail


async def test_every_cabin_field_one_layout_breaks_is_named_at_once(
    api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    business = {**flight_body()["cabins"][0], "aisle_after": "C"}
    response = await create(
        api, admin, cabins=[business, economy(rows=[2, 30], exit_rows=[40], cabin="business")]
    )
    body = assert_problem(response, 422)
    assert refused(body) == [
        (["cabins", "0", "aisle_after"], "aisle-misplaced"),
        (["cabins", "1", "cabin"], "cabin-name-taken"),
        (["cabins", "1", "rows"], "rows-overlap"),
        (["cabins", "1", "exit_rows"], "exit-rows-outside"),
    ]
    overlap = body["errors"][2]
    assert overlap["context"] == {"other": 0}  # the cabin its rows clash with
    assert body["errors"][3]["context"] == {"ge": 2, "le": 30}
    assert body["detail"].startswith("cabin business: aisles go after one of its letters; ")


async def test_every_route_and_schedule_field_one_request_breaks_is_named_at_once(
    api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await create(
        api,
        admin,
        origin="QQQ",
        destination="lhr",
        departs_at="2020-01-10T09:00:00Z",
        arrives_at="2020-01-10T08:00:00Z",
    )
    body = assert_problem(response, 422, "invalid-request")
    assert refused(body) == [
        (["origin"], "airport-unknown"),
        (["destination"], "airport-invalid"),
        (["departs_at"], "departure-past"),
        (["arrives_at"], "arrival-before-departure"),
    ]
    assert body["detail"] == (
        "unknown airport QQQ: not an IATA airport code in use; "
        "airport 'lhr' is not a three-letter IATA code; "
        "departs_at must be in the future; arrives_at must be after departs_at"
    )
    assert (await api.get("/api/v1/flights")).json()["items"] == []


async def test_a_flight_too_long_names_the_arrival_and_its_limit(
    api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await create(api, admin, arrives_at="2030-01-11T06:00:00Z")
    body = assert_problem(response, 422)
    assert refused(body) == [(["arrives_at"], "flight-too-long")]
    assert body["errors"][0]["context"] == {"hours": 20}


async def test_a_flight_that_already_departs_then_names_its_code_and_departure(
    api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    assert (await create(api, admin, code="LS777")).status_code == 201
    response = await create(api, admin, code="LS777")
    body = assert_problem(response, 409, "flight-exists")
    assert body["detail"] == "flight LS777 already departs at 2030-01-10T09:00:00+00:00"
    assert refused(body) == [(["code"], "flight-exists"), (["departs_at"], "flight-exists")]
