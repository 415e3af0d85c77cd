"""Airports' time zones, and a departure shown on its airport's clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lastseat.domain.flights import Cabin, Flight, Layout
from lastseat.domain.money import Money
from lastseat.entrypoints.representations import departure_fields
from lastseat.services.airports import airport_zone, is_known, local_time, unknown_airports

LAYOUT = Layout((Cabin("economy", 1, 2, "AB", Money(100_00, "EUR")),))


def flight(origin: str, departs_at: datetime) -> Flight:
    return Flight(1, "LS101", origin, "JFK", departs_at, LAYOUT)


@pytest.mark.parametrize(
    ("code", "zone"),
    [("MAD", "Europe/Madrid"), ("JFK", "America/New_York"), ("NRT", "Asia/Tokyo")],
)
def test_an_iata_code_gives_its_airport_s_zone(code: str, zone: str) -> None:
    assert is_known(code)
    assert airport_zone(code) == ZoneInfo(zone)


def test_unknown_codes_are_refused_and_shown_in_utc() -> None:
    assert not is_known("QQQ")
    [refused] = unknown_airports(origin="MAD", destination="QQQ")
    assert refused.loc == ("destination",)
    assert refused.message == "unknown airport QQQ: not an IATA airport code in use"
    assert unknown_airports(origin="MAD", destination="JFK") == []
    # a flight stored before airports were checked still shows a time, labelled UTC
    assert airport_zone("QQQ").key == "UTC"


def test_a_departure_carries_the_offset_of_its_own_day() -> None:
    winter = departure_fields(flight("MAD", datetime(2030, 1, 1, 12, tzinfo=UTC)))
    summer = departure_fields(flight("MAD", datetime(2030, 7, 1, 12, tzinfo=UTC)))
    assert winter == {
        "departs_at": "2030-01-01T12:00:00Z",
        "departs_local": "2030-01-01T13:00:00+01:00",
        "departure_zone": "Europe/Madrid",
    }
    assert summer["departs_local"] == "2030-07-01T14:00:00+02:00"


def test_flights_either_side_of_a_dst_change_are_a_minute_apart_not_an_hour() -> None:
    # Spain springs forward at 01:00 UTC on the last Sunday of March 2030 (31 March):
    # local 02:00 CET becomes 03:00 CEST, so 02:00 to 02:59 local never happen.
    change = datetime(2030, 3, 31, 1, tzinfo=UTC)
    before = local_time(change - timedelta(minutes=1), "MAD")
    after = local_time(change, "MAD")
    assert before.isoformat() == "2030-03-31T01:59:00+01:00"
    assert after.isoformat() == "2030-03-31T03:00:00+02:00"
    # (subtracting two times of one zone compares their wall clocks: 61 minutes)
    assert after.astimezone(UTC) - before.astimezone(UTC) == timedelta(minutes=1)
    # and back in October: 01:30 UTC is the second 02:30 local, in winter time
    fall = local_time(datetime(2030, 10, 27, 1, 30, tzinfo=UTC), "MAD")
    assert fall.isoformat() == "2030-10-27T02:30:00+01:00"
