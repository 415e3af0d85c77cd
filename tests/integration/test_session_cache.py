"""Signed-in users kept in memory across processes (PostgreSQL LISTEN/NOTIFY, migration
0016): a bearer token costs one read a session, not one a request, and a sign-out, a
password change, a role change or an operator's SQL in one process ends what every other
process kept of it."""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg
import pytest

from lastseat.adapters.db.database import engine_of
from lastseat.bootstrap import Services
from lastseat.domain.users import Role, User
from lastseat.stack.postgres import PostgresServer
from tests.support.clock import FakeClock
from tests.support.round_trips import counting
from tests.support.waiting import eventually

PASSWORD = "a-long-password-1"


async def signed_in(services: Services, email: str, sessions: int = 1) -> tuple[User, list[str]]:
    user = await services.accounts.signup(email, PASSWORD)
    tokens = [(await services.accounts.login(email, PASSWORD))[1] for _ in range(sessions)]
    return user, tokens


async def reads_of(services: Services, tokens: Iterable[str]) -> tuple[list[User | None], int]:
    """Who each token signs in at `services`, and the statements that took."""
    with counting(engine_of(services.database)) as trips:
        users = [await services.accounts.authenticate(token) for token in tokens]
    return users, len(trips.statements())


async def ended(services: Services, token: str, what: str) -> None:
    async def gone() -> bool:
        return await services.accounts.authenticate(token) is None

    await eventually(gone, what)


async def sql(postgres: PostgresServer, services: Services, statement: str) -> None:
    """As an operator would, outside the service."""
    database = services.settings.database_url.get_secret_value().rsplit("/", 1)[1]
    conn = await asyncpg.connect(postgres.dsn(database))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def test_a_session_is_read_once_then_served_from_memory(
    two_processes: tuple[Services, Services],
) -> None:
    a, b = two_processes
    ann, [token] = await signed_in(a, "ann@example.com")
    assert await reads_of(b, [token]) == ([ann], 1)
    assert await reads_of(b, [token, token, token]) == ([ann, ann, ann], 0)
    # a token that signs no one in is read every time: nothing is kept of it
    assert await reads_of(b, ["no-such-token", "no-such-token"]) == ([None, None], 2)


async def test_a_sign_out_in_one_process_ends_the_session_in_every_process(
    two_processes: tuple[Services, Services],
) -> None:
    a, b = two_processes
    ann, [token, other] = await signed_in(a, "ann@example.com", sessions=2)
    for services in (a, b):
        assert await reads_of(services, [token, other]) == ([ann, ann], 2)
    await a.accounts.logout(token)
    assert await a.accounts.authenticate(token) is None  # here at once, not when heard of
    await ended(b, token, "process B hears of the sign-out made through process A")
    # the same user's other session is still live, and read again (its user changed)
    assert await reads_of(b, [other, other]) == ([ann, ann], 1)


async def test_a_password_change_ends_the_users_sessions_everywhere_and_no_one_elses(
    two_processes: tuple[Services, Services],
) -> None:
    a, b = two_processes
    ann, ann_tokens = await signed_in(a, "ann@example.com", sessions=2)
    bob, [bob_token] = await signed_in(a, "bob@example.com")
    assert await reads_of(b, [*ann_tokens, bob_token]) == ([ann, ann, bob], 3)
    await a.accounts.change_password(ann, PASSWORD, "another-long-password-2")
    for services in (a, b):
        for token in ann_tokens:
            await ended(services, token, "every session of Ann ends in both processes")
    assert await reads_of(b, [bob_token]) == ([bob], 0)  # Bob's is still kept


async def test_a_role_change_is_seen_in_every_process(
    two_processes: tuple[Services, Services],
) -> None:
    a, b = two_processes
    ann, [token] = await signed_in(a, "ann@example.com")
    assert await b.accounts.authenticate(token) == ann
    await a.accounts.ensure_user("ann@example.com", PASSWORD, Role.ADMIN)  # the operator CLI's

    async def admin_in_b() -> bool:
        user = await b.accounts.authenticate(token)
        return user is not None and user.is_admin

    await eventually(admin_in_b, "process B sees Ann's new role")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE tokens SET revoked_at = now()",
        "UPDATE tokens SET expires_at = created_at",  # (the services' clock is a fake one)
        "DELETE FROM tokens",
        "TRUNCATE tokens",
    ],
)
async def test_an_operators_sql_ends_the_sessions_it_ends_in_the_database(
    two_processes: tuple[Services, Services], postgres: PostgresServer, statement: str
) -> None:
    a, b = two_processes
    ann, [token] = await signed_in(a, "ann@example.com")
    for services in (a, b):
        assert await reads_of(services, [token, token]) == ([ann, ann], 1)
    await sql(postgres, a, statement)
    for services in (a, b):
        await ended(services, token, f"both processes hear of {statement!r}")


async def test_an_expired_token_is_not_served_from_memory(
    two_processes: tuple[Services, Services], clock: FakeClock
) -> None:
    a, b = two_processes
    ann, [token] = await signed_in(a, "ann@example.com")
    assert await reads_of(b, [token, token]) == ([ann, ann], 1)
    clock.advance(seconds=a.settings.token_ttl_seconds)
    assert await reads_of(b, [token]) == ([None], 1)


async def test_without_the_feed_every_request_reads_its_token_until_the_feed_is_back(
    two_processes: tuple[Services, Services], postgres: PostgresServer
) -> None:
    a, b = two_processes
    ann, [token] = await signed_in(a, "ann@example.com")
    assert await reads_of(b, [token, token]) == ([ann, ann], 1)
    await sql(
        postgres,
        a,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE query LIKE 'LISTEN%' AND datname = current_database()",
    )

    async def b_down() -> bool:
        return not b.catalog.seat_map_cache_live  # the one feed, for seat maps and sessions

    await eventually(b_down, "process B notices its feed is gone")
    assert await reads_of(b, [token, token]) == ([ann, ann], 2)

    async def b_back() -> bool:
        return b.catalog.seat_map_cache_live

    await eventually(b_back, "process B reconnects its feed")
    assert await reads_of(b, [token, token]) == ([ann, ann], 1)
