"""What Patroni says of the database hosts (its REST API), and where it runs from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from lastseat.cluster.topology import (
    PATRONI_PORT,
    Host,
    Topology,
)
from lastseat.config import PROJECT_ROOT


def patroni_bin() -> str:
    """Patroni in the venv scripts/setup makes for it on Debian's python3 (it runs as the
    postgres user, which must reach its interpreter; it starts PostgreSQL through it)."""
    return str(PROJECT_ROOT / ".venv-patroni" / "bin" / "patroni")


def leader(topology: Topology, timeout: float = 1.0) -> Host | None:
    """The database host whose Patroni says it is the primary now, if any."""
    for host in topology.db_hosts:
        try:
            answer = httpx.get(f"http://{host.address}:{PATRONI_PORT}/primary", timeout=timeout)
        except httpx.HTTPError:
            continue
        if answer.status_code == 200:
            return host
    return None


def members(topology: Topology) -> list[dict[str, Any]]:
    """Patroni's view of the cluster (name, role, state, lag), from any database host."""
    for host in topology.db_hosts:
        try:
            answer = httpx.get(f"http://{host.address}:{PATRONI_PORT}/cluster", timeout=1)
        except httpx.HTTPError:
            continue
        if answer.status_code == 200:
            found: list[dict[str, Any]] = answer.json().get("members", [])
            return found
    return []


def postmaster_pid(node_dir: Path) -> int | None:
    try:
        return int((node_dir / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
