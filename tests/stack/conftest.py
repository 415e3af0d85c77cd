"""The whole stack (`lastseat up`) on free loopback ports, for the tests of this folder: one
shared by the tests that leave every tier as they found it, and one of its own for the
failover tests, which kill and restart app servers (and so change their ports)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from lastseat.stack.postgres import PostgresServer
from tests.support.stack import Stack, running_stack


@pytest.fixture(scope="session")
async def stack(postgres: PostgresServer) -> AsyncIterator[Stack]:
    async with running_stack(postgres) as stack:
        yield stack


@pytest.fixture(scope="module")
async def failover_stack_running(postgres: PostgresServer) -> AsyncIterator[Stack]:
    async with running_stack(postgres) as stack:
        yield stack


@pytest.fixture
async def failover_stack(failover_stack_running: Stack) -> Stack:
    """The failover tests' own stack, with every tier up: whatever an earlier test killed,
    the supervisor has started again (`status` says so) before the next one begins."""
    shown = await failover_stack_running.status_once_up()
    assert shown.returncode == 0, shown.stdout + shown.stderr
    return failover_stack_running
