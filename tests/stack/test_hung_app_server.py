"""A hung app server (SIGSTOP: it accepts connections and never answers) costs an
idempotent request nothing: the proxy gives it up after the longest a healthy server takes
(derived from the app's own timeouts, stack/edge_timeouts.py) and asks the other, while
the firewall is still waiting. Both tiers had nginx's default 60 s: the firewall answered
504 just as the proxy would have retried."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import AsyncIterator, Iterator

import pytest

from lastseat.stack.postgres import PostgresServer
from tests.support.stack import Stack, running_stack

F = "/api/v1/flights"
# Small bounds, so the proxy gives a hung server up in seconds (the derived read timeout).
SHORT_TIMEOUTS = {
    "LASTSEAT_POOL_TIMEOUT_SECONDS": "1",
    "LASTSEAT_DB_COMMAND_TIMEOUT_SECONDS": "2",
    "LASTSEAT_DB_STATEMENT_TIMEOUT_SECONDS": "1",
    "LASTSEAT_PAYMENTS_TIMEOUT_SECONDS": "1",
}


@pytest.fixture(scope="module")
async def short_stack(postgres: PostgresServer) -> AsyncIterator[Stack]:
    async with running_stack(postgres, **SHORT_TIMEOUTS) as stack:
        yield stack


@contextlib.contextmanager
def stopped(pid: int) -> Iterator[None]:
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)


async def test_a_hung_app_server_costs_an_idempotent_get_nothing(short_stack: Stack) -> None:
    with stopped(short_stack.tiers()["app-1"]):
        async with short_stack.client() as client:  # (it waits 30 s for an answer)
            answers = [await client.get(F) for _ in range(4)]
    assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
    # Round robin sent one to the hung server first: the proxy retried it on the other.
    retried = [a.headers["x-upstream"] for a in answers if ", " in a.headers["x-upstream"]]
    assert retried, [a.headers["x-upstream"] for a in answers]
