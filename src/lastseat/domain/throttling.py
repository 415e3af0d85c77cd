"""Throttles: how many attempts of one kind a key (an address, an account, a pair of both,
a customer, a hold) may make in a window, and what happens past that.

An attempt is counted *before* the work it asks for (a password check, a code lookup), so
concurrent attempts cannot all slip in under the limit: each one gets its own count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# Doubling stops here: 2**20 times any base delay is far past every cap.
MAX_DOUBLINGS = 20


class Pace(StrEnum):
    # From the limit on, each attempt is let through alone and locks the key for a delay
    # that doubles with each one: a guesser crawls, and the owner is let in once the
    # delay is over. Long delays suit a key only an attacker fills (one account from one
    # address); short ones a key shared with the innocent (a whole account, an address).
    SPACED = "spaced"
    # Past the limit, refused until the window starts again: a plain rate.
    WINDOW = "window"


@dataclass(frozen=True, slots=True)
class ThrottleRules:
    limit: str  # the limit's name, given to the client ("sign-in", "holds-per-address")
    what: str  # what is counted, in words ("sign-in attempts")
    max_attempts: int  # allowed in a window before the pace applies
    window: timedelta
    pace: Pace = Pace.WINDOW
    base_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(minutes=15)

    def delay(self, nth: int) -> timedelta:
        """The lock after the `nth` attempt from the limit on (1 for the limit-th)."""
        return doubling(self.base_delay, nth, self.max_delay)


def doubling(base: timedelta, nth: int, cap: timedelta) -> timedelta:
    """`base` for the first time, twice as long each time after, never more than `cap`."""
    doubled: timedelta = base * (2 ** min(nth - 1, MAX_DOUBLINGS))
    return min(doubled, cap)


@dataclass(frozen=True, slots=True)
class Counter:
    """A key's count once this attempt is counted (not counted while a lock is in force)."""

    attempts: int
    window_start: datetime
    locked_until: datetime | None


@dataclass(frozen=True, slots=True)
class Verdict:
    refused_for: timedelta | None  # None: the attempt may go ahead
    lock_until: datetime | None  # a new lock (or spacing) to record for the key


def judge(rules: ThrottleRules, counter: Counter, now: datetime) -> Verdict:
    if counter.locked_until is not None and counter.locked_until > now:
        return Verdict(counter.locked_until - now, None)
    excess = counter.attempts - rules.max_attempts
    if excess < 0:
        return Verdict(None, None)
    if rules.pace is Pace.WINDOW:
        refused = excess > 0
        return Verdict(counter.window_start + rules.window - now if refused else None, None)
    return Verdict(None, now + rules.delay(excess + 1))


def retry_after_seconds(wait: timedelta) -> int:
    return max(1, int(wait.total_seconds() + 0.999))
