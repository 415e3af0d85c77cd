"""Databases for tests: settings over a URL, a fresh PostgreSQL database, a migrated one."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from lastseat.adapters.db import migrate
from lastseat.adapters.db.engine import create_engine
from lastseat.bootstrap import build_services
from lastseat.config import Settings
from lastseat.stack.postgres import PostgresServer

FAST_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_kib": 8192, "argon2_parallelism": 1}


async def create_pg_database(server: PostgresServer) -> str:
    name = f"lastseat_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(server.dsn())
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def drop_pg_database(server: PostgresServer, name: str) -> None:
    conn = await asyncpg.connect(server.dsn())
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def fresh_pg_database(server: PostgresServer) -> AsyncIterator[str]:
    """The SQLAlchemy URL of a new, empty PostgreSQL database, dropped on the way out."""
    name = await create_pg_database(server)
    try:
        yield server.sqlalchemy_url(name)
    finally:
        await drop_pg_database(server, name)


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "log_level": "warning",
        **FAST_ARGON2,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def migrated_engine(database_url: str, **overrides: object) -> AsyncIterator[AsyncEngine]:
    """lastseat's own engine on `database_url`, migrated to the latest schema, disposed of on
    the way out (for tests of the adapters below the services)."""
    engine = create_engine(make_settings(database_url, **overrides))
    await migrate.upgrade(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


async def migrated(url: str) -> str:
    """The database at `url`, migrated to the latest schema (for tests that start servers)."""
    services = build_services(make_settings(url))
    try:
        await services.database.upgrade()
    finally:
        await services.close()
    return url


# The change feeds' connections (adapters/db/change_feed.py), by the last statement each
# sent: its LISTEN, or its ping since. $1 is the database's name, $2 change_feed.PING.
CHANGE_FEEDS = (
    "SELECT pid, client_port FROM pg_stat_activity WHERE datname = $1"
    " AND (query LIKE 'LISTEN%' OR query = $2)"
)
