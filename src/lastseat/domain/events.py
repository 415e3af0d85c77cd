"""Seat events: what the outbox records for every seat state change."""

from __future__ import annotations

from dataclasses import dataclass

from lastseat.domain.errors import seat_sort_key
from lastseat.domain.flights import SeatStatus


@dataclass(frozen=True, slots=True)
class SeatEvent:
    flight_id: int
    seat: str
    status: SeatStatus


def seat_events(flight_id: int, seats: list[str], status: SeatStatus) -> list[SeatEvent]:
    return [SeatEvent(flight_id, seat, status) for seat in sorted(seats, key=seat_sort_key)]


def freed_events(freed: list[tuple[int, str]]) -> list[SeatEvent]:
    """Events for seats made available, in a stable order (flight, then seat)."""
    ordered = sorted(freed, key=lambda item: (item[0], seat_sort_key(item[1])))
    return [SeatEvent(flight, seat, SeatStatus.AVAILABLE) for flight, seat in ordered]


def replacement_events(flight_id: int, released: list[str], held: list[str]) -> list[SeatEvent]:
    """A hold replaced by another: seats only the old one had are free again, seats only the
    new one has are held; seats in both stay held, so watchers hear nothing of them."""
    freed = [(flight_id, seat) for seat in released if seat not in held]
    taken = [seat for seat in held if seat not in released]
    return freed_events(freed) + seat_events(flight_id, taken, SeatStatus.HELD)
