"""Named passengers over HTTP, on both databases: one per held seat at booking time, shown
on the booking and the manifest, and manage-booking by reference and family name."""

from __future__ import annotations

import unicodedata
from typing import Any

import httpx
import pytest

from tests.support.asgi import assert_problem, bearer, signed_in
from tests.support.passengers import passengers_json
from tests.support.payments import FakePayments


@pytest.fixture
async def ann(api: httpx.AsyncClient) -> dict[str, str]:
    return bearer(await signed_in(api, "ann@example.com"))


async def _hold(api: httpx.AsyncClient, who: dict[str, str], flight_id: int, *seats: str) -> str:
    held = await api.post(
        "/api/v1/holds", json={"flight_id": flight_id, "seats": list(seats)}, headers=who
    )
    assert held.status_code == 201, held.text
    return str(held.json()["id"])


def _booking(hold_id: str, passengers: list[dict[str, Any]]) -> dict[str, Any]:
    return {"hold_id": hold_id, "payment": {"token": "tok_ok"}, "passengers": passengers}


async def _book(
    api: httpx.AsyncClient, who: dict[str, str], flight_id: int, named: list[dict[str, str]]
) -> dict[str, Any]:
    """Holds the named passengers' seats and books them: the confirmed booking."""
    hold_id = await _hold(api, who, flight_id, *(p["seat"] for p in named))
    booked = await api.post("/api/v1/bookings", json=_booking(hold_id, named), headers=who)
    assert booked.status_code == 201, booked.text
    return dict(booked.json())


async def test_a_booking_names_each_seat_s_passenger_as_on_the_passport(
    api: httpx.AsyncClient, flight_id: int, ann: dict[str, str], admin: dict[str, str]
) -> None:
    hold_id = await _hold(api, ann, flight_id, "12A", "12B", "12C")
    decomposed = "Jose\u0301"  # as some keyboards send it
    named = [
        {"seat": "12C", "given_name": "Mia", "family_name": "O'Brien-Núñez", "type": "infant",
         "date_of_birth": "2029-06-01"},
        {"seat": "12a", "given_name": f" {decomposed}  María ", "family_name": "O'Brien-Núñez"},
        {"seat": "12B", "given_name": "李", "family_name": "Nguyễn", "date_of_birth": "1990-01-31",
         "type": "adult"},
    ]  # fmt: skip
    booked = await api.post("/api/v1/bookings", json=_booking(hold_id, named), headers=ann)
    assert booked.status_code == 201, booked.text
    passengers = booked.json()["passengers"]
    assert [p["seat"] for p in passengers] == ["12A", "12B", "12C"]  # in seat order
    assert passengers[0] == {
        "seat": "12A",
        "given_name": "José María",
        "family_name": "O'Brien-Núñez",
        "date_of_birth": None,
        "type": "adult",
    }
    assert unicodedata.is_normalized("NFC", passengers[0]["given_name"])
    assert passengers[2]["type"] == "infant" and passengers[2]["date_of_birth"] == "2029-06-01"
    booking_id = booked.json()["id"]
    shown = (await api.get(f"/api/v1/bookings/{booking_id}", headers=ann)).json()
    assert shown["passengers"] == passengers
    [listed] = (await api.get("/api/v1/bookings", headers=ann)).json()["items"]
    assert listed["passengers"] == passengers

    manifest = (await api.get(f"/api/v1/admin/flights/{flight_id}/manifest", headers=admin)).json()
    entries = [
        (e["seat"], e["given_name"], e["family_name"], e["type"]) for e in manifest["passengers"]
    ]
    assert entries == [
        ("12A", "José María", "O'Brien-Núñez", "adult"),
        ("12B", "李", "Nguyễn", "adult"),
        ("12C", "Mia", "O'Brien-Núñez", "infant"),
    ]
    assert {e["reference"] for e in manifest["passengers"]} == {booked.json()["reference"]}
    assert "email" not in manifest["passengers"][0]


