"""Only the seat map may read the replica: the replica reader is made in one place
(SqlDatabase.replica_seat_reader), and only the composition root asks for it, to hand it to
the catalog's seat-map read; units of work (holds, bookings, quotes) have the primary's
engine alone. tests/integration/test_replica_reads.py shows the same from the outside."""

from __future__ import annotations

import re

from lastseat.adapters.db.database import SqlDatabase, engine_of
from lastseat.bootstrap import build_services
from lastseat.config import PROJECT_ROOT
from tests.support.databases import make_settings

SOURCE = PROJECT_ROOT / "src" / "lastseat"


def users_of(pattern: str) -> set[str]:
    return {
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.py")
        if re.search(pattern, path.read_text())
    }


def test_the_replica_reader_is_made_in_one_place_and_handed_to_the_catalog_alone() -> None:
    assert users_of(r"\bReplicaSeats\b") == {"adapters/db/replica.py", "adapters/db/database.py"}
    assert users_of(r"\breplica_seat_reader\(") == {"adapters/db/database.py", "bootstrap.py"}
    assert users_of(r"replica_database_url") == {"config.py", "adapters/db/database.py"}


async def test_the_units_of_work_use_the_primary_and_the_catalog_the_replica() -> None:
    settings = make_settings(
        "postgresql+asyncpg://app@127.0.0.1:9/primary",
        replica_database_url="postgresql+asyncpg://app@127.0.0.1:9/replica",
    )
    services = build_services(settings)  # engines connect lazily: nothing is reached
    try:
        assert services.replica_seats is not None
        assert services.catalog._replica_seats is services.replica_seats
        assert services.catalog._seats is not services.replica_seats
        database = services.database
        assert isinstance(database, SqlDatabase)
        assert services.catalog._ctx.uow is database.units_of_work
        assert engine_of(database).url.database == "primary"
    finally:
        await services.close()
