"""Lockout rules, with no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lastseat.domain.throttling import ThrottleRules, retry_after_seconds

RULES = ThrottleRules(5, timedelta(minutes=15), timedelta(seconds=30), timedelta(minutes=15))


def test_lockouts_start_at_the_limit_and_double_up_to_a_cap() -> None:
    assert [RULES.lockout(n) for n in range(5)] == [None] * 5
    assert RULES.lockout(5) == timedelta(seconds=30)
    assert RULES.lockout(6) == timedelta(seconds=60)
    assert RULES.lockout(9) == timedelta(seconds=480)
    assert RULES.lockout(10) == timedelta(minutes=15)
    assert RULES.lockout(10_000) == timedelta(minutes=15)


def test_retry_after_rounds_up_and_is_at_least_one_second() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert retry_after_seconds(now + timedelta(seconds=29, milliseconds=1), now) == 30
    assert retry_after_seconds(now, now) == 1
