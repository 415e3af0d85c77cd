"""Throttle verdicts, with no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lastseat.domain.throttling import (
    Counter,
    Pace,
    ThrottleRules,
    Verdict,
    judge,
    retry_after_seconds,
)

NOW = datetime(2030, 1, 1, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


def _rules(pace: Pace) -> ThrottleRules:
    return ThrottleRules("test", "tries", 5, WINDOW, pace, timedelta(seconds=30), WINDOW)


def _count(attempts: int, locked_until: datetime | None = None) -> Counter:
    return Counter(attempts, NOW - timedelta(minutes=5), locked_until)


def test_delays_double_from_the_limit_up_to_a_cap() -> None:
    rules = _rules(Pace.SPACED)
    assert [rules.delay(n).total_seconds() for n in (1, 2, 5)] == [30, 60, 480]
    assert rules.delay(6) == WINDOW and rules.delay(10_000) == WINDOW


def test_spaced_lets_attempts_through_and_locks_from_the_limit_on() -> None:
    rules = _rules(Pace.SPACED)
    assert judge(rules, _count(4), NOW) == Verdict(None, None)
    # the limit-th attempt is checked, and locks the key for the base delay
    assert judge(rules, _count(5), NOW) == Verdict(None, NOW + timedelta(seconds=30))
    # after the lock, the next one is checked too, and locks twice as long
    assert judge(rules, _count(6), NOW) == Verdict(None, NOW + timedelta(seconds=60))


def test_window_refuses_until_the_window_starts_again() -> None:
    assert judge(_rules(Pace.WINDOW), _count(5), NOW) == Verdict(None, None)
    verdict = judge(_rules(Pace.WINDOW), _count(6), NOW)
    assert verdict.refused_for == timedelta(minutes=10) and verdict.lock_until is None


def test_a_lock_in_force_refuses_whatever_the_count() -> None:
    for pace in Pace:
        verdict = judge(_rules(pace), _count(0, NOW + timedelta(seconds=3)), NOW)
        assert verdict.refused_for == timedelta(seconds=3)


def test_retry_after_rounds_up_and_is_at_least_one_second() -> None:
    assert retry_after_seconds(timedelta(seconds=29, milliseconds=1)) == 30
    assert retry_after_seconds(timedelta(0)) == 1
    assert retry_after_seconds(timedelta(seconds=-3)) == 1
