"""Signed-in users kept in memory across processes (PostgreSQL LISTEN/NOTIFY, migration
0016): a bearer token costs one read a session, not one a request, and a sign-out, a
password change, a role change or an operator's SQL in one process ends what every other
process kept of it."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Iterable
from functools import partial

import asyncpg
import httpx
import pytest

from lastseat.adapters.db.change_feed import PING, PING_SECONDS, SESSION_TRIGGERS
from lastseat.adapters.db.database import engine_of
from lastseat.bootstrap import Services, build_services
from lastseat.domain.users import Role, User
from lastseat.entrypoints.http.app import create_app
from lastseat.stack.postgres import PostgresServer
from tests.support.asgi import bearer
from tests.support.blackhole import BlackholeProxy
from tests.support.clock import FakeClock
from tests.support.databases import (
    CHANGE_FEEDS,
    create_pg_database,
    drop_pg_database,
    make_settings,
)
from tests.support.flights import new_flight
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
        # as a logical replication apply worker or pg_restore --disable-triggers writes
        "BEGIN; SET LOCAL session_replication_role = replica;"
        " UPDATE tokens SET revoked_at = now(); COMMIT",
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
    database = a.settings.database_url.get_secret_value().rsplit("/", 1)[1]
    conn = await asyncpg.connect(postgres.dsn(database))
    try:
        ended_feeds = f"SELECT pg_terminate_backend(pid) FROM ({CHANGE_FEEDS}) AS feeds"
        assert len(await conn.fetch(ended_feeds, database, PING)) == 2
    finally:
        await conn.close()

    async def b_down() -> bool:
        return not b.catalog.seat_map_cache_live  # the one feed, for seat maps and sessions

    await eventually(b_down, "process B notices its feed is gone")
    assert await reads_of(b, [token, token]) == ([ann, ann], 2)

    async def b_back() -> bool:
        return b.catalog.seat_map_cache_live

    await eventually(b_back, "process B reconnects its feed")
    assert await reads_of(b, [token, token]) == ([ann, ann], 1)


async def test_a_table_rewritten_by_ddl_is_heard_of_within_a_ping(
    two_processes: tuple[Services, Services], postgres: PostgresServer
) -> None:
    """A rewrite changes rows without a row trigger: the feed sees the table's new file."""
    a, b = two_processes
    _, [token] = await signed_in(a, "root@example.com")
    await a.accounts.ensure_user("root@example.com", PASSWORD, Role.ADMIN)

    async def admin_in_b() -> bool:
        user = await b.accounts.authenticate(token)
        return user is not None and user.is_admin

    await eventually(admin_in_b, "process B sees the admin")
    await sql(postgres, a, "ALTER TABLE users ALTER COLUMN role TYPE varchar(16) USING 'customer'")

    async def demoted_in_b() -> bool:
        user = await b.accounts.authenticate(token)
        return user is not None and not user.is_admin

    await eventually(demoted_in_b, "process B sees the demotion", seconds=3 * PING_SECONDS)


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE tokens DISABLE TRIGGER tokens_notify_sessions",
        "ALTER TABLE tokens ENABLE TRIGGER tokens_notify_sessions",  # not for replicas
        # a migration that rebuilds the table: the triggers stay on the old one
        "BEGIN; CREATE TABLE tokens_new (LIKE tokens INCLUDING ALL);"
        " INSERT INTO tokens_new SELECT * FROM tokens;"
        " ALTER TABLE tokens RENAME TO tokens_old; ALTER TABLE tokens_new RENAME TO tokens;"
        " COMMIT",
    ],
)
async def test_without_every_session_trigger_nothing_is_kept(
    two_processes: tuple[Services, Services], postgres: PostgresServer, statement: str
) -> None:
    a, b = two_processes
    ann, [token] = await signed_in(a, "ann@example.com")
    assert await reads_of(b, [token, token]) == ([ann, ann], 1)
    await sql(postgres, a, statement)

    async def read_every_time() -> bool:
        return (await reads_of(b, [token, token]))[1] == 2

    await eventually(read_every_time, "process B stops keeping sessions", 3 * PING_SECONDS)
    await a.accounts.logout(token)
    assert await b.accounts.authenticate(token) is None  # at once: it was never kept


