"""Running the `lastseat` command line, or make, from a test, as a person types them."""

from __future__ import annotations

import subprocess

from lastseat.config import PROJECT_ROOT
from lastseat.stack.processes import lastseat_argv

COMMAND_SECONDS = 120.0


def run(
    argv: list[str], env: dict[str, str], timeout: float = COMMAND_SECONDS
) -> subprocess.CompletedProcess[str]:
    """`argv` to its end: exit status, stdout and stderr as text."""
    return subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def lastseat(
    env: dict[str, str], *args: str, timeout: float = COMMAND_SECONDS
) -> subprocess.CompletedProcess[str]:
    return run(lastseat_argv(*args), env, timeout)


def make(env: dict[str, str], target: str) -> subprocess.CompletedProcess[str]:
    """A target of the project's Makefile."""
    return run(["make", "--no-print-directory", "-C", str(PROJECT_ROOT), target], env)
