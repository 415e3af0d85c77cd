"""Seat events on PostgreSQL are appended without a per-flight lock, so transactions commit
out of id order; a reader of "id > last" must still never skip an event that commits
later with a smaller id (migration 0013), nor read one twice, nor wait for a transaction
that is not lastseat's (0014)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import asyncpg
import pytest

from lastseat.adapters.db.database import SqlDatabase
from lastseat.adapters.db.engine import REGISTER_EVENT_WRITER
from lastseat.adapters.db.unit_of_work import SqlUnitOfWorkFactory
from lastseat.bootstrap import Services, build_services
from lastseat.domain.events import SeatEvent
from lastseat.domain.flights import SeatStatus
from lastseat.stack.postgres import PostgresServer
from tests.support.clock import FakeClock
from tests.support.databases import create_pg_database, drop_pg_database, make_settings
from tests.support.flights import new_flight
from tests.support.waiting import eventually

WRITERS = 40
LATE = 30.0  # seconds an event may be held back by a transaction open elsewhere


@pytest.fixture
async def on_postgres(postgres: PostgresServer, clock: FakeClock) -> AsyncIterator[Services]:
    name = await create_pg_database(postgres)
    services = build_services(make_settings(postgres.sqlalchemy_url(name)), clock)
    await services.database.upgrade()
    try:
        yield services
    finally:
        await services.close()
        await drop_pg_database(postgres, name)


def _held(flight_id: int, seat: str) -> SeatEvent:
    return SeatEvent(flight_id, seat, SeatStatus.HELD)


def _uows(services: Services) -> SqlUnitOfWorkFactory:
    assert isinstance(services.database, SqlDatabase)
    return services.database.units_of_work


async def _read(services: Services, flight_id: int, after: int) -> list[tuple[int, str, str]]:
    async with _uows(services)() as uow:
        return await uow.events.for_flight(flight_id, after, 1_000)


async def test_a_later_commit_with_a_smaller_id_is_not_skipped(
    on_postgres: Services, clock: FakeClock
) -> None:
    services = on_postgres
    flight = await services.catalog.create_flight(new_flight(clock()))
    async with _uows(services)(write=True) as first:
        await first.events.append([_held(flight.id, "1A")], clock())  # the smaller id
        async with _uows(services)(write=True) as second:
            await second.events.append([_held(flight.id, "2B")], clock())
            await second.commit()
        # 2B is committed and visible, but 1A may still come before it: nothing is read.
        assert await _read(services, flight.id, 0) == []
        async with _uows(services)() as uow:
            position = await uow.events.latest(flight.id)
        assert position == 0
        await first.commit()
    rows: list[tuple[int, str, str]] = []

    async def both_read() -> bool:
        # (late, never lost: another session's open transaction on the shared server also
        # holds the line back for as long as it stays open)
        rows[:] = await _read(services, flight.id, position)
        return len(rows) == 2

    await eventually(both_read, "both events read", seconds=LATE)
    assert [seat for _, seat, _ in rows] == ["1A", "2B"]
    assert rows[0][0] < rows[1][0]
    async with _uows(services)() as uow:
        assert await uow.events.latest(flight.id) == rows[1][0]


async def test_a_reader_tailing_concurrent_writers_misses_and_repeats_nothing(
    on_postgres: Services, clock: FakeClock
) -> None:
    """Writers that commit (or roll back) after random delays, overlapping, while a reader
    tails "id > last": it reads each committed event once, in id order."""
    services = on_postgres
    flight = await services.catalog.create_flight(new_flight(clock()))
    rng = random.Random(18)
    seats = [f"{row}{letter}" for row in range(1, 31) for letter in "ABCDEF"]

    async def writer(number: int) -> None:
        await asyncio.sleep(rng.random() * 0.05)
        async with _uows(services)(write=True) as uow:
            names = seats[number * 3 : number * 3 + 3]
            await uow.events.append([_held(flight.id, seat) for seat in names], clock())
            await asyncio.sleep(rng.random() * 0.05)  # holding its ids, uncommitted
            if number % 7 != 0:  # some roll back: their ids are never read
                await uow.commit()

    writers = asyncio.gather(*(writer(n) for n in range(WRITERS)))
    read: list[tuple[int, str, str]] = []
    for _ in range(2_000):  # bounded: the writers are done within a second or two
        read += await _read(services, flight.id, read[-1][0] if read else 0)
        if writers.done():
            break
        await asyncio.sleep(0.005)
    await writers
    committed = {seats[n * 3 + i] for n in range(WRITERS) if n % 7 != 0 for i in range(3)}

    async def all_read() -> bool:
        nonlocal read
        read += await _read(services, flight.id, read[-1][0] if read else 0)
        return len(read) >= len(committed)

    await eventually(all_read, "every committed event read", seconds=LATE)
    ids = [event_id for event_id, _, _ in read]
    assert ids == sorted(set(ids))  # in order, none twice
    assert sorted(seat for _, seat, _ in read) == sorted(committed)


@pytest.mark.parametrize("where", ["another database", "this database, outside lastseat"])
async def test_a_transaction_left_open_by_another_session_holds_back_no_event(
    on_postgres: Services, postgres: PostgresServer, clock: FakeClock, where: str
) -> None:
    """An operator's psql, a report, another application's leaked transaction: a session
    that is not lastseat's writes no seat event, so an open transaction of its, however
    old, does not keep the live maps from events committed after it began (0014)."""
    services = on_postgres
    flight = await services.catalog.create_flight(new_flight(clock()))
    database = "postgres" if where == "another database" else _database_of(services)
    idle = await asyncpg.connect(postgres.dsn(database))
    try:
        async with idle.transaction():
            await idle.fetchval("SELECT pg_current_xact_id()")  # an id older than the event's
            async with _uows(services)(write=True) as uow:
                await uow.events.append([_held(flight.id, "3C")], clock())
                await uow.commit()
            # read at once, with the other transaction still open: the event is settled
            rows = await _read(services, flight.id, 0)
            async with _uows(services)() as uow:
                latest = await uow.events.latest(flight.id)
    finally:
        await idle.close()
    assert [seat for _, seat, _ in rows] == ["3C"]
    assert latest == rows[0][0]


def _database_of(services: Services) -> str:
    return services.settings.database_url.get_secret_value().rsplit("/", 1)[1].split("?")[0]


async def test_a_session_without_the_writers_lock_may_not_write_an_event(
    on_postgres: Services, postgres: PostgresServer, clock: FakeClock
) -> None:
    """Its transaction would be invisible to the line readers take (0014): refused, as is
    one that took the lock after its transaction had an id (a reader may be past it)."""
    flight = await on_postgres.catalog.create_flight(new_flight(clock()))
    insert = (
        "INSERT INTO events (flight_id, seat, status, created_at) VALUES ($1, '1A', 'held', now())"
    )
    outsider = await asyncpg.connect(postgres.dsn(_database_of(on_postgres)))
    try:
        with pytest.raises(asyncpg.RaiseError, match="registered as an event writer"):
            await outsider.execute(insert, flight.id)
        # the lock alone, or registering once the transaction has an id, is not enough
        await outsider.execute("SELECT pg_advisory_lock_shared(7348, 0)")
        with pytest.raises(asyncpg.RaiseError, match="registered as an event writer"):
            await outsider.execute(insert, flight.id)
        async with outsider.transaction():
            await outsider.fetchval("SELECT pg_current_xact_id()")
            with pytest.raises(asyncpg.RaiseError, match="before the transaction writes"):
                await outsider.execute(REGISTER_EVENT_WRITER)
        await outsider.execute(REGISTER_EVENT_WRITER)
        await outsider.execute(insert, flight.id)
    finally:
        await outsider.close()
    assert [seat for _, seat, _ in await _read(on_postgres, flight.id, 0)] == ["1A"]
