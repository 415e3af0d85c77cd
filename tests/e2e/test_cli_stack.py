"""`lastseat up / down / status` as a person runs them: a second `up` refuses before it
touches anything, `make down` stops the stack, a stale state.json blocks nothing; and the
traveller's commands through the whole stack (TLS, lastseat's DNS), across a restart."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

from lastseat.client import HttpClient
from lastseat.stack.ports import free_port
from lastseat.stack.postgres import PostgresServer
from lastseat.stack.processes import alive, lastseat_argv
from lastseat.stack.state import state_path
from tests.support.commands import lastseat, make
from tests.support.servers import server_env
from tests.support.stack import DOMAIN, Stack, running_stack


async def test_a_second_up_refuses_before_touching_anything(postgres: PostgresServer) -> None:
    async with running_stack(postgres) as stack:
        state = state_path(stack.settings).read_text()
        firewall = stack.folder / "firewall" / "nginx.conf"
        firewall_written = firewall.stat().st_mtime_ns

        second = stack.lastseat("up", "--flights", "3")

        assert second.returncode == 1, second.stdout + second.stderr
        assert "a stack is up already" in second.stderr
        assert "revision" not in second.stderr  # the database was not migrated again
        assert state_path(stack.settings).read_text() == state
        assert firewall.stat().st_mtime_ns == firewall_written
        assert stack.lastseat("status").returncode == 0


async def test_make_down_stops_a_running_stack_and_says_when_none_is(
    postgres: PostgresServer,
) -> None:
    async with running_stack(postgres) as stack:
        tiers = stack.tiers()
        stopped = make(stack.env, "down")

        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        assert "stopped" in stopped.stderr
        assert not [name for name, pid in tiers.items() if alive(pid)]
        assert not state_path(stack.settings).exists()
        again = make(stack.env, "down")
        assert again.returncode == 0 and "no stack is up" in again.stderr


def a_dead_pid() -> int:
    with subprocess.Popen([sys.executable, "-c", "pass"]) as process:
        process.wait(timeout=30)
        return process.pid


def stack_env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LASTSEAT_")}
    return {**env, "LASTSEAT_STACK_DIR": str(folder), "COLUMNS": "200"}


def test_a_stale_state_file_is_no_running_stack(tmp_path: Path) -> None:
    dead = a_dead_pid()
    state = tmp_path / "state.json"
    state.write_text(
        f'{{"supervisor": {dead}, "tiers": [{{"name": "app-1", "pid": {dead}, "port": 1,'
        f' "restarts": 0}}]}}'
    )
    env = stack_env(tmp_path)

    status = lastseat(env, "status")
    assert status.returncode == 1 and "no stack is up" in status.stderr
    assert lastseat(env, "restart", "app").returncode == 1
    down = lastseat(env, "down")
    assert down.returncode == 0 and "stale" in down.stderr
    assert not state.exists()


def test_a_reused_pid_is_not_the_supervisor(tmp_path: Path) -> None:
    # This test's own pid, alive, but recorded with another start time: another process.
    state = tmp_path / "state.json"
    state.write_text(f'{{"supervisor": {os.getpid()}, "supervisor_started": 1, "tiers": []}}')
    status = lastseat(stack_env(tmp_path), "status")
    assert status.returncode == 1 and "no stack is up" in status.stderr


def test_status_says_when_the_supervisor_is_gone(tmp_path: Path) -> None:
    # A tier left running by a killed `up` (this test's own process stands in for it).
    dead = a_dead_pid()
    with socket.create_server(("127.0.0.1", 0)) as tier:
        port = tier.getsockname()[1]
        state = tmp_path / "state.json"
        state.write_text(
            f'{{"supervisor": {dead}, "tiers": [{{"name": "app-1", "pid": {os.getpid()},'
            f' "port": {port}, "restarts": 0}}]}}'
        )
        status = lastseat(stack_env(tmp_path), "status")
    assert status.returncode == 1
    assert "app-1" in status.stdout and "up" in status.stdout
    assert f"supervisor (pid {dead}) is gone" in " ".join(status.stderr.split())


def through_the_stack(stack: Stack) -> list[str]:
    return ["--api", stack.url, "--dns", stack.dns, "--ca", str(stack.ca)]


async def next_line(stream: asyncio.StreamReader) -> str:
    return (await asyncio.wait_for(stream.readline(), 60)).decode()


async def test_watch_outlives_a_restart_and_book_goes_over_grpc_through_the_stack(
    postgres: PostgresServer,
) -> None:
    async with running_stack(postgres) as stack:
        async with HttpClient(stack.url, transport=stack.transport()) as api:
            await api.signup("cli-stack@example.com", "cli stack password")
            [flight] = await api.flights(limit=1)
        env = {**stack.env, "COLUMNS": "200"}
        env.update(LASTSEAT_EMAIL="cli-stack@example.com", LASTSEAT_PASSWORD="cli stack password")
        watcher = await asyncio.create_subprocess_exec(
            *lastseat_argv("watch", str(flight["id"]), "--count", "2", *through_the_stack(stack)),
            env=env,
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            assert watcher.stdout is not None
            assert "snapshot at event" in await next_line(watcher.stdout)

            restarted = await asyncio.to_thread(stack.lastseat, "restart", "app", timeout=240)
            assert restarted.returncode == 0, restarted.stdout + restarted.stderr
            grpc_edge = f"{DOMAIN}:{stack.settings.https_port}"
            booked = await asyncio.to_thread(
                lastseat,
                env, "book", str(flight["id"]), "5A", *through_the_stack(stack),
                "--grpc", grpc_edge, "--passenger", "Ana Stack",
            )  # fmt: skip
            assert booked.returncode == 0, booked.stdout + booked.stderr
            assert "booked" in booked.stdout

            # The watcher lost its connection in the restart, and came back for both changes.
            rest = (await asyncio.wait_for(watcher.stdout.read(), 60)).decode().splitlines()
            assert await asyncio.wait_for(watcher.wait(), 60) == 0
            assert any(line.startswith("snapshot at event") for line in rest)  # reconnected
            changes = [line.split()[1:] for line in rest if not line.startswith("snapshot")]
            assert changes == [["5A", "held"], ["5A", "booked"]]
        finally:
            if watcher.returncode is None:
                watcher.kill()
                await watcher.wait()


def test_up_goes_past_a_stale_state_file_and_forgets_its_own_claim_when_it_fails(
    tmp_path: Path,
) -> None:
    dead = a_dead_pid()
    state = tmp_path / "state.json"
    state.write_text(f'{{"supervisor": {dead}, "tiers": []}}')
    nowhere = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nowhere"
    env = server_env(nowhere, LASTSEAT_STACK_DIR=str(tmp_path), COLUMNS="200")

    up = lastseat(env, "up", "--flights", "0")

    assert "the stack it describes is gone" in up.stderr, up.stderr
    assert up.returncode != 0  # no database there
    assert not state.exists()  # neither the stale file nor its own claim is left
