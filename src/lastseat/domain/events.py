"""Seat events: what the outbox records for every seat state change."""

from __future__ import annotations

from dataclasses import dataclass

from lastseat.domain.flights import SeatStatus


@dataclass(frozen=True, slots=True)
class SeatEvent:
    flight_id: int
    seat: str
    status: SeatStatus


def seat_events(flight_id: int, seats: list[str], status: SeatStatus) -> list[SeatEvent]:
    return [SeatEvent(flight_id, seat, status) for seat in seats]
