"""Sign-in, password-change and sign-up throttles on SQLite and PostgreSQL: each attempt is
counted before the password is checked, so concurrency cannot slip past a limit, and an
attacker elsewhere cannot lock the owner out (OWASP Authentication Cheat Sheet)."""

from __future__ import annotations

import asyncio

import pytest

from lastseat.bootstrap import Services
from lastseat.domain.errors import AuthenticationFailed, DomainError, TooManyAttempts
from lastseat.domain.users import User
from tests.support.clock import FakeClock

EMAIL, PASSWORD = "ann@example.com", "ann-password-1"
ATTACKER, OWNER = "203.0.113.9", "198.51.100.20"


async def _attempt(services: Services, password: str, address: str) -> str:
    """The outcome's name: "ok", or the error's code."""
    try:
        await services.accounts.login(EMAIL, password, address)
    except DomainError as refused:
        return refused.code
    return "ok"


async def test_fifty_concurrent_guesses_get_at_most_the_limit_checked(
    services: Services,
) -> None:
    await services.accounts.signup(EMAIL, PASSWORD)
    limit = services.settings.login_max_failures_per_pair
    guesses = [f"guess-password-{i}" for i in range(50)]
    guesses[29] = PASSWORD  # the right one, among the wrong ones
    outcomes = await asyncio.gather(*(_attempt(services, g, ATTACKER) for g in guesses))
    checked = [o for o in outcomes if o != "too-many-attempts"]
    assert len(checked) <= limit, outcomes
    assert outcomes.count("too-many-attempts") >= 50 - limit
    # from the attacker's address even the right password now waits ...
    with pytest.raises(TooManyAttempts) as locked:
        await services.accounts.login(EMAIL, PASSWORD, ATTACKER)
    assert locked.value.limit == "sign-in" and locked.value.retry_after >= 1
    # ... but the owner, at their own address, is not locked out by it
    user, token = await services.accounts.login(EMAIL, PASSWORD, OWNER)
    assert user.email == EMAIL and token


async def test_a_pair_lock_doubles_then_expires_and_success_starts_afresh(
    services: Services, clock: FakeClock
) -> None:
    await services.accounts.signup(EMAIL, PASSWORD)
    settings = services.settings
    lockout = settings.login_lockout_seconds
    for _ in range(settings.login_max_failures_per_pair):
        with pytest.raises(AuthenticationFailed):
            await services.accounts.login(EMAIL, "wrong-password", ATTACKER)
    with pytest.raises(TooManyAttempts) as first:
        await services.accounts.login(EMAIL, "wrong-password", ATTACKER)
    assert first.value.retry_after == lockout
    clock.advance(seconds=lockout)
    with pytest.raises(AuthenticationFailed):  # once the lock is over, one attempt is heard
        await services.accounts.login(EMAIL, "wrong-password", ATTACKER)
    with pytest.raises(TooManyAttempts) as second:  # and its failure locks twice as long
        await services.accounts.login(EMAIL, PASSWORD, ATTACKER)
    assert second.value.retry_after == 2 * lockout
    clock.advance(seconds=2 * lockout)
    await services.accounts.login(EMAIL, PASSWORD, ATTACKER)
    # a success clears the pair: the failures start again from the first
    for _ in range(settings.login_max_failures_per_pair):
        with pytest.raises(AuthenticationFailed):
            await services.accounts.login(EMAIL, "wrong-password", ATTACKER)


@pytest.mark.settings(login_max_failures_per_account=6, login_max_failures_per_pair=3)
async def test_many_addresses_slow_the_account_down_but_never_lock_its_owner_out(
    services: Services, clock: FakeClock
) -> None:
    await services.accounts.signup(EMAIL, PASSWORD)
    await services.accounts.login(EMAIL, PASSWORD, OWNER)  # the owner's usual address
    # a distributed guesser: two guesses from each of ten addresses
    outcomes = [await _attempt(services, f"guess-{n}", f"192.0.2.{n // 2}") for n in range(20)]
    # from the account's limit on the guesses are spaced out, not shut out
    assert outcomes[:6] == ["authentication-failed"] * 6
    assert "too-many-attempts" in outcomes[6:]
    # the owner at a known address is not slowed by the account's count ...
    await services.accounts.login(EMAIL, PASSWORD, OWNER)
    # ... and at a new one waits seconds, not a lockout
    with pytest.raises(TooManyAttempts) as slowed:
        await services.accounts.login(EMAIL, PASSWORD, "198.51.100.99")
    assert slowed.value.limit == "sign-in-account"
    assert slowed.value.retry_after <= services.settings.login_max_slowdown_seconds
    clock.advance(seconds=slowed.value.retry_after)
    await services.accounts.login(EMAIL, PASSWORD, "198.51.100.99")


