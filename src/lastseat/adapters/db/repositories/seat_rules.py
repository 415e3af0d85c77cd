"""The rule that guards a seat, as SQL: made from the domain's state machine, written once.

A seat changes state only by one conditional UPDATE whose WHERE is the rule, so there is
no read-then-write window. That WHERE comes from `domain.flights`: the states TRANSITIONS
lets a seat leave for the new one (`sources`), each as the seat is at the moment of the
change (`status_at`: a lapsed hold is available again before any sweep writes it down).
The text is plain SQL on the columns of `seats`, shared by the portable statements (which
bind `:now`) and the PostgreSQL driver statements (which pass their positional `$n`).
"""

from __future__ import annotations

import sqlalchemy as sa

from lastseat.adapters.db.tables import UTCDateTime
from lastseat.domain.flights import SeatStatus, can_transition, sources

# What each state is at {now}, in the columns of `seats` (domain.flights.status_at).
_IN_STATE = {
    SeatStatus.AVAILABLE: "(status = 'available' OR (status = 'held' AND held_until <= {now}))",
    SeatStatus.HELD: "(status = 'held' AND held_until > {now})",
    SeatStatus.BOOKED: "(status = 'booked')",
}
CORE_NOW = ":now"


def in_state(state: SeatStatus, now: str = CORE_NOW) -> str:
    return _IN_STATE[state].format(now=now)


def may_become(new: SeatStatus, now: str = CORE_NOW) -> str:
    """The seat is, at `now`, in a state it may become `new` from."""
    return "(" + " OR ".join(in_state(state, now) for state in sources(new)) + ")"


def leaving(current: SeatStatus, new: SeatStatus) -> str:
    """The seat is stored as `current`, lapsed or not (a release goes by its hold or its
    booking, and frees a lapsed hold's seats as well)."""
    if not can_transition(current, new):
        raise ValueError(f"a seat never goes from {current} to {new}")
    return f"(status = '{current.value}')"


def taken(now: str = CORE_NOW) -> str:
    """Not available at `now`: booked, or held by a live hold."""
    return f"({in_state(SeatStatus.BOOKED, now)} OR {in_state(SeatStatus.HELD, now)})"


def core(condition: str) -> sa.TextClause:
    """The condition for a Core statement, with `:now` bound as a UTC timestamp."""
    clause = sa.text(condition)
    if CORE_NOW in condition:
        clause = clause.bindparams(sa.bindparam("now", type_=UTCDateTime()))
    return clause
