"""What operations ask of the database adapter: readiness, and driver errors as domain ones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lastseat.adapters.db.database import SqlDatabase
from lastseat.config import Settings
from lastseat.domain.errors import DatabaseUnavailable, ValueRefused
from lastseat.services.samples import standard_layout


def _settings(url: str) -> Settings:
    return Settings(
        _env_file=None, database_url=url, log_level="warning", db_connect_timeout_seconds=1
    )


async def test_ready_once_reachable_and_migrated(database_url: str) -> None:
    database = SqlDatabase(_settings(database_url))
    try:
        before = await database.readiness()
        assert before.reachable and before.schema is None and not before.ready
        assert await database.upgrade() == before.wanted
        after = await database.readiness()
        assert after.ready and after.schema == after.wanted
        assert database.pool().checked_out == 0
    finally:
        await database.close()


async def test_an_unreachable_database_is_not_ready() -> None:
    database = SqlDatabase(_settings("postgresql+asyncpg://postgres@127.0.0.1:9/none"))
    try:
        assert not (await database.readiness()).reachable
        with pytest.raises(DatabaseUnavailable):
            async with database.units_of_work() as uow:
                await uow.flights.get(1)
    finally:
        await database.close()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_value_the_database_refuses_is_the_clients_to_fix(database_url: str) -> None:
    database = SqlDatabase(_settings(database_url))
    try:
        await database.upgrade()
        departs = datetime(2031, 1, 1, tzinfo=UTC)
        with pytest.raises(ValueRefused):  # codes are at most 8 characters long
            async with database.units_of_work(write=True) as uow:
                await uow.flights.add("LS" + "1" * 20, "LHR", "JFK", departs, standard_layout())
    finally:
        await database.close()
