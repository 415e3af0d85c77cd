"""A `lastseat` server command with one stall put into its stop, for the tests that it
still ends within its bound: `python -m tests.support.stalled_server STALL COMMAND ARGS`.

- blocked_loop: closing the services blocks the event loop itself (synchronous work), so
  no deadline of the stop can act; only the watchdog can end the process.
- stuck_thread: a to_thread call that never returns (as a hash or a lookup might hang),
  which asyncio.run's teardown and the interpreter's exit both wait for.
- capture_never_answered: the payment provider never answers this server's captures (its
  authorizations go through), so a booking it made stays uncaptured until it is killed.
"""

from __future__ import annotations

import asyncio
import sys
import time

from lastseat import bootstrap
from lastseat.adapters.payments import HttpPayments
from lastseat.bootstrap import Services
from lastseat.entrypoints import background
from lastseat.entrypoints.cli.servers import app

STALL_SECONDS = 3600.0


def blocked_loop() -> None:
    async def close(self: Services) -> None:
        time.sleep(STALL_SECONDS)  # noqa: ASYNC251 - the stall under test

    bootstrap.Services.close = close  # type: ignore[method-assign]


def stuck_thread() -> None:
    start = background.start

    def with_stuck_thread(services: Services) -> list[asyncio.Task[None]]:
        async def stuck() -> None:
            await asyncio.to_thread(time.sleep, STALL_SECONDS)

        return [*start(services), asyncio.create_task(stuck())]

    background.start = with_stuck_thread


def capture_never_answered() -> None:
    async def capture(self: HttpPayments, authorization: str, key: str) -> None:
        await asyncio.sleep(STALL_SECONDS)

    HttpPayments.capture = capture  # type: ignore[method-assign]


STALLS = {
    "blocked_loop": blocked_loop,
    "stuck_thread": stuck_thread,
    "capture_never_answered": capture_never_answered,
}

if __name__ == "__main__":
    STALLS[sys.argv[1]]()
    sys.argv = ["lastseat", *sys.argv[2:]]
    app()
