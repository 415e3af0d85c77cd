"""`lastseat up / down / status` as a person runs them: a second `up` refuses before it
touches anything, `make down` stops the stack, a stale state.json blocks nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lastseat.config import PROJECT_ROOT
from lastseat.stack.processes import alive
from tests.support.stack import running_stack
from tests.support.stack import stack_database as stack_database  # this module's own


def make_down(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(PROJECT_ROOT), "down"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_second_up_refuses_before_touching_anything(stack_database: str) -> None:
    with running_stack(stack_database) as site:
        state = (site.folder / "state.json").read_text()
        firewall = site.folder / "firewall" / "nginx.conf"
        firewall_written = firewall.stat().st_mtime_ns

        second = site.lastseat("up", "--flights", "3")

        assert second.returncode == 1, second.stdout + second.stderr
        assert "a stack is up already" in second.stderr
        assert "revision" not in second.stderr  # the database was not migrated again
        assert (site.folder / "state.json").read_text() == state
        assert firewall.stat().st_mtime_ns == firewall_written
        assert site.lastseat("status").returncode == 0


def test_make_down_stops_a_running_stack_and_says_when_none_is(stack_database: str) -> None:
    with running_stack(stack_database) as site:
        tiers = site.tiers()
        stopped = make_down(site.env)

        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        assert "stopped" in stopped.stderr
        assert not [name for name, pid in tiers.items() if alive(pid)]
        assert not (site.folder / "state.json").exists()
        again = make_down(site.env)
        assert again.returncode == 0 and "no stack is up" in again.stderr


def a_dead_pid() -> int:
    with subprocess.Popen([sys.executable, "-c", "pass"]) as process:
        process.wait(timeout=30)
        return process.pid


def stack_env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LASTSEAT_")}
    return {**env, "LASTSEAT_STACK_DIR": str(folder), "COLUMNS": "200"}


def lastseat(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lastseat.entrypoints.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


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
