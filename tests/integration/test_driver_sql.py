"""The hot path's statements sent by asyncpg itself (adapters/db/driver.py): inside the
unit of work's transaction, and a connection thrown away when a failure the server did not
report leaves it in a state nobody knows."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from lastseat.adapters.db.driver import Driver
from lastseat.adapters.db.unit_of_work import POSTGRESQL, SqlUnitOfWorkFactory
from lastseat.domain.errors import DatabaseUnavailable
from lastseat.domain.users import Role, User
from tests.support.databases import migrated_engine

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    async with migrated_engine(database_url, pool_size=2) as built:
        yield built


async def test_driver_statements_are_in_the_unit_of_works_transaction(
    engine: AsyncEngine,
) -> None:
    """The hot path's statements go by asyncpg itself (adapters/db/driver.py), inside the
    transaction the unit of work began: a transaction lock they take is held until that
    transaction ends, and what they write goes when it rolls back."""
    uows = SqlUnitOfWorkFactory(engine, POSTGRESQL)
    user = User(uuid.uuid4(), f"{uuid.uuid4().hex[:8]}@example.com", Role.CUSTOMER)
    key = f"driver-{user.id}"
    locks = (
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid IN (7346, 7347)"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    rows = "SELECT count(*) FROM throttles WHERE key = $1"

    async def seen_from_outside(sql: str, *args: Any) -> int:
        async with engine.connect() as other:
            return int((await other.exec_driver_sql(sql, args)).scalar_one())

    async with uows(write=True) as uow:
        await uow.holds.serialize(user.id, "192.0.2.7", 1)  # the transaction's first statement
        await uow.throttles.count_all([key], NOW, NOW - timedelta(seconds=30))
        assert await seen_from_outside(locks) == 2  # the customer's and the address's
        assert await seen_from_outside(rows, key) == 0  # not committed
    assert await seen_from_outside(locks) == 0
    assert await seen_from_outside(rows, key) == 0  # rolled back with the unit of work
    async with uows(write=True) as uow:
        await uow.throttles.count_all([key], NOW, NOW - timedelta(seconds=30))
        await uow.commit()
    assert await seen_from_outside(rows, key) == 1


async def test_a_statement_cancelled_midway_throws_its_connection_away(
    engine: AsyncEngine,
) -> None:
    """A cancelled request (its client gone, a deadline) leaves the connection mid-statement:
    it is invalidated, never pooled again, and the next unit of work has a sound one."""
    async with engine.connect() as conn:
        await conn.begin()
        sleeping = asyncio.create_task(Driver(conn).rows("SELECT pg_sleep(30)"))
        await asyncio.sleep(0.3)
        sleeping.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sleeping
        assert conn.invalidated
        await conn.rollback()
    uows = SqlUnitOfWorkFactory(engine, POSTGRESQL)
    async with uows(write=True) as uow:
        assert await uow.tokens.session_for("no such token", NOW) is None
        await uow.commit()


async def test_a_lost_connection_has_the_pool_connect_afresh(
    engine: AsyncEngine, database_url: str
) -> None:
    """After a PostgreSQL restart every pooled connection is dead: the first statement to
    meet one is a 503, and the pool connects afresh for the rest (not one 503 each)."""
    uows = SqlUnitOfWorkFactory(engine, POSTGRESQL)

    async def read() -> None:
        async with uows() as uow:
            assert await uow.tokens.session_for("no such token", NOW) is None
            await asyncio.sleep(0.1)  # both pooled connections out at once

    await asyncio.gather(read(), read())
    assert engine.pool.checkedin() == 2  # type: ignore[attr-defined]
    outside = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        ended = await outside.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert len(ended) >= 2
    finally:
        await outside.close()
    await asyncio.sleep(0.2)
    with pytest.raises(DatabaseUnavailable):
        await read()
    for _ in range(3):
        await read()
