"""Migration 0012: flights created before arrivals were kept read with an unknown arrival
(NULL), none invented; new flights keep theirs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lastseat.adapters.db import migrate
from lastseat.adapters.db.engine import create_engine
from lastseat.adapters.db.repositories.inventory import layout_to_json
from lastseat.adapters.db.tables import flights
from lastseat.adapters.db.unit_of_work import SqlUnitOfWorkFactory
from lastseat.config import Settings
from lastseat.services.samples import standard_layout
from tests.integration.test_layout_migration import _upgrade_to


async def test_flights_from_before_arrivals_have_an_unknown_arrival(database_url: str) -> None:
    settings = Settings(_env_file=None, database_url=database_url, log_level="warning")
    engine = create_engine(settings)
    layout = standard_layout()
    departs = datetime(2031, 5, 1, 9, 0, tzinfo=UTC)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade_to("0011"))
            await conn.execute(
                flights.insert().values(
                    code="LS1",
                    origin="LHR",
                    destination="JFK",
                    departs_at=departs,
                    layout=layout_to_json(layout),
                )
            )
        await migrate.upgrade(engine)
        arrives = departs + timedelta(hours=8)
        async with SqlUnitOfWorkFactory(engine)(write=True) as uow:
            old = await uow.flights.get(1)
            new = await uow.flights.add("LS2", "LHR", "JFK", departs, layout, arrives)
            await uow.commit()
        async with SqlUnitOfWorkFactory(engine)() as uow:
            reread = await uow.flights.get(new.id)
        assert old is not None and old.arrives_at is None
        assert reread is not None and reread.arrives_at == arrives
    finally:
        await engine.dispose()
