"""What `up` and `dev` do before any server starts: secrets on a first start, then the
database (migrations, and sample flights if there are none)."""

from __future__ import annotations

from pathlib import Path

import typer

from lastseat.bootstrap import Services
from lastseat.config import Settings, env_file, get_settings
from lastseat.entrypoints.cli.database import db_migrate
from lastseat.entrypoints.cli.running import notes, run
from lastseat.entrypoints.cli.wording import counted
from lastseat.services.samples import seed_flights


def first_start_secrets() -> Settings:
    """On a machine without secrets yet: random ones, kept in the env file."""
    from lastseat.stack.secrets import ensure_secrets

    settings = get_settings()
    path = Path(env_file())
    try:
        written = ensure_secrets(settings, path)
    except OSError as exc:
        notes.print(f"[red]cannot write secrets to {path}[/red] ({exc.strerror}): set them")
        raise typer.Exit(1) from None
    if written:
        notes.print(f"wrote random {' and '.join(written)} to {path} (mode 0600); keep it")
        get_settings.cache_clear()  # read again, as every process the stack starts will
        settings = get_settings()
    return settings


def prepare_database(settings: Settings, flights: int) -> None:
    """Migrations first, then sample flights if there are none."""
    db_migrate()

    async def seed_if_empty(services: Services) -> int:
        if await services.catalog.search(limit=1):
            return 0
        return await seed_flights(services.catalog, services.catalog.now(), flights)

    made = run(seed_if_empty, settings)
    if made:
        notes.print(f"seeded {counted(made, 'sample flight')}")
