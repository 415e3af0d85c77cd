"""Sample flights for demos, tests and benchmarks: 180 seats each, spread over 30 days."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from lastseat.domain.errors import Conflict
from lastseat.domain.flights import Cabin, Layout
from lastseat.domain.money import Money
from lastseat.services.catalog import Catalog, NewFlight

AIRPORTS = ("LHR", "JFK", "CDG", "FRA", "AMS", "MAD", "FCO", "BCN", "DUB", "ZRH", "CPH", "VIE")
# Latitude and longitude of each, to give sample flights real-looking durations.
POSITIONS = {
    "LHR": (51.47, -0.45), "JFK": (40.64, -73.78), "CDG": (49.01, 2.55), "FRA": (50.03, 8.57),
    "AMS": (52.31, 4.76), "MAD": (40.49, -3.57), "FCO": (41.80, 12.25), "BCN": (41.30, 2.08),
    "DUB": (53.42, -6.27), "ZRH": (47.46, 8.55), "CPH": (55.62, 12.65), "VIE": (48.11, 16.57),
}  # fmt: skip
CRUISE_KMH = 780
TAXI_AND_CLIMB = timedelta(minutes=30)


def standard_layout(currency: str = "EUR") -> Layout:
    return Layout(
        (
            Cabin("business", 1, 3, "AC", Money(120_000, currency), aisle_after="A"),
            Cabin(
                "economy",
                4,
                32,
                "ABCDEF",
                Money(15_000, currency),
                exit_rows=(14,),
                aisle_after="C",
            ),
        )
    )


def sample_flights(count: int, now: datetime, seed: int = 7) -> list[NewFlight]:
    rng = random.Random(seed)
    first = (now + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    layout = standard_layout()
    flights = []
    for number in range(count):
        origin, destination = rng.sample(AIRPORTS, 2)
        departs = first + timedelta(hours=(number * 7) % (30 * 24), minutes=5 * (number % 12))
        arrives = departs + flight_time(origin, destination)
        flights.append(
            NewFlight(f"LS{100 + number}", origin, destination, departs, layout, arrives)
        )
    return flights


def flight_time(origin: str, destination: str) -> timedelta:
    """Gate to gate between two sample airports: the great-circle distance at cruising
    speed plus taxi and climb, to five minutes (LHR-JFK about 7 h 35, CDG-AMS 1 h)."""
    (lat1, lon1), (lat2, lon2) = (
        map(math.radians, POSITIONS[code]) for code in (origin, destination)
    )
    cosine = math.sin(lat1) * math.sin(lat2) + math.cos(lat1) * math.cos(lat2) * math.cos(
        lon2 - lon1
    )
    km = 6_371 * math.acos(min(1.0, cosine))
    minutes = 5 * round(km / CRUISE_KMH * 60 / 5)
    return TAXI_AND_CLIMB + timedelta(minutes=minutes)


async def seed_flights(
    catalog: Catalog, now: datetime, count: int, progress: Callable[[int], None] | None = None
) -> int:
    """Create `count` sample flights; ones that already exist are left as they are."""
    created = 0
    for spec in sample_flights(count, now):
        try:
            await catalog.create_flight(spec)
            created += 1
        except Conflict:
            pass
        if progress is not None:
            progress(1)
    return created
