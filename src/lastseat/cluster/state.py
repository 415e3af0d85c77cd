"""The cluster's record of itself: <folder>/state.json (every process: name, host, pid,
start time), its folders, and the secrets `up` generates once."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import NotRequired, TypedDict

from lastseat.cluster import configs
from lastseat.cluster.topology import (
    NETWORK,
    PREFIX,
    Host,
    Topology,
    topology,
)
from lastseat.config import PROJECT_ROOT
from lastseat.stack.processes import (
    still_runs,
)

DEFAULT_FOLDER = PROJECT_ROOT / "var" / "cluster"


class ProcessRecord(TypedDict):
    name: str
    host: str  # a host's name, or "edge" (the root namespace)
    pid: int
    started: int | None


class ClusterState(TypedDict):
    launcher: int
    app_hosts: int
    db_hosts: int
    prefix: str
    network: str  # the /24's first three octets
    processes: list[ProcessRecord]
    # The namespaces, links and bridge this cluster made (older files: none recorded, all
    # of its topology's): `down` removes these and nothing else.
    owned: NotRequired[list[str]]


@dataclass
class Paths:
    folder: Path

    @property
    def state(self) -> Path:
        return self.folder / "state.json"

    @property
    def secrets(self) -> Path:
        return self.folder / "secrets.json"

    @property
    def logs(self) -> Path:
        return self.folder / "logs"

    @property
    def edge(self) -> Path:
        return self.folder / "edge"

    def node(self, host: Host) -> Path:
        return self.folder / host.name


def read_state(folder: Path) -> ClusterState | None:
    try:
        state: ClusterState = json.loads(Paths(folder).state.read_text())
    except FileNotFoundError:
        return None
    return state


def state_topology(state: ClusterState) -> Topology:
    """The shape a state file's cluster was started with (older files: the defaults)."""
    return topology(
        state["app_hosts"],
        state["db_hosts"],
        state.get("prefix", PREFIX),
        state.get("network", NETWORK),
    )


def _write_state(paths: Paths, state: ClusterState) -> None:
    paths.folder.mkdir(parents=True, exist_ok=True)
    partial_file = paths.state.with_suffix(".tmp")
    partial_file.write_text(json.dumps(state, indent=2))
    partial_file.replace(paths.state)


def live_processes(state: ClusterState) -> list[ProcessRecord]:
    return [p for p in state["processes"] if still_runs(p["pid"], p.get("started"))]


def cluster_secrets(paths: Paths) -> dict[str, str]:
    """The database passwords (superuser, replication, rewind, the app's role): made once,
    kept in <folder>/secrets.json (mode 0600)."""
    try:
        kept: dict[str, str] = json.loads(paths.secrets.read_text())
        return kept
    except FileNotFoundError:
        pass
    made = {name: secrets.token_urlsafe(24) for name in configs.secrets_placeholder()}
    paths.folder.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(paths.secrets, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as sink:
        sink.write(json.dumps(made))
    return made
