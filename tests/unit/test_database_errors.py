"""Which driver failures a client is told to retry (503), told apart from bugs (500)."""

from __future__ import annotations

import pytest

from lastseat.adapters.db.errors import unavailability
from lastseat.domain.errors import DatabaseBusy, DatabaseUnavailable


class DriverError(Exception):
    """An exception as asyncpg raises them: its SQLSTATE in `sqlstate`."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("sqlstate", "told"),
    [
        ("57P01", DatabaseUnavailable),  # admin shutdown
        ("57P03", DatabaseUnavailable),  # cannot connect now (starting up, or a standby)
        ("08006", DatabaseUnavailable),  # connection failure
        ("25006", DatabaseUnavailable),  # read-only: the old primary, now a standby
        ("55P03", DatabaseBusy),  # lock not available within lock_timeout
        ("40001", DatabaseBusy),  # serialization failure
        ("53300", DatabaseBusy),  # too many connections
    ],
)
def test_a_failure_to_retry_is_a_503(sqlstate: str, told: type[DatabaseUnavailable]) -> None:
    found = unavailability(DriverError(sqlstate))
    assert type(found) is told


@pytest.mark.parametrize("sqlstate", ["42P01", "23505", "22001"])
def test_a_bug_or_a_bad_value_is_not_a_retry(sqlstate: str) -> None:
    assert unavailability(DriverError(sqlstate)) is None