async def test_the_feed_checks_the_triggers_the_migration_makes(
    two_processes: tuple[Services, Services], postgres: PostgresServer
) -> None:
    a, _ = two_processes
    database = a.settings.database_url.get_secret_value().rsplit("/", 1)[1]
    conn = await asyncpg.connect(postgres.dsn(database))
    try:
        made = await conn.fetch(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE tgname LIKE '%_sessions'"
        )
    finally:
        await conn.close()
    assert sorted((name, enabled.decode()) for name, enabled in made) == sorted(
        (name, "A") for name in SESSION_TRIGGERS
    )
    # and the migration makes those and no other
    migration = importlib.import_module(
        "lastseat.adapters.db.migrations.versions.0016_session_change_notifications"
    )
    assert sorted(name for name, _, _ in migration.TRIGGERS) == sorted(SESSION_TRIGGERS)


async def test_a_feed_that_stops_answering_is_taken_for_lost(
    postgres: PostgresServer, clock: FakeClock
) -> None:
    """B's LISTEN connection goes through a proxy that goes silent: no FIN, no RST, no
    notification. B's next ping gets no answer, and B stops keeping sessions and maps."""
    name = await create_pg_database(postgres)
    async with BlackholeProxy(postgres.host, postgres.port) as proxy:
        via_proxy = f"postgresql+asyncpg://{postgres.user}@127.0.0.1:{proxy.port}/{name}"
        a = build_services(make_settings(postgres.sqlalchemy_url(name)), clock)
        b = build_services(make_settings(via_proxy), clock)
        await a.database.upgrade()
        feeds = [asyncio.create_task(s.change_feed.run()) for s in (a, b) if s.change_feed]
        try:
            for services in (a, b):
                await eventually(partial(_live, services), "change feed connected")
            ann, [token] = await signed_in(a, "ann@example.com")
            assert await reads_of(b, [token, token]) == ([ann, ann], 1)
            conn = await asyncpg.connect(postgres.dsn(name))
            try:
                listeners = await conn.fetch(CHANGE_FEEDS, name, PING)
            finally:
                await conn.close()
            for row in listeners:
                proxy.freeze(row["client_port"])  # A's goes straight: not in the proxy
            await a.accounts.logout(token)
            await ended(b, token, "process B stops serving the signed-out session")
            assert not b.catalog.seat_map_cache_live
        finally:
            for task in feeds:
                task.cancel()
            await asyncio.gather(*feeds, return_exceptions=True)
            for services in (a, b):
                await services.close()
            await drop_pg_database(postgres, name)


async def _live(services: Services) -> bool:
    return services.catalog.seat_map_cache_live


async def test_an_admins_request_reads_the_session_afresh_in_every_process(
    two_processes: tuple[Services, Services], clock: FakeClock
) -> None:
    """Taking the admin role away, or ending the session, through one server holds for the
    admin's next request at any server at once: not when the notification arrives."""
    a, b = two_processes
    flight = await a.catalog.create_flight(new_flight(clock()))
    await a.accounts.ensure_user("root@example.com", PASSWORD, Role.ADMIN)
    token = (await a.accounts.login("root@example.com", PASSWORD))[1]
    manifest = f"/api/v1/admin/flights/{flight.id}/manifest"
    transport = httpx.ASGITransport(app=create_app(b.settings, b))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as api:
        assert (await api.get(manifest, headers=bearer(token))).status_code == 200
        assert await b.accounts.authenticate(token) is not None  # kept in B's memory
        await a.accounts.ensure_user("root@example.com", PASSWORD, Role.CUSTOMER)
        assert (await api.get(manifest, headers=bearer(token))).status_code == 403
        await a.accounts.ensure_user("root@example.com", PASSWORD, Role.ADMIN)
        assert (await api.get(manifest, headers=bearer(token))).status_code == 200
        await a.accounts.logout(token)
        assert (await api.get(manifest, headers=bearer(token))).status_code == 401
