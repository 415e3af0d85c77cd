"""The SQL that guards a seat says what the domain's state machine says."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from lastseat.adapters.db.repositories import seat_rules
from lastseat.domain.flights import SeatStatus, can_transition, sources, status_at

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
ROWS = [
    (stored, until)
    for stored in SeatStatus
    for until in (None, NOW - timedelta(seconds=1), NOW, NOW + timedelta(seconds=1))
    if (stored is SeatStatus.HELD) == (until is not None)
]


def _matching(condition: str) -> set[tuple[SeatStatus, datetime | None]]:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE seats (status TEXT, held_until TEXT)")
    db.executemany(
        "INSERT INTO seats VALUES (?, ?)",
        [(stored.value, None if until is None else until.isoformat()) for stored, until in ROWS],
    )
    found = db.execute(
        f"SELECT status, held_until FROM seats WHERE {condition}",
        {"now": NOW.isoformat()},
    )
    return {
        (SeatStatus(status), None if until is None else datetime.fromisoformat(until))
        for status, until in found
    }


@pytest.mark.parametrize("new", list(SeatStatus))
def test_a_seat_may_change_only_from_the_states_the_domain_allows(new: SeatStatus) -> None:
    allowed = {row for row in ROWS if can_transition(status_at(*row, NOW), new)}
    assert _matching(seat_rules.may_become(new)) == allowed
    assert all(can_transition(state, new) for state in sources(new))


def test_taken_seats_are_those_not_available_now() -> None:
    taken = {row for row in ROWS if status_at(*row, NOW) is not SeatStatus.AVAILABLE}
    assert _matching(seat_rules.taken()) == taken


def test_a_change_the_state_machine_forbids_has_no_guard() -> None:
    with pytest.raises(ValueError, match="never"):
        seat_rules.leaving(SeatStatus.AVAILABLE, SeatStatus.BOOKED)
