"""Engine construction: one pooled async engine per process, sized by settings."""

from __future__ import annotations

import time
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from lastseat.config import Settings
from lastseat.timing import add_db_time

# Execution option that marks a connection whose transaction will write. On SQLite it
# takes the write lock at BEGIN, so two writers queue instead of failing on lock upgrade.
WRITE_OPTION = "lastseat_write"


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def create_engine(settings: Settings, writer: bool = True) -> AsyncEngine:
    """`writer`: its connections may write (a replica's never do)."""
    url = settings.database_url.get_secret_value()
    if settings.is_sqlite:
        engine = _sqlite_engine(url, settings)
    else:
        engine = _pg_engine(url, settings, writer)
    _time_statements(engine)
    return engine


def _time_statements(engine: AsyncEngine) -> None:
    """Each statement's time goes to the current request's tally (Server-Timing: db)."""

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def started(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        conn.info["lastseat_started"] = time.perf_counter()

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def ended(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        started_at = conn.info.pop("lastseat_started", None)
        if started_at is not None:
            add_db_time(time.perf_counter() - started_at)


# Held by every connection of the pool for its whole life, from before its first
# transaction: it marks the sessions that may write seat events, whose transactions alone
# hold back the line readers take events below (migration 0014).
REGISTER_EVENT_WRITER = "SELECT lastseat_register_event_writer()"


def _pg_engine(url: str, settings: Settings, writer: bool) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_max_overflow,
        pool_timeout=settings.pool_timeout_seconds,
        pool_pre_ping=False,
        pool_recycle=3600,
        hide_parameters=True,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        connect_args={
            "timeout": settings.db_connect_timeout_seconds,
            "command_timeout": settings.db_command_timeout_seconds,
            "server_settings": {
                "lock_timeout": _milliseconds(settings.db_lock_timeout_seconds),
                "statement_timeout": _milliseconds(settings.db_statement_timeout_seconds),
            },
        },
    )

    if writer:

        @event.listens_for(engine.sync_engine, "connect")
        def _register(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute(REGISTER_EVENT_WRITER)
            except Exception as missing:  # not migrated yet (`lastseat db migrate` is next)
                if "lastseat_register_event_writer" not in str(missing):
                    raise
                dbapi_connection.rollback()
                return
            finally:
                cursor.close()
            # The driver's adapter began a transaction for it: commit it (the session's
            # setting is kept only so), else a LISTEN here would never hear a notification.
            dbapi_connection.commit()

    return engine


def _milliseconds(seconds: float) -> str:
    return str(max(1, round(seconds * 1000)))


def _sqlite_engine(url: str, settings: Settings) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_max_overflow,
        pool_timeout=settings.pool_timeout_seconds,
        connect_args={"timeout": settings.sqlite_busy_timeout_seconds},
        hide_parameters=True,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
    )
    busy_ms = int(settings.sqlite_busy_timeout_seconds * 1000)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA foreign_keys=ON",
            f"PRAGMA busy_timeout={busy_ms}",
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def pool_status(engine: AsyncEngine) -> dict[str, int]:
    pool: Any = engine.sync_engine.pool
    checked_out = pool.checkedout() if hasattr(pool, "checkedout") else 0
    size = pool.size() if hasattr(pool, "size") else 0
    return {"size": size, "checked_out": checked_out}
