"""How every group of commands is made (apart from running.py, which loads the console:
the server processes' own entry, servers.py, builds its group without it)."""

from __future__ import annotations

import typer


def command_group(help: str) -> typer.Typer:
    """A Typer app (or group) as every one here is made. Plain help, not Typer's rich
    panels, which label every value with its Python type (`<bool>` on each flag, even
    --help): Click's layout names only the values an option takes."""
    return typer.Typer(help=help, no_args_is_help=True, rich_markup_mode=None)
