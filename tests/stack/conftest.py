"""The whole stack (`lastseat up`) on free loopback ports, for the tests of this folder."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.conftest import create_pg_database, drop_pg_database
from tests.support.stack import Site, running_stack


@pytest.fixture(scope="package")
async def stack_database(postgres: object) -> AsyncIterator[str]:
    name = await create_pg_database(postgres)  # type: ignore[arg-type]
    yield postgres.sqlalchemy_url(name)  # type: ignore[attr-defined]
    await drop_pg_database(postgres, name)  # type: ignore[arg-type]


@pytest.fixture(scope="package")
def site(stack_database: str) -> Iterator[Site]:
    with running_stack(stack_database) as site:
        yield site
