"""A flight's arrival: after its departure and within MAX_FLIGHT_TIME of it, or unknown;
shown on the destination airport's clocks by the rule that shows the departure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lastseat.domain.errors import InvalidRequest
from lastseat.domain.flights import MAX_FLIGHT_TIME, Cabin, Flight, Layout, validate_schedule
from lastseat.domain.money import Money
from lastseat.entrypoints.representations import arrival_fields, schedule_fields
from lastseat.services.samples import sample_flights

LAYOUT = Layout((Cabin("economy", 1, 2, "AB", Money(100_00, "EUR")),))
DEPARTS = datetime(2030, 1, 10, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "arrives_at",
    [None, DEPARTS + timedelta(minutes=1), DEPARTS + timedelta(hours=8), DEPARTS + MAX_FLIGHT_TIME],
)
def test_an_arrival_after_departure_within_the_longest_flight_or_none_is_accepted(
    arrives_at: datetime | None,
) -> None:
    validate_schedule(DEPARTS, arrives_at)


@pytest.mark.parametrize(
    ("arrives_at", "why"),
    [
        (DEPARTS, "after departs_at"),
        (DEPARTS - timedelta(hours=1), "after departs_at"),
        (DEPARTS + MAX_FLIGHT_TIME + timedelta(minutes=1), "at most 20 hours after"),
    ],
)
def test_an_arrival_before_departure_or_too_long_after_is_refused(
    arrives_at: datetime, why: str
) -> None:
    with pytest.raises(InvalidRequest, match=why):
        validate_schedule(DEPARTS, arrives_at)


def test_the_arrival_is_shown_on_the_destination_airport_s_clocks() -> None:
    # Madrid 10:00 (CET) to New York: 18:30 UTC is 13:30 EST
    flight = Flight(
        1, "LS101", "MAD", "JFK", DEPARTS, LAYOUT, DEPARTS + timedelta(hours=9, minutes=30)
    )
    assert schedule_fields(flight) == {
        "departs_at": "2030-01-10T09:00:00Z",
        "departs_local": "2030-01-10T10:00:00+01:00",
        "departure_zone": "Europe/Madrid",
        "arrives_at": "2030-01-10T18:30:00Z",
        "arrives_local": "2030-01-10T13:30:00-05:00",
        "arrival_zone": "America/New_York",
    }


def test_an_arrival_never_recorded_is_null_with_the_zone_still_named() -> None:
    flight = Flight(1, "LS101", "MAD", "JFK", DEPARTS, LAYOUT)
    assert arrival_fields(flight) == {
        "arrives_at": None,
        "arrives_local": None,
        "arrival_zone": "America/New_York",
    }


def test_sample_flights_land_after_a_gate_to_gate_time_that_fits_their_distance() -> None:
    flights = sample_flights(60, DEPARTS)
    for spec in flights:
        assert spec.arrives_at is not None
        validate_schedule(spec.departs_at, spec.arrives_at)
    durations = {
        (spec.origin, spec.destination): spec.arrives_at - spec.departs_at
        for spec in flights
        if spec.arrives_at is not None
    }
    across_the_atlantic = [d for (a, b), d in durations.items() if "JFK" in (a, b)]
    within_europe = [d for (a, b), d in durations.items() if "JFK" not in (a, b)]
    assert across_the_atlantic and within_europe
    assert all(timedelta(hours=6) < d < timedelta(hours=10) for d in across_the_atlantic)
    assert all(timedelta(minutes=45) < d < timedelta(hours=4) for d in within_europe)
