"""var/stack/state.json: what a running stack is made of (its supervisor, and each tier's
pid and port). `up`'s supervisor writes it; `down`, `status`, `restart` and a second `up`
read it."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import NotRequired, TypedDict

from lastseat.config import Settings
from lastseat.stack.processes import started_at, still_runs

ROLL_SECONDS = 180.0


class TierRecord(TypedDict):
    name: str
    pid: int
    port: int
    restarts: int
    started: NotRequired[int | None]  # (see processes.started_at; absent from older files)


class StackState(TypedDict):
    supervisor: int
    supervisor_started: NotRequired[int | None]  # (absent from files older than this key)
    tiers: list[TierRecord]


def state_path(settings: Settings) -> Path:
    return settings.stack_dir / "state.json"


def read_state(settings: Settings) -> StackState | None:
    path = state_path(settings)
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    state: StackState = json.loads(text)
    return state


def write_state(settings: Settings, tiers: list[TierRecord]) -> None:
    """This process as the stack's supervisor, with `tiers`."""
    pid = os.getpid()
    state: StackState = {"supervisor": pid, "supervisor_started": started_at(pid), "tiers": tiers}
    path = state_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole, then renamed: `status` and `restart` never read half a file.
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(state, indent=2))
    partial.replace(path)


def forget_state(settings: Settings) -> None:
    """Remove state.json if this process wrote it: never another stack's."""
    state = read_state(settings)
    if state is not None and state["supervisor"] == os.getpid():
        state_path(settings).unlink(missing_ok=True)


def supervisor_running(state: StackState) -> bool:
    """The supervisor that wrote `state` still runs: its pid is alive and started when
    the file says (a stale file's pid may since have gone to another process)."""
    return still_runs(state["supervisor"], state.get("supervisor_started"))


def live_tiers(state: StackState) -> list[TierRecord]:
    """The tiers of `state` whose processes still run (left behind by a killed supervisor,
    if it is gone)."""
    return [tier for tier in state["tiers"] if still_runs(tier["pid"], tier.get("started"))]


def wait_for_roll(settings: Settings, before: StackState) -> list[tuple[str, int, int]] | None:
    """Until every app server of `before` runs with a new pid: their names, new pids and
    ports; None if that takes longer than ROLL_SECONDS."""

    def apps(state: StackState) -> dict[str, tuple[int, int]]:
        return {
            t["name"]: (t["pid"], t["port"]) for t in state["tiers"] if t["name"].startswith("app-")
        }

    old = apps(before)
    deadline = time.monotonic() + ROLL_SECONDS
    while time.monotonic() < deadline:
        state = read_state(settings)
        if state is not None:
            now = apps(state)
            if now.keys() == old.keys() and all(now[n][0] != old[n][0] for n in old):
                return [(name, *now[name]) for name in sorted(now)]
        time.sleep(0.2)
    return None
