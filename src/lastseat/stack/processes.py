"""The stack's child processes: the command line that runs another `lastseat` command,
and starting, waiting for and stopping processes by pid."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

CLI_MODULE = "lastseat.entrypoints.cli.main"
# A server command runs from its own module, which loads only what serving needs.
SERVER_MODULE = "lastseat.entrypoints.cli.servers"
SERVER_COMMANDS = frozenset(
    {"serve", "serve-grpc", "payments-sandbox", "mailer", "stack-dns", "stack-waf-log"}
)
READY_SECONDS = 45.0
STOP_SECONDS = 15.0


def lastseat_argv(*args: str) -> list[str]:
    """`lastseat ARGS` in this interpreter: the venv of the `lastseat` that starts it."""
    module = SERVER_MODULE if args and args[0] in SERVER_COMMANDS else CLI_MODULE
    return [sys.executable, "-m", module, *args]


def _die_with_parent() -> None:
    # uvicorn re-raises SIGTERM/SIGINT after shutting down, so the parent may die before a
    # `finally` runs: the kernel stops the child with it instead (Linux PR_SET_PDEATHSIG).
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


def start_bound_child(*args: str) -> subprocess.Popen[bytes]:
    """Another `lastseat` command as a child process that ends when this one does."""
    return subprocess.Popen(
        lastseat_argv(*args),
        # runs before exec, in a fork(): start every child before this process starts
        # threads of its own (gRPC's, at its first channel: cli/dev.py starts the gRPC
        # server last)
        preexec_fn=_die_with_parent,
    )


def _tail(log: Path | str, size: int = 600) -> str:
    """The end of a log, to say why a tier exited (its folder may be gone by the time
    anyone reads it)."""
    try:
        text = Path(log).read_bytes()[-size:].decode(errors="replace").strip()
    except OSError:
        return ""
    return f"; it ends: {text}" if text else ""


def wait_ready(
    name: str,
    process: subprocess.Popen[bytes],
    ready: Callable[[], bool],
    log: Path | str,
    seconds: float = READY_SECONDS,
) -> None:
    """Until `ready()` says so; a process that exits first, or takes too long, is an error."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            said = _tail(log)
            raise RuntimeError(f"{name} exited with {process.returncode}; see {log}{said}")
        if ready():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{name} not ready in {seconds:.0f}s; see {log}")


def stop_pid(pid: int) -> None:
    """SIGTERM, then SIGKILL if it does not end in time."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_SECONDS
    while time.monotonic() < deadline:
        if not alive(pid):
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return False


def started_at(pid: int) -> int | None:
    """When `pid` started, in clock ticks since boot: with the pid, it names one process,
    where a pid alone may by now be another's (pids are reused)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    except OSError:
        return None
    return int(fields[19])  # field 22 of proc(5); fields[0] here is field 3


def still_runs(pid: int, started: int | None) -> bool:
    """`pid` is alive and is the process that started at `started` (if known)."""
    return alive(pid) and (started is None or started_at(pid) == started)


def workers_of(master: int) -> set[int]:
    """The child processes of `master` (an nginx master's workers)."""
    try:
        text = Path(f"/proc/{master}/task/{master}/children").read_text()
    except OSError:
        return set()
    return {int(pid) for pid in text.split()}
