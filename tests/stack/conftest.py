"""The whole stack (`lastseat up`) on free loopback ports, for the tests of this folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.stack import Site, running_stack
from tests.support.stack import stack_database as stack_database  # this package's own


@pytest.fixture(scope="package")
def site(stack_database: str) -> Iterator[Site]:
    with running_stack(stack_database) as site:
        yield site
