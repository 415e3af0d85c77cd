"""What one statement costs the app in CPU: through SQLAlchemy's execution layer
(`exec_driver_sql`, the Core statement) against asyncpg itself in the same transaction
(adapters/db/driver.py, the hot path's way on PostgreSQL).

    python bench/driver_sql.py [--statements 3000]

One pooled connection of lastseat's own engine, to the PostgreSQL the benches use; each way
runs the same `SELECT $1::int` the given number of times, in one transaction, after 200 to
warm up. Prints the process CPU time per statement (the round trip's own CPU included).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Awaitable, Callable

import sqlalchemy as sa
import uvloop

from lastseat.adapters.db.driver import Driver
from lastseat.adapters.db.engine import create_engine
from lastseat.config import Settings
from lastseat.stack.postgres import find_or_start


async def per_statement(send: Callable[[], Awaitable[object]], count: int) -> float:
    """Microseconds of this process's CPU per `send`."""
    for _ in range(200):
        await send()
    started = time.process_time()
    for _ in range(count):
        await send()
    return (time.process_time() - started) / count * 1e6


async def main(count: int) -> None:
    pg = find_or_start()
    settings = Settings(_env_file=None, database_url=pg.sqlalchemy_url("postgres"))
    engine = create_engine(settings, writer=False)
    core = sa.select(sa.cast(sa.bindparam("x", 1), sa.Integer))
    try:
        async with engine.connect() as conn:
            await conn.begin()
            driver = Driver(conn)
            found = {
                "SQLAlchemy Core statement": await per_statement(
                    lambda: conn.execute(core, {"x": 1}), count
                ),
                "SQLAlchemy exec_driver_sql": await per_statement(
                    lambda: conn.exec_driver_sql("SELECT $1::int", (1,)), count
                ),
                "asyncpg in the same transaction (driver.py)": await per_statement(
                    lambda: driver.rows("SELECT $1::int", (1,)), count
                ),
            }
    finally:
        await engine.dispose()
    for way, micros in found.items():
        print(f"{way:<46} {micros:6.0f} us CPU per statement")
    print(f"({count} statements each, one connection)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--statements", type=int, default=3000)
    uvloop.run(main(parser.parse_args().statements))