@pytest.mark.parametrize(
    ("passengers", "detail"),
    [
        (passengers_json(["20A"]), "seats without a passenger: 20B"),
        (passengers_json(["20A", "20B", "21A"]), "passengers for seats not in the hold: 21A"),
        (passengers_json(["20A", "20A", "20B"]), "seats with more than one passenger: 20A"),
        (
            [
                {"seat": "20A", "given_name": "Ann", "family_name": "Lee"},
                {"seat": "20B", "given_name": "R2-D2", "family_name": "Lee"},
            ],
            "seat 20B: the given name must be 1 to 64 characters",
        ),
        (
            [
                {"seat": "20A", "given_name": "A" + "\u0301" * 63, "family_name": "Lee"},
                {"seat": "20B", "given_name": "Bo", "family_name": "Lee"},
            ],
            "seat 20A: the given name has more than 3 accents or marks on one letter",
        ),
        (
            [
                {"seat": "20A", "given_name": "Ann", "family_name": "Lee"},
                {"seat": "20B", "given_name": "Bo", "family_name": "Lee", "type": "child"},
            ],
            "seat 20B: a child needs a date of birth",
        ),
        (
            [
                {
                    "seat": "20A",
                    "given_name": "Ann",
                    "family_name": "Lee",
                    "type": "infant",
                    "date_of_birth": "1990-01-01",
                },
                {"seat": "20B", "given_name": "Bo", "family_name": "Lee"},
            ],
            "is an adult",
        ),
    ],
)
async def test_passengers_that_do_not_match_the_held_seats_are_a_422_and_charge_nothing(
    api: httpx.AsyncClient,
    flight_id: int,
    ann: dict[str, str],
    payments: FakePayments,
    passengers: list[dict[str, Any]],
    detail: str,
) -> None:
    hold_id = await _hold(api, ann, flight_id, "20A", "20B")
    refused = await api.post("/api/v1/bookings", json=_booking(hold_id, passengers), headers=ann)
    assert detail in assert_problem(refused, 422)["detail"]
    assert payments.calls == []  # refused before the card was touched
    booked = await api.post(
        "/api/v1/bookings", json=_booking(hold_id, passengers_json(["20A", "20B"])), headers=ann
    )
    assert booked.status_code == 201, booked.text  # the hold was left as it was


async def test_every_refused_passenger_field_is_named_by_its_place_in_the_request(
    api: httpx.AsyncClient, flight_id: int, ann: dict[str, str]
) -> None:
    """A form marks each field the server refused, all at once, not one per try."""
    hold_id = await _hold(api, ann, flight_id, "21A", "21B", "21C")
    passengers = [
        {"seat": "21C", "given_name": "Ann", "family_name": "Lee", "type": "child"},
        {"seat": "21A", "given_name": "R2-D2", "family_name": "  ", "type": "adult"},
        {"seat": "21B", "given_name": "Bo", "family_name": "Lee"},
    ]
    refused = await api.post("/api/v1/bookings", json=_booking(hold_id, passengers), headers=ann)
    problem = assert_problem(refused, 422)
    assert [(e["loc"], e["message"]) for e in problem["errors"]] == [
        (["passengers", "0", "date_of_birth"], "seat 21C: a child needs a date of birth"),
        (
            ["passengers", "1", "given_name"],
            "seat 21A: the given name must be 1 to 64 characters: letters, spaces, hyphens"
            " and apostrophes, as on the passport",
        ),
        (
            ["passengers", "1", "family_name"],
            "seat 21A: the family name must be 1 to 64 characters: letters, spaces, hyphens"
            " and apostrophes, as on the passport",
        ),
    ]
    assert problem["detail"] == "; ".join(e["message"] for e in problem["errors"])


async def test_names_typed_with_any_unicode_space_are_booked_with_plain_spaces(
    api: httpx.AsyncClient, flight_id: int, ann: dict[str, str]
) -> None:
    hold_id = await _hold(api, ann, flight_id, "4A")
    long_cjk = "\U00020000" * 64  # 64 code points, 128 UTF-16 units
    named = [{"seat": "4A", "given_name": "山田\u3000太郎", "family_name": long_cjk}]
    booked = await api.post("/api/v1/bookings", json=_booking(hold_id, named), headers=ann)
    assert booked.status_code == 201, booked.text
    [passenger] = booked.json()["passengers"]
    assert (passenger["given_name"], passenger["family_name"]) == ("山田 太郎", long_cjk)


@pytest.mark.parametrize(
    "body",
    [
        {"hold_id": "00000000-0000-0000-0000-000000000000", "payment": {"token": "tok_ok"}},
        _booking("00000000-0000-0000-0000-000000000000", []),
        _booking("00000000-0000-0000-0000-000000000000", [{"seat": "1A", "given_name": "Ann"}]),
        _booking(
            "00000000-0000-0000-0000-000000000000", [{**passengers_json(["1A"])[0], "type": "pet"}]
        ),
    ],
)
async def test_a_booking_without_passengers_or_with_malformed_ones_is_refused(
    api: httpx.AsyncClient, ann: dict[str, str], body: dict[str, Any]
) -> None:
    assert_problem(await api.post("/api/v1/bookings", json=body, headers=ann), 422)


