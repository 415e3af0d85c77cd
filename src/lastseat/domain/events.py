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
    return round_events(flight_id, [(released, tuple(held))])


def round_events(
    flight_id: int, groups: list[tuple[list[str], tuple[str, ...]]]
) -> list[SeatEvent]:
    """The events of a round of holds placed together, each group's (the seats of the hold
    it replaces, the seats it takes) in the round's order: the seats given back and taken
    by none first, then each group's new seats in turn. A seat one group gives back and
    another takes stays held, so it has no event (its "available" written after the
    other's "held" would leave the feed saying it is free)."""
    released = {seat for given_back, _ in groups for seat in given_back}
    taken = {seat for _, seats in groups for seat in seats}
    freed = [(flight_id, seat) for seat in released - taken]
    held = [
        event
        for _, seats in groups
        for event in seat_events(
            flight_id, [s for s in seats if s not in released], SeatStatus.HELD
        )
    ]
    return freed_events(freed) + held
