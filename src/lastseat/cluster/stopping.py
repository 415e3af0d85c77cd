"""Stopping a cluster by pid, outermost first: the edge, the app hosts, Patroni (and any
PostgreSQL a killed Patroni left behind), etcd."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from lastseat.cluster import network
from lastseat.cluster.patroni import postmaster_pid
from lastseat.cluster.state import ClusterState, Paths, ProcessRecord, live_processes
from lastseat.cluster.topology import (
    Topology,
)
from lastseat.stack.processes import (
    STOP_SECONDS,
    alive,
)

STOP_ORDER = ("edge", "app", "patroni", "etcd")


def _stage(record: ProcessRecord) -> str:
    if record["host"] == "edge" and record["name"] != "payments-sandbox":
        return "edge"
    if record["name"].endswith("-patroni"):
        return "patroni"
    if record["name"].endswith("-etcd"):
        return "etcd"
    return "app"  # app hosts' processes, and the sandbox they call


def _stop_all(
    pids: dict[int, str], say: Callable[[str], None], sig: signal.Signals = signal.SIGTERM
) -> None:
    """Signal every pid at once, then wait for all; SIGKILL what outlives STOP_SECONDS."""
    began = time.monotonic()
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
    deadline = began + STOP_SECONDS
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.05)
    for pid, name in pids.items():
        if alive(pid):
            say(f"  {name} (pid {pid}) did not stop in {STOP_SECONDS:.0f}s: killed")
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    if pids:
        say(f"  stopped {', '.join(sorted(pids.values()))} in {time.monotonic() - began:.1f}s")


def stop_cluster(
    folder: Path,
    topology: Topology,
    state: ClusterState | None,
    say: Callable[[str], None] = print,
) -> None:
    """Stop every process of `state` (edge, app hosts, Patroni, etcd), any PostgreSQL whose
    Patroni was killed, then remove the network and the state file."""
    paths = Paths(folder)
    running = live_processes(state) if state is not None else []
    for stage in STOP_ORDER:
        _stop_all({p["pid"]: p["name"] for p in running if _stage(p) == stage}, say)
        if stage == "patroni":  # a Patroni stopped cleanly stops its PostgreSQL first
            orphans = {
                postmaster_pid(paths.node(h)): f"{h.name}-postgres" for h in topology.db_hosts
            }
            found = {pid: name for pid, name in orphans.items() if pid and is_postgres(pid)}
            _stop_all(found, say, signal.SIGINT)  # PostgreSQL's fast shutdown
    network.down(topology, state.get("owned") if state is not None else None)
    paths.state.unlink(missing_ok=True)


def is_postgres(pid: int) -> bool:
    try:
        return b"postgres" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