async def test_a_replay_needs_the_same_passengers(
    api: httpx.AsyncClient, flight_id: int, ann: dict[str, str]
) -> None:
    hold_id = await _hold(api, ann, flight_id, "3A")
    headers = {**ann, "Idempotency-Key": "book-with-names"}
    body = _booking(hold_id, passengers_json(["3A"]))
    first = await api.post("/api/v1/bookings", json=body, headers=headers)
    again = await api.post("/api/v1/bookings", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    renamed = _booking(hold_id, passengers_json(["3A"], family_name="Other"))
    assert_problem(
        await api.post("/api/v1/bookings", json=renamed, headers=headers),
        422,
        "idempotency-key-reused",
    )


async def test_manage_booking_finds_a_booking_by_reference_and_family_name(
    api: httpx.AsyncClient, flight_id: int, ann: dict[str, str]
) -> None:
    named = [
        {"seat": "4A", "given_name": "Jörg", "family_name": "Müller"},
        {"seat": "4B", "given_name": "小龍", "family_name": "李"},
    ]
    booking = await _book(api, ann, flight_id, named)
    reference = booking["reference"]
    # as typed, in another case or spacing, and as the e-ticket's boarding pass spells it
    for typed in ("Müller", "MULLER", " muller ", "Mül-ler", "MUELLER", "李", "Li"):
        found = await api.post(
            "/api/v1/bookings/lookup", json={"reference": reference.lower(), "family_name": typed}
        )  # no sign-in
        assert found.status_code == 200, found.text
        assert found.json() == {
            "reference": reference,
            "flight": {
                "id": flight_id,
                "code": "LS101",
                "origin": "LHR",
                "destination": "JFK",
                "departs_at": "2030-01-10T09:00:00Z",
                "departs_local": "2030-01-10T09:00:00+00:00",  # London's clocks in January
                "departure_zone": "Europe/London",
                # flight_body gives no arrival: unknown, the zone still named
                "arrives_at": None,
                "arrives_local": None,
                "arrival_zone": "America/New_York",
            },
            "seats": ["4A", "4B"],
            "passengers": booking["passengers"],
            "status": "confirmed",
        }
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in reference)  # as typed in Japan
    found = await api.post(
        "/api/v1/bookings/lookup", json={"reference": full_width, "family_name": "Li"}
    )
    assert found.status_code == 200, found.text
    wrong_name = await api.post(
        "/api/v1/bookings/lookup", json={"reference": reference, "family_name": "Jörg"}
    )
    wrong_reference = await api.post(
        "/api/v1/bookings/lookup", json={"reference": "ZZZZZZZZ", "family_name": "Müller"}
    )
    # the same answer for both: a guesser learns nothing about which half was wrong
    assert assert_problem(wrong_name, 404) == assert_problem(wrong_reference, 404)
    await api.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=ann)
    found = await api.post(
        "/api/v1/bookings/lookup", json={"reference": reference, "family_name": "LI"}
    )
    assert found.json()["status"] == "cancelled"
    too_long = {"reference": reference, "family_name": "L" * 300}
    assert_problem(await api.post("/api/v1/bookings/lookup", json=too_long), 422)


@pytest.mark.settings(lookup_max_failures_per_pair=3, lookup_max_failures_per_address=5)
async def test_guessing_names_or_references_is_throttled(
    api: httpx.AsyncClient, flight_id: int, ann: dict[str, str]
) -> None:
    hold_id = await _hold(api, ann, flight_id, "5A")
    body = _booking(hold_id, passengers_json(["5A"]))
    reference = (await api.post("/api/v1/bookings", json=body, headers=ann)).json()["reference"]

    async def look_up(reference: str, family_name: str) -> httpx.Response:
        return await api.post(
            "/api/v1/bookings/lookup", json={"reference": reference, "family_name": family_name}
        )

    assert (await look_up(reference, "Lee")).status_code == 200  # a match uses up nothing
    for guess in ("Smith", "Jones", "Brown"):
        assert_problem(await look_up(reference, guess), 404)
    # the reference's limit: even the right name waits now (a guesser cannot tell)
    limited = await look_up(reference, "Lee")
    assert_problem(limited, 429, "too-many-attempts")
    assert int(limited.headers["retry-after"]) > 0
    # other references from the same address: the address's limit (5) ends it
    assert_problem(await look_up("AAAAAAAA", "Lee"), 404)
    assert_problem(await look_up("BBBBBBBB", "Lee"), 404)
    assert_problem(await look_up("CCCCCCCC", "Lee"), 429, "too-many-attempts")
