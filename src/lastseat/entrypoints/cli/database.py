"""`lastseat db ...`: the schema (Alembic migrations) and sample data."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import Progress

from lastseat.bootstrap import Services
from lastseat.config import get_settings
from lastseat.entrypoints.cli.groups import command_group
from lastseat.entrypoints.cli.running import console, notes, run
from lastseat.entrypoints.cli.wording import counted
from lastseat.services.samples import seed_flights

db_app = command_group("Database schema and sample data.")


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply every Alembic migration (creates the SQLite file under var/ if needed)."""

    async def work(services: Services) -> str | None:
        return await services.database.upgrade()

    settings = get_settings()
    if settings.is_sqlite:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    console.print(f"database schema at revision {run(work, settings, needs_schema=False)}")


@db_app.command("seed")
def db_seed(
    flights: Annotated[
        int, typer.Option(min=1, max=100_000, metavar="N", help="how many flights")
    ] = 50,
) -> None:
    """Create sample flights (180 seats each); existing ones are kept."""

    async def work(services: Services) -> int:
        with Progress(console=notes, transient=True) as progress:
            task = progress.add_task("seeding flights", total=flights)
            return await seed_flights(
                services.catalog,
                services.catalog.now(),
                flights,
                lambda n: progress.advance(task, n),
            )

    console.print(f"created {counted(run(work), 'flight')}")
