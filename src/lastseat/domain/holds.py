"""Holds: one user, one flight, 1..9 seats, all or none, until they expire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from lastseat.domain.errors import InvalidRequest, seat_sort_key
from lastseat.domain.flights import normalise_seat
from lastseat.domain.pricing import Quote

MIN_SEATS_PER_HOLD = 1
MAX_SEATS_PER_HOLD = 9


class HoldStatus(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"
    EXPIRED = "expired"
    BOOKED = "booked"


@dataclass(frozen=True, slots=True)
class Hold:
    id: UUID
    user_id: UUID
    flight_id: int
    seats: tuple[str, ...]
    expires_at: datetime
    status: HoldStatus
    quote: Quote

    def is_live(self, now: datetime) -> bool:
        return self.status is HoldStatus.ACTIVE and now < self.expires_at


def requested_seats(names: list[str]) -> tuple[str, ...]:
    """Validate and normalise a hold request's seat list (all or none, so any flaw refuses all)."""
    if not MIN_SEATS_PER_HOLD <= len(names) <= MAX_SEATS_PER_HOLD:
        raise InvalidRequest(
            f"a hold takes {MIN_SEATS_PER_HOLD} to {MAX_SEATS_PER_HOLD} seats, got {len(names)}"
        )
    seats = [normalise_seat(name) for name in names]
    duplicates = sorted({seat for seat in seats if seats.count(seat) > 1})
    if duplicates:
        raise InvalidRequest("seats repeated in the request: " + ", ".join(duplicates))
    return tuple(sorted(seats, key=seat_sort_key))


def expiry(now: datetime, ttl: timedelta) -> datetime:
    return now + ttl
