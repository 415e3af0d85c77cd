"""A stopping `serve-grpc` or `serve` ends within its bound whatever its database driver,
a thread or its own event loop does, and says in its log what it had to leave behind.

Each test runs its own server over its own SQLite file (loopback, a free port, stopped by
pid); the bound waited for is generous, several times the one the server states.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from lastseat.bootstrap import build_services
from lastseat.client import ApiError, GrpcClient
from lastseat.entrypoints.stopping import OVERRAN_STATUS
from lastseat.services.samples import seed_flights
from lastseat.stack.ports import free_port
from lastseat.stack.processes import SERVER_MODULE
from lastseat.stack.readiness import grpc_serving
from tests.support.databases import make_settings
from tests.support.servers import STARTUP_SECONDS, server_env

REPO = Path(__file__).resolve().parents[2]
EXIT_WAIT_SECONDS = 30.0  # the server states 14 s; without the fix these never end
EVENT_WAIT_SECONDS = 10.0


@pytest.fixture
async def database(tmp_path: Path) -> tuple[Path, int]:
    """A migrated SQLite file with a flight; its path and the flight's id."""
    path = tmp_path / "lastseat.db"
    services = build_services(make_settings(f"sqlite+aiosqlite:///{path}"))
    try:
        await services.database.upgrade()
        await seed_flights(services.catalog, services.catalog.now(), 1)
        [flight] = await services.catalog.search(limit=1)
    finally:
        await services.close()
    return path, flight.id


