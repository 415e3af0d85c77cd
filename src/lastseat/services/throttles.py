"""Throttled attempts: each is counted in the database before the work it asks for, so the
limits hold across every app server process and under any concurrency.

The keys hold no email address or code in clear: a digest names an account.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from lastseat.config import Settings
from lastseat.domain.errors import DomainError, TooManyAttempts
from lastseat.domain.throttling import Pace, ThrottleRules, judge, retry_after_seconds
from lastseat.services.context import ServiceContext
from lastseat.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class Throttle:
    key: str
    rules: ThrottleRules


def account_digest(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def _spaced(
    limit: str, what: str, most: int, window: int, delay: int, max_delay: int
) -> ThrottleRules:
    """A spaced key (numbers in seconds): past `most` failures in the window, each attempt
    is let through alone and holds the key for a delay that doubles up to `max_delay`."""
    return ThrottleRules(
        limit,
        what,
        most,
        timedelta(seconds=window),
        Pace.SPACED,
        timedelta(seconds=delay),
        timedelta(seconds=max_delay),
    )


def _login_rules(settings: Settings, limit: str, most: int, lock: bool) -> ThrottleRules:
    """Sign-in keys are spaced: by lockouts for the pair, by short slow-downs for the keys
    an attacker shares with the innocent (the whole account, a whole address)."""
    s = settings
    delay, longest = (
        (s.login_lockout_seconds, s.login_max_lockout_seconds)
        if lock
        else (s.login_slowdown_seconds, s.login_max_slowdown_seconds)
    )
    return _spaced(limit, "sign-in attempts", most, s.login_window_seconds, delay, longest)


def sign_in_pair(settings: Settings, email: str, address: str | None) -> Throttle:
    """This account from this address: the only sign-in key locked out for long."""
    return Throttle(
        f"login-pair:{account_digest(email)}:{address or 'unknown'}",
        _login_rules(settings, "sign-in", settings.login_max_failures_per_pair, lock=True),
    )


def shared_sign_in_throttles(
    settings: Settings, email: str, address: str | None, known: bool, first_try: bool
) -> list[Throttle]:
    """The keys an attacker shares with the innocent, only slowed. An address the account
    signed in from lately is slowed by neither (so one guesser behind a NAT cannot shut out
    the NAT's known users). The account's count has two lanes: addresses trying this
    account for the first time in the window, and those that tried before; guessers from
    a few addresses fill the second, so the owner arriving from a new one is not queued
    behind them (a guesser needs a fresh address for every attempt in the first lane)."""
    if known:
        return []
    account = account_digest(email)
    lane = "first" if first_try else "again"
    throttles = [
        Throttle(
            f"login-account:{account}:{lane}",
            _login_rules(
                settings, "sign-in-account", settings.login_max_failures_per_account, lock=False
            ),
        )
    ]
    if address:
        throttles.append(
            Throttle(
                f"login-address:{address}",
                _login_rules(
                    settings, "sign-in-address", settings.login_max_failures_per_address, lock=False
                ),
            )
        )
    return throttles


KNOWN_PREFIX = "login-known:"


def known_address_key(email: str, address: str | None) -> str:
    return f"{KNOWN_PREFIX}{account_digest(email)}:{address or 'unknown'}"


def _per_address(
    address: str | None, limit: str, what: str, most: int, window_seconds: int
) -> list[Throttle]:
    """A plain rate per client address (none for callers without one, e.g. the CLI)."""
    if not address:
        return []
    rules = ThrottleRules(limit, what, most, timedelta(seconds=window_seconds))
    return [Throttle(f"{limit}:{address}", rules)]


def sign_up_throttles(settings: Settings, address: str | None) -> list[Throttle]:
    return _per_address(
        address,
        "signups-per-address",
        "sign-ups from this address",
        settings.signups_per_address,
        settings.signups_window_seconds,
    )


def hold_throttles(settings: Settings, user_id: UUID, address: str | None) -> list[Throttle]:
    """The customer's own rate first: one account alone cannot use up its address's."""
    window = timedelta(seconds=settings.holds_window_seconds)
    customer = ThrottleRules(
        "holds-per-customer", "holds placed", settings.holds_per_customer, window
    )
    return [
        Throttle(f"holds-per-customer:{user_id}", customer),
        *_per_address(
            address,
            "holds-per-address",
            "holds from this address",
            settings.holds_per_address,
            settings.holds_window_seconds,
        ),
    ]


def discount_code_throttles(
    settings: Settings, user_id: UUID, hold_id: UUID, address: str | None
) -> list[Throttle]:
    """Per hold, per customer, and per address (new accounts do not add up to more)."""
    window = timedelta(seconds=settings.discount_attempts_window_seconds)
    return [
        Throttle(
            f"code-hold:{hold_id}",
            ThrottleRules(
                "discount-codes-per-hold",
                "discount codes tried on this hold",
                settings.discount_attempts_per_hold,
                window,
            ),
        ),
        Throttle(
            f"code-customer:{user_id}",
            ThrottleRules(
                "discount-codes-per-customer",
                "discount codes tried",
                settings.discount_attempts_per_customer,
                window,
            ),
        ),
        *_per_address(
            address,
            "discount-codes-per-address",
            "discount codes tried from this address",
            settings.discount_attempts_per_address,
            settings.discount_attempts_window_seconds,
        ),
    ]


def reference_digest(reference: str) -> str:
    """A booking reference digested like an email: the counters name no booking in clear."""
    return hashlib.sha256(reference.encode()).hexdigest()[:32]


def _lookup_rules(
    settings: Settings, limit: str, what: str, most: int, lock: bool
) -> ThrottleRules:
    """Look-up keys are spaced like sign-in's: long lockouts only for the key a guesser
    fills alone (one reference from one address), short slow-downs for the keys a stranger
    shares with the owner or the innocent."""
    s = settings
    delay, longest = (
        (s.lookup_lockout_seconds, s.lookup_max_lockout_seconds)
        if lock
        else (s.lookup_slowdown_seconds, s.lookup_max_slowdown_seconds)
    )
    return _spaced(limit, what, most, s.lookup_window_seconds, delay, longest)


def lookup_pair(settings: Settings, reference: str, address: str | None) -> Throttle:
    """This reference from this address: a guesser trying names on one booking is locked
    out for long; the owner, elsewhere, is not."""
    return Throttle(
        f"lookup-pair:{reference_digest(reference)}:{address or 'unknown'}",
        _lookup_rules(
            settings,
            "lookups-per-reference-and-address",
            "look-ups of this booking from this address",
            settings.lookup_max_failures_per_pair,
            lock=True,
        ),
    )


def shared_lookup_throttles(
    settings: Settings, reference: str, address: str | None, first_try: bool
) -> list[Throttle]:
    """The keys a stranger shares with the owner, only slowed (never for longer than the
    longest slow-down): the whole reference (guessers from many addresses), with two lanes
    as sign-in's account has (addresses trying it for the first time in the window, and
    those that tried before, so guessers from a few addresses do not queue the owner), and
    the whole address (one trying references for a common name; an airport's NAT)."""
    lane = "first" if first_try else "again"
    throttles = [
        Throttle(
            f"lookup-reference:{reference_digest(reference)}:{lane}",
            _lookup_rules(
                settings,
                "lookups-per-reference",
                "look-ups of this booking",
                settings.lookup_max_failures_per_reference,
                lock=False,
            ),
        )
    ]
    if address:
        throttles.append(
            Throttle(
                f"lookups-per-address:{address}",
                _lookup_rules(
                    settings,
                    "lookups-per-address",
                    "booking look-ups from this address",
                    settings.lookup_max_failures_per_address,
                    lock=False,
                ),
            )
        )
    return throttles


async def reserve(ctx: ServiceContext, throttles: list[Throttle]) -> list[int]:
    """Count the attempt against each throttle in order, or raise TooManyAttempts; the
    attempts each key has counted in its window, this one included.

    The first refusal stops the counting and uncounts the keys before it: an attempt that
    was never evaluated is held against no one (a guesser locked out of one pair does not
    slow the whole account, and an owner slowed by the account's count is not locked out).
    """
    if not throttles:
        return []
    if _countable_at_once(throttles):
        return await _reserve_at_once(ctx, throttles)
    now = ctx.clock()
    refusal: TooManyAttempts | None = None
    counted: list[int] = []
    async with ctx.uow(write=True) as uow:
        for done, throttle in enumerate(throttles):
            rules = throttle.rules
            counter = await uow.throttles.count(throttle.key, now, now - rules.window)
            counted.append(counter.attempts)
            # judged by the time the count came back: it may have waited for the row while
            # another process locked the key, and a lock is never longer than its delay
            verdict = judge(rules, counter, ctx.clock())
            if verdict.lock_until is not None:
                await uow.throttles.lock(throttle.key, verdict.lock_until)
            if verdict.refused_for is not None:
                refusal = TooManyAttempts(
                    retry_after_seconds(verdict.refused_for), rules.limit, rules.what
                )
                await give_back(uow, throttles[:done])
                break
        await uow.commit()
    if refusal is not None:
        raise refusal
    return counted


def _countable_at_once(throttles: list[Throttle]) -> bool:
    """Plain rates over one window, on distinct keys: counting never locks a key, so all
    of them can be counted in one statement, on its own, and a refusal only gives back."""
    rules = [throttle.rules for throttle in throttles]
    return (
        all(rule.pace is Pace.WINDOW for rule in rules)
        and len({rule.window for rule in rules}) == 1
        and len({throttle.key for throttle in throttles}) == len(throttles)
    )


async def _reserve_at_once(ctx: ServiceContext, throttles: list[Throttle]) -> list[int]:
    """`reserve` in one round trip (a hold's throttles, before every hold): the keys are
    counted at once, then judged in order; the first refusal gives the others back, so
    each ends as `reserve` leaves it (the refusing key counted, no other)."""
    now = ctx.clock()
    keys = [throttle.key for throttle in throttles]
    async with ctx.uow(write=True, single=True) as uow:
        counters = await uow.throttles.count_all(keys, now, now - throttles[0].rules.window)
        await uow.commit()
    judged_at = ctx.clock()
    for refusing, (throttle, counter) in enumerate(zip(throttles, counters, strict=True)):
        refused_for = judge(throttle.rules, counter, judged_at).refused_for
        if refused_for is not None:
            await give_back_now(ctx, throttles[:refusing] + throttles[refusing + 1 :])
            rules = throttle.rules
            raise TooManyAttempts(retry_after_seconds(refused_for), rules.limit, rules.what)
    return [counter.attempts for counter in counters]


async def reserve_lookup(
    ctx: ServiceContext, reference: str, address: str | None
) -> list[Throttle]:
    """Count a manage-booking look-up against its pair, then (in the pair's lane) against
    the shared keys; the keys counted, to give back if it matches. A refusal by a shared
    key gives the pair's count back: an attempt never heard is held against no one."""
    pair = lookup_pair(ctx.settings, reference, address)
    [pair_attempts] = await reserve(ctx, [pair])
    shared = shared_lookup_throttles(ctx.settings, reference, address, pair_attempts == 1)
    try:
        await reserve(ctx, shared)
    except DomainError:
        with contextlib.suppress(DomainError):
            await give_back_now(ctx, [pair])
        raise
    return [pair, *shared]


async def give_back(uow: UnitOfWork, throttles: list[Throttle]) -> None:
    """Uncount an attempt that went well (only failures should use up a limit), or one
    that another limit refused before it was heard."""
    for throttle in throttles:
        await uow.throttles.give_back(throttle.key)


async def give_back_now(ctx: ServiceContext, throttles: list[Throttle]) -> None:
    async with ctx.uow(write=True) as uow:
        await give_back(uow, throttles)
        await uow.commit()


async def forget_stale(ctx: ServiceContext) -> int:
    """Delete counters whose window and lock are over, and addresses no longer known (run
    by every app process now and then; without it a botnet's addresses stay forever)."""
    settings = ctx.settings
    longest = max(
        settings.login_window_seconds,
        settings.login_max_lockout_seconds,
        settings.signups_window_seconds,
        settings.holds_window_seconds,
        settings.discount_attempts_window_seconds,
        settings.lookup_window_seconds,
        settings.lookup_max_lockout_seconds,
    )
    now = ctx.clock()
    async with ctx.uow(write=True) as uow:
        forgotten = await uow.throttles.forget(
            now,
            counted_before=now - timedelta(seconds=longest),
            known_before=now - timedelta(days=settings.login_known_address_days),
            known_prefix=KNOWN_PREFIX,
        )
        await uow.commit()
    return forgotten
