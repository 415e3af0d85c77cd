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
from lastseat.domain.errors import DomainError

console = Console(stderr=True)
T = TypeVar("T")


def command_group(help: str) -> typer.Typer:
    """A Typer app (or group) as every one here is made. Plain help, not Typer's rich
    panels, which label every value with its Python type (`<bool>` on each flag, even
    --help): Click's layout names only the values an option takes."""
    return typer.Typer(help=help, no_args_is_help=True, rich_markup_mode=None)


def run(work: Callable[[Services], Awaitable[T]], settings: Settings | None = None) -> T:
    """`work` over freshly built services, closed afterwards; a rule it breaks is an error
    line and exit status 1, not a traceback."""

    async def main() -> T:
        services = build_services(settings or get_settings())
        try:
            return await work(services)
        finally:
            await services.close()

    try:
        return asyncio.run(main())
    except DomainError as exc:
        console.print(f"[red]error:[/red] {exc.detail}")
        raise typer.Exit(1) from None
