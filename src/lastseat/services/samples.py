"""Sample flights for demos, tests and benchmarks: 180 seats each, spread over 30 days."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from lastseat.domain.errors import Conflict
from lastseat.domain.flights import Cabin, Layout
from lastseat.domain.money import Money
from lastseat.services.catalog import Catalog, NewFlight

AIRPORTS = ("LHR", "JFK", "CDG", "FRA", "AMS", "MAD", "FCO", "BCN", "DUB", "ZRH", "CPH", "VIE")


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
        flights.append(NewFlight(f"LS{100 + number}", origin, destination, departs, layout))
    return flights


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
