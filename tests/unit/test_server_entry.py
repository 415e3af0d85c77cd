"""Server processes start from their own module (entrypoints/cli/servers.py), which loads
what serving needs and not the rest of the command line."""

from __future__ import annotations

import subprocess
import sys

from lastseat.entrypoints.cli import servers
from lastseat.stack.processes import CLI_MODULE, SERVER_COMMANDS, SERVER_MODULE, lastseat_argv


def test_every_server_command_and_only_those_start_from_the_server_module() -> None:
    assert SERVER_COMMANDS == set(servers.COMMANDS) | set(servers.HIDDEN)
    for command in SERVER_COMMANDS:
        assert lastseat_argv(command, "--port", "1")[2] == SERVER_MODULE
    assert lastseat_argv("up")[2] == CLI_MODULE
    assert lastseat_argv("db", "upgrade")[2] == CLI_MODULE


def test_an_app_server_loads_neither_the_operator_commands_nor_the_ticket_pdf_stack() -> None:
    # As uvicorn's workers load it (multiprocessing names the parent's module __mp_main__).
    probe = (
        f"import runpy, sys; runpy.run_module('{SERVER_MODULE}', run_name='__mp_main__'); "
        "import lastseat.entrypoints.http.app; print(' '.join(sorted(sys.modules)))"
    )
    loaded = set(subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split())  # fmt: skip
    assert "lastseat.entrypoints.http.app" in loaded
    assert "structlog" in loaded
    heavy = ("lastseat.entrypoints.cli.cluster", "lastseat.stack.dns", "dns", "fpdf", "rich")
    assert loaded.isdisjoint({*heavy, "pygments", "alembic", "mako", "aiosmtplib"})