@pytest.fixture
def write_lock(database: tuple[Path, int]) -> Iterator[None]:
    """Another process's writer holding SQLite's write lock, as a busy one on a loaded
    machine does: the server's writes wait in SQLite's busy handler meanwhile."""
    holder = sqlite3.connect(database[0], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


def _http_ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def start(
    path: Path, log: Path, *launcher: str, server: str = "serve-grpc", **env: str
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    command = [sys.executable, "-m", *launcher, server]
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            env=server_env(f"sqlite+aiosqlite:///{path}", **env),
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    ready: Callable[[], bool] = (
        functools.partial(_http_ready, port)
        if server == "serve"
        else grpc_serving(f"127.0.0.1:{port}")
    )
    for _ in range(int(STARTUP_SECONDS * 10)):
        if process.poll() is not None:
            raise RuntimeError(f"{server} exited early; see {log}")
        if ready():
            return process, port
        try:
            process.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            pass
    stop(process)
    raise RuntimeError(f"{server} not ready within {STARTUP_SECONDS}s; see {log}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


async def watch_then_sigterm(
    process: subprocess.Popen[bytes], port: int, flight_id: int, settle: float = 0.0
) -> None:
    """A watcher's stream open when SIGTERM comes, `settle` seconds after its snapshot (for
    the background jobs to be where the test puts them); it ends at once, resumably."""
    async with GrpcClient(f"127.0.0.1:{port}") as rpc:
        stream = rpc.watch(flight_id)
        first = await asyncio.wait_for(anext(stream), EVENT_WAIT_SECONDS)
        assert first.WhichOneof("event") == "snapshot"
        await asyncio.sleep(settle)
        process.send_signal(signal.SIGTERM)
        with pytest.raises(ApiError) as ended:
            await asyncio.wait_for(anext(stream), EVENT_WAIT_SECONDS)
    assert ended.value.status == "UNAVAILABLE", ended.value


async def stopped_while_watched(
    process: subprocess.Popen[bytes],
    port: int,
    flight_id: int,
    log: Path,
    status: int,
    settle: float = 0.0,
) -> dict[str, dict[str, object]]:
    """SIGTERM with a watcher's stream open; the process must end with `status` within
    the bound (it is killed by pid either way). What it logged, by event."""
    try:
        await watch_then_sigterm(process, port, flight_id, settle)
        exited = process.wait(timeout=EXIT_WAIT_SECONDS)
    finally:
        stop(process)
    said = events(log)
    assert exited == status, said
    return said


def events(log: Path) -> dict[str, dict[str, object]]:
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return {line["event"]: line for line in lines}


async def test_a_writer_waiting_for_the_sqlite_lock_does_not_hold_the_stop(
    database: tuple[Path, int], write_lock: None, tmp_path: Path
) -> None:
    """The CI failure: the sweeper's BEGIN IMMEDIATE sat in SQLite's busy handler when
    SIGTERM came; its cancelled query's connection was closed in a shielded task waiting
    for that thread, and asyncio.run's teardown waited for it (up to the busy timeout)."""
    path, flight_id = database
    log = tmp_path / "grpc.log"
    process, port = start(
        path,
        log,
        SERVER_MODULE,
        LASTSEAT_SWEEP_INTERVAL_SECONDS="0.05",
        LASTSEAT_SQLITE_BUSY_TIMEOUT_SECONDS="600",
    )
    # a second of sweeps every 0.05 s: the sweeper is waiting for the lock when SIGTERM comes
    said = await stopped_while_watched(process, port, flight_id, log, 0, settle=1.0)
    # Cut at the cleanup's deadline, or left at the teardown's: named either way.
    assert "stop_step_cut" in said or "stop_left_work" in said, log.read_text()


async def test_a_stuck_worker_thread_does_not_hold_the_stop(
    database: tuple[Path, int], tmp_path: Path
) -> None:
    """asyncio.run would wait for the default executor's threads, and the interpreter
    would join them again at exit."""
    path, flight_id = database
    log = tmp_path / "grpc.log"
    process, port = start(path, log, "tests.support.stalled_server", "stuck_thread")
    said = await stopped_while_watched(process, port, flight_id, log, 0)
    assert said["grpc_stopped"]["clean"] is True
    # named among what was left (a query the stop cancelled may be left closing too)
    left = said["stop_left_work"]["waiting_in"]
    assert isinstance(left, list) and "the default executor's threads" in left, said


async def test_a_blocked_event_loop_is_ended_by_the_watchdog_saying_where(
    database: tuple[Path, int], tmp_path: Path
) -> None:
    """No deadline on the loop can act when the loop itself is blocked: the watchdog ends
    the process, non-zero, with every thread's stack in its log line."""
    path, flight_id = database
    log = tmp_path / "grpc.log"
    process, port = start(path, log, "tests.support.stalled_server", "blocked_loop")
    said = await stopped_while_watched(process, port, flight_id, log, OVERRAN_STATUS)
    overran = said["stop_overran"]
    threads = overran["threads"]
    assert isinstance(threads, dict)
    assert "time.sleep(STALL_SECONDS)" in threads["MainThread"]


async def test_an_app_server_waiting_for_the_sqlite_lock_is_ended_by_the_watchdog(
    database: tuple[Path, int], write_lock: None, tmp_path: Path
) -> None:
    """`serve` shares the cause: its app's shutdown waits for the sweeper's query, which
    waits in SQLite's busy handler. That shutdown is cut at its deadline, and what uvicorn's
    own teardown then waits for (the connection's close) is ended by the watchdog, which
    names it."""
    path, _ = database
    log = tmp_path / "app.log"
    process, _ = start(
        path,
        log,
        SERVER_MODULE,
        server="serve",
        LASTSEAT_SWEEP_INTERVAL_SECONDS="0.05",
        LASTSEAT_SQLITE_BUSY_TIMEOUT_SECONDS="600",
    )
    try:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=EXIT_WAIT_SECONDS) == OVERRAN_STATUS, log.read_text()
    finally:
        stop(process)
    said = events(log)
    assert said["stop_step_cut"]["step"] == "app_cleanup", said
    tasks = said["stop_overran"]["tasks"]
    assert isinstance(tasks, list)
    assert any("aiosqlite" in task for task in tasks), tasks
