"""The seat-map encoder's memory: templates shared by the flights of one layout, and the
last encodings bounded by their bytes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import orjson

from lastseat.domain.flights import Flight
from lastseat.entrypoints.seatmap import SeatMapEncoder
from lastseat.services.bounded import WeighedLru
from lastseat.services.catalog import SeatMap
from lastseat.services.samples import sample_flights

SPEC = next(iter(sample_flights(1, datetime(2031, 3, 4, tzinfo=UTC))))
FLIGHT = Flight(1, SPEC.code, SPEC.origin, SPEC.destination, SPEC.departs_at, SPEC.layout)


def test_flights_of_one_layout_share_a_template_and_each_keeps_its_own_id() -> None:
    encoder = SeatMapEncoder()
    first, second = FLIGHT, replace(FLIGHT, id=2)
    one = orjson.loads(encoder.encode(SeatMap(first, {"1A": "booked"}, 1_000)))
    two = orjson.loads(encoder.encode(SeatMap(second, {}, 1_000)))
    assert (one["flight_id"], two["flight_id"]) == (1, 2)
    assert [s["status"] for s in one["seats"][:2]] == ["booked", "available"]
    assert two["seats"][0]["status"] == "available"
    assert len(encoder._templates) == 1
    encoder.encode(SeatMap(second, {}, 1_250))  # another demand price: another template
    assert len(encoder._templates) == 2


def test_the_last_encodings_stay_within_their_byte_budget() -> None:
    size = len(SeatMapEncoder().encode(SeatMap(FLIGHT, {}, 1_000)))
    encoder = SeatMapEncoder(encoded_budget=size * 3 + 3)  # ids of two digits: a byte more
    for flight_id in range(1, 11):
        encoder.encode(SeatMap(replace(FLIGHT, id=flight_id), {}, 1_000))
    assert len(encoder._last) == 3 and encoder._last.weight <= size * 3 + 3
    # the newest are kept, and one dropped is encoded again, the same bytes
    assert encoder._last.get(10) is not None and encoder._last.get(1) is None
    again = encoder.encode(SeatMap(FLIGHT, {}, 1_000))
    assert orjson.loads(again)["flight_id"] == 1 and len(again) == size


def test_a_weighed_lru_drops_the_least_recent_until_within_budget() -> None:
    lru: WeighedLru[str, bytes] = WeighedLru(10, len)
    lru.put("a", b"1234")
    lru.put("b", b"1234")
    assert lru.get("a") == b"1234"  # now the most recent
    lru.put("c", b"1234")
    assert (lru.get("b"), lru.get("a"), lru.get("c")) == (None, b"1234", b"1234")
    lru.put("a", b"12345678")  # replacing counts the new weight only
    assert lru.weight == 8 and lru.get("c") is None
    lru.put("big", b"x" * 50)  # one entry over budget is kept alone, not refused
    assert len(lru) == 1 and lru.weight == 50


def test_the_etag_is_the_same_for_the_same_bytes_in_any_process_and_moves_with_them() -> None:
    booked = SeatMap(FLIGHT, {"1A": "booked"}, 1_000)
    body, etag = SeatMapEncoder().encode_tagged(booked)
    assert SeatMapEncoder().encode_tagged(SeatMap(FLIGHT, {"1A": "booked"}, 1_000)) == (body, etag)
    others = [
        SeatMap(FLIGHT, {"1A": "held"}, 1_000),
        SeatMap(FLIGHT, {"1B": "booked"}, 1_000),
        SeatMap(FLIGHT, {"1A": "booked"}, 1_250),
        SeatMap(replace(FLIGHT, id=2), {"1A": "booked"}, 1_000),
    ]
    tags = {SeatMapEncoder().encode_tagged(other)[1] for other in others}
    assert len(tags) == len(others) and etag not in tags


def test_a_percent_sign_in_the_layout_is_written_as_it_is() -> None:
    cabins = tuple(replace(cabin, name=f"{cabin.name} 100%s%%") for cabin in FLIGHT.layout.cabins)
    odd = replace(FLIGHT, layout=replace(FLIGHT.layout, cabins=cabins))
    seats = orjson.loads(SeatMapEncoder().encode(SeatMap(odd, {}, 1_000)))["seats"]
    assert seats[0]["cabin"].endswith(" 100%s%%") and seats[0]["status"] == "available"
