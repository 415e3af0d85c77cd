"""Time a request spends in the database, for its `Server-Timing` header.

The HTTP middleware opens a tally per request; the database adapters add each statement's
time to the tally of the request they run for (a context variable follows the task).
Outside a request nothing is counted.
"""

from __future__ import annotations

from contextvars import ContextVar, Token

_DB_SECONDS: ContextVar[list[float] | None] = ContextVar("lastseat_db_seconds", default=None)


def start_tally() -> Token[list[float] | None]:
    return _DB_SECONDS.set([0.0])


def end_tally(token: Token[list[float] | None]) -> None:
    _DB_SECONDS.reset(token)


def add_db_time(seconds: float) -> None:
    tally = _DB_SECONDS.get()
    if tally is not None:
        tally[0] += seconds


def db_seconds() -> float | None:
    tally = _DB_SECONDS.get()
    return None if tally is None else tally[0]
