"""Holds: one user, one flight, 1..9 seats, all or none, until they expire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from lastseat.domain.errors import (
    HoldGone,
    InvalidRequest,
    LimitReached,
    NotFound,
    seat_sort_key,
)
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


def check_replaceable(hold: Hold | None, flight_id: int, now: datetime) -> Hold:
    """A hold may be replaced by a new one of its owner (`hold`: None if not theirs) while it
    is live, and only on its own flight: growing a hold never moves seats between flights."""
    if hold is None:
        raise NotFound("the hold to replace was not found")
    if not hold.is_live(now):
        raise HoldGone("the hold to replace has ended; hold the seats anew")
    if hold.flight_id != flight_id:
        raise InvalidRequest("the hold to replace is on another flight")
    return hold


def expiry(now: datetime, ttl: timedelta, departs_at: datetime) -> datetime:
    """A hold ends after its time to live, and at the latest when the flight leaves: the
    conditional update that books it then refuses it with no clock check of its own."""
    return min(now + ttl, departs_at)


@dataclass(frozen=True, slots=True)
class HeldSeats:
    """Seats held right now by live holds, and seats in live bookings, counted for the
    limits below."""

    by_customer_on_flight: int
    by_customer: int  # on every flight
    by_address_on_flight: int  # every customer asking from the same client address
    booked_by_customer_on_flight: int = 0
    booked_by_address_on_flight: int = 0


@dataclass(frozen=True, slots=True)
class HoldLimits:
    """What one party may hold at once, so no one can hold a flight (or the inventory)
    they are not buying: seat spinning, OWASP OAT-021 "Denial of Inventory". Booked seats
    count toward a party's share of a flight too: a booking cancelled for free is a hold
    by another name."""

    seats_per_flight: int  # held at once by one customer, one flight
    seats_per_customer: int  # held at once by one customer, every flight
    address_share_percent: int  # held or booked by one client address, one flight
    customer_seats_per_flight: int  # held or booked by one customer, one flight

    def address_seats(self, capacity: int) -> int:
        # Never less than one full hold, so a small aircraft can still be booked.
        return max(MAX_SEATS_PER_HOLD, capacity * self.address_share_percent // 100)

    def check(self, held: HeldSeats, wanted: int, capacity: int) -> None:
        """Refuse a hold of `wanted` more seats that would pass any limit."""
        mine = held.by_customer_on_flight
        for limit, taken, maximum, what, remedy in (
            ("seats-per-flight", mine, self.seats_per_flight, "you hold", HOLD_REMEDY),
            (
                "seats-per-customer",
                held.by_customer,
                self.seats_per_customer,
                "you hold",
                HOLD_REMEDY,
            ),
            (
                "customer-seats-per-flight",
                mine + held.booked_by_customer_on_flight,
                self.customer_seats_per_flight,
                "you hold or have booked",
                SHARE_REMEDY,
            ),
            (
                "seats-per-address",
                held.by_address_on_flight + held.booked_by_address_on_flight,
                self.address_seats(capacity),
                "your network holds or has booked",
                SHARE_REMEDY,
            ),
        ):
            if taken + wanted > maximum:
                scope = "in all" if limit == "seats-per-customer" else "on this flight"
                raise LimitReached(
                    limit,
                    maximum,
                    f"{what} {taken} seats {scope} and asked for {wanted} more; at most "
                    f"{maximum} {remedy}",
                )


HOLD_REMEDY = "may be held at once: book or release some first"
SHARE_REMEDY = "may be held or booked at once: book, release or cancel some first"
