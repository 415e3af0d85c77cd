"""What every operator command shares: the console, a group of commands, and running one
piece of async work over the services of this process."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from rich.console import Console

from lastseat.bootstrap import Services, build_services
from lastseat.config import Settings, get_settings
from lastseat.domain.errors import DatabaseUnavailable, DomainError, InvalidRequest

# What a command answers goes to stdout (`lastseat status > file`, `| grep`); what it
# says along the way, and why it failed, to stderr.
console = Console()
notes = Console(stderr=True)
T = TypeVar("T")


def run(
    work: Callable[[Services], Awaitable[T]],
    settings: Settings | None = None,
    *,
    needs_schema: bool = True,
) -> T:
    """`work` over freshly built services, closed afterwards; a rule it breaks, a database
    that cannot be reached or (with `needs_schema`) one not migrated to this code's schema
    is an error line and exit status 1, not a traceback."""

    async def main() -> T:
        services = build_services(settings or get_settings())
        try:
            await _require_database(services, needs_schema)
            return await work(services)
        except DomainError:
            raise
        except Exception as exc:
            away = services.database.unavailability(exc)
            if away is None:
                raise
            raise away from exc
        finally:
            await services.close()

    try:
        return asyncio.run(main())
    except DomainError as exc:
        notes.print(f"[red]error:[/red] {exc.detail}")
        raise typer.Exit(1) from None


async def _require_database(services: Services, needs_schema: bool) -> None:
    ready = await services.database.readiness()
    if not ready.reachable:
        raise DatabaseUnavailable(
            "the database cannot be reached: is it running, does the database named in "
            "LASTSEAT_DATABASE_URL exist, and may this user connect?"
        )
    if needs_schema and ready.schema != ready.wanted:
        raise InvalidRequest(
            f"the database schema is at revision {ready.schema or 'none'}, this code needs "
            f"{ready.wanted}: run `lastseat db migrate`"
        )