@pytest.mark.settings(login_max_failures_per_address=4)
async def test_one_address_guessing_many_accounts_is_slowed_not_locked(
    services: Services, clock: FakeClock
) -> None:
    await services.accounts.signup(EMAIL, PASSWORD)
    for n in range(4):
        with pytest.raises(AuthenticationFailed):
            await services.accounts.login(f"someone-{n}@example.com", "guess-password", ATTACKER)
    # the address's fourth failure spaces the next attempt by the short slow-down delay
    with pytest.raises(TooManyAttempts) as slowed:
        await services.accounts.login(EMAIL, PASSWORD, ATTACKER)
    assert slowed.value.limit == "sign-in-address"
    assert slowed.value.retry_after <= services.settings.login_slowdown_seconds
    clock.advance(seconds=slowed.value.retry_after)
    await services.accounts.login(EMAIL, PASSWORD, ATTACKER)  # someone behind the same NAT


async def test_changing_the_password_checks_the_current_one_under_the_same_throttle(
    services: Services,
) -> None:
    user = await services.accounts.signup(EMAIL, PASSWORD)
    limit = services.settings.login_max_failures_per_pair

    async def change(current: str) -> str:
        try:
            await services.accounts.change_password(user, current, "new-password-9", ATTACKER)
        except DomainError as refused:
            return refused.code
        return "ok"

    outcomes = await asyncio.gather(*(change(f"guess-password-{i}") for i in range(20)))
    assert outcomes.count("authentication-failed") <= limit
    assert outcomes.count("too-many-attempts") >= 20 - limit
    assert await change(PASSWORD) == "too-many-attempts"
    # nothing changed: the old password still signs in elsewhere
    await services.accounts.login(EMAIL, PASSWORD, OWNER)


@pytest.mark.settings(signups_per_address=3)
async def test_sign_ups_from_one_address_are_limited_before_any_hash_is_made(
    services: Services,
) -> None:
    async def sign_up(n: int, address: str) -> User | str:
        try:
            return await services.accounts.signup(
                f"new-{n}@example.com", "a-long-password", address=address
            )
        except TooManyAttempts as refused:
            assert refused.limit == "signups-per-address" and refused.retry_after > 0
            return refused.code

    outcomes = await asyncio.gather(*(sign_up(n, ATTACKER) for n in range(12)))
    assert sum(isinstance(o, User) for o in outcomes) == 3
    assert outcomes.count("too-many-attempts") == 9
    assert isinstance(await sign_up(99, OWNER), User)  # another address is not affected


async def test_spent_counters_are_forgotten_and_known_addresses_after_their_days(
    services: Services, clock: FakeClock
) -> None:
    await services.accounts.signup(EMAIL, PASSWORD)
    await services.accounts.login(EMAIL, PASSWORD, OWNER)  # remembered as a known address
    for n in range(3):
        with pytest.raises(AuthenticationFailed):
            await services.accounts.login(EMAIL, f"guess-password-{n}", f"192.0.2.{n}")
    assert await services.accounts.forget_stale_throttles() == 0  # all still in their window
    clock.advance(days=1)
    # three pairs, the account's counter and four addresses' counters: all spent
    assert await services.accounts.forget_stale_throttles() == 8
    clock.advance(days=services.settings.login_known_address_days)
    assert await services.accounts.forget_stale_throttles() == 1  # the owner's known address


@pytest.mark.settings(login_max_failures_per_address=5)
async def test_one_guesser_behind_a_nat_does_not_shut_out_its_known_users(
    services: Services, clock: FakeClock
) -> None:
    await services.accounts.signup(EMAIL, PASSWORD)
    await services.accounts.login(EMAIL, PASSWORD, ATTACKER)  # ann uses this NAT every day
    for n in range(40):  # someone else behind it guesses, without pause
        try:
            await services.accounts.login(f"made-up-{n}@example.com", "guess-password", ATTACKER)
        except (AuthenticationFailed, TooManyAttempts):
            pass
    # ann, known at this address, is not slowed by what others there did
    for _ in range(3):
        await services.accounts.login(EMAIL, PASSWORD, ATTACKER)
    # someone new behind the NAT is: spaced by seconds (credential stuffing from one address)
    await services.accounts.signup("new@example.com", "new-password-1")
    with pytest.raises(TooManyAttempts) as slowed:
        await services.accounts.login("new@example.com", "new-password-1", ATTACKER)
    assert slowed.value.limit == "sign-in-address"


@pytest.mark.settings(login_max_failures_per_account=12)
async def test_guessers_at_a_few_addresses_do_not_queue_the_owner_at_a_new_one(
    services: Services,
) -> None:
    await services.accounts.signup(EMAIL, PASSWORD)
    attackers = [f"192.0.2.{n}" for n in range(8)]
    # guessing round after round from eight addresses: the account is slowed for them
    outcomes = [
        await _attempt(services, f"guess-{round_}-{n}", address)
        for round_ in range(4)
        for n, address in enumerate(attackers)
    ]
    assert outcomes.count("too-many-attempts") >= 10
    # the owner, on a phone's new address, is heard at once: it never tried this account
    for n in range(3):
        user, _ = await services.accounts.login(EMAIL, PASSWORD, f"198.51.100.{50 + n}")
        assert user.email == EMAIL
