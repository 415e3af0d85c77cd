"""Migration 0008: flights stored with a bare list of cabins read as every other flight."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Connection

from lastseat.adapters.db import migrate
from lastseat.adapters.db.engine import create_engine
from lastseat.adapters.db.repositories.inventory import layout_to_json
from lastseat.adapters.db.tables import flights
from lastseat.adapters.db.unit_of_work import SqlUnitOfWorkFactory
from lastseat.config import Settings
from lastseat.domain.flights import Layout
from lastseat.services.samples import standard_layout


def _upgrade_to(revision: str) -> Callable[[Connection], None]:
    def run(conn: Connection) -> None:
        config = migrate.alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, revision)

    return run


async def test_old_bare_list_layouts_become_objects(database_url: str) -> None:
    settings = Settings(_env_file=None, database_url=database_url, log_level="warning")
    engine = create_engine(settings)
    layout = standard_layout()
    today = layout_to_json(layout)
    cabins_only = today["cabins"]  # as flights were stored before surcharges existed
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade_to("0007"))
            departs = datetime(2031, 5, 1, 9, 0, tzinfo=UTC)
            for code, stored in (("LS1", cabins_only), ("LS2", today)):
                await conn.execute(
                    flights.insert().values(
                        code=code,
                        origin="LHR",
                        destination="JFK",
                        departs_at=departs,
                        layout=stored,
                    )
                )
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            stored = (
                (await conn.execute(sa.select(flights.c.layout).order_by(flights.c.id)))
                .scalars()
                .all()
            )
        assert stored == [{"cabins": cabins_only, "surcharges": {}}, today]
        async with SqlUnitOfWorkFactory(engine)() as uow:
            read = [await uow.flights.get(flight_id) for flight_id in (1, 2)]
        assert [flight.layout for flight in read if flight is not None] == [
            Layout(layout.cabins),
            layout,
        ]
    finally:
        await engine.dispose()
