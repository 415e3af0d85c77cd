"""Seat changes written straight into the events outbox, as many writers' would be: the
bursts that fill a watcher's stream faster than it reads (the slow-consumer tests)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import create_async_engine

from lastseat.adapters.db import tables
from lastseat.adapters.db.engine import REGISTER_EVENT_WRITER

# Socket buffers on loopback hold a few MB (some 40,000 changes), so bursts go straight
# into the outbox; the loop is bounded.
BURST = 10_000
MAX_BURSTS = 20
# A gRPC client that stops reading: its window for the stream (no growing it by probing)
# fills at once, some 800 changes; past that a server's write on the stream blocks.
STALLED_GRPC_CHANNEL = (("grpc.http2.lookahead_bytes", 16_384), ("grpc.http2.bdp_probe", 0))


async def seat_change_bursts(
    database_url: str, flight_id: int, written: list[int], stop: asyncio.Event
) -> None:
    """BURST changes at a time until `stop` (at most MAX_BURSTS), counted in `written`."""
    for _ in range(MAX_BURSTS):
        if stop.is_set():
            return
        await seat_changes_written(database_url, flight_id, BURST)
        written[0] += BURST


async def seat_changes_written(database_url: str, flight_id: int, count: int) -> None:
    """`count` seat changes written straight into the outbox, as many writers' would be."""
    engine = create_async_engine(database_url)
    now = datetime.now(UTC)
    rows = [
        {
            "flight_id": flight_id,
            "seat": "10A",
            "status": ("held", "available")[i % 2],
            "created_at": now,
        }
        for i in range(count)
    ]
    try:
        async with engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # as lastseat's own sessions do
                await conn.exec_driver_sql(REGISTER_EVENT_WRITER)
            await conn.execute(tables.events.insert(), rows)
    finally:
        await engine.dispose()
