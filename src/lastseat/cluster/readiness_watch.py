"""The edge's readiness watcher (`lastseat cluster watch-readiness`, started by `cluster
up`): polls each app host's /readyz every second and, when the hosts to take out of
balancing change (cluster/balancing.py), writes the proxy's config again with those hosts'
servers marked down and reloads the proxy gracefully (SIGHUP to its master: the old
workers finish what they serve).

The proxy itself cannot do this: it passes 503s on by design (a failover makes every host
answer 503, and counting those as failures took every host out), and open-source nginx has
no active health checks.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from lastseat.cluster.balancing import ReadinessView
from lastseat.cluster.state import Paths, read_state, state_topology
from lastseat.cluster.topology import APP_PORT, Topology
from lastseat.config import Settings
from lastseat.stack import nginx
from lastseat.stack.processes import still_runs

POLL_SECONDS = 1.0
ANSWER_SECONDS = 0.8  # a host slower than this to say it is ready counts as not ready


def status_path(folder: Path) -> Path:
    """What the watcher saw last (each host ready or not, which are taken out): for
    `cluster status`."""
    return Paths(folder).edge / "balancing.json"


async def _is_ready(client: httpx.AsyncClient, address: str) -> bool:
    try:
        answer = await client.get(f"http://{address}:{APP_PORT}/readyz")
    except httpx.HTTPError:
        return False
    return answer.status_code == 200


class ReadinessWatch:
    def __init__(
        self, folder: Path, settings: Settings, say: Callable[[str], None] = print
    ) -> None:
        state = read_state(folder)
        if state is None:
            raise RuntimeError(f"no cluster state in {folder}")
        self.folder = folder
        self.topology: Topology = state_topology(state)
        self.edge = settings.model_copy(update={"stack_dir": Paths(folder).edge})
        self.say = say
        self.view = ReadinessView(h.name for h in self.topology.app_hosts)
        self.out: frozenset[str] = frozenset()

    async def run(self) -> None:
        self._write_status()
        async with httpx.AsyncClient(timeout=ANSWER_SECONDS) as client:
            while True:
                await asyncio.gather(self.poll(client), asyncio.sleep(POLL_SECONDS))

    async def poll(self, client: httpx.AsyncClient) -> None:
        hosts = self.topology.app_hosts
        answers = await asyncio.gather(*(_is_ready(client, h.address) for h in hosts))
        if not self.view.observe({h.name: ready for h, ready in zip(hosts, answers, strict=True)}):
            return
        ready = sorted(name for name, is_ready in self.view.ready.items() if is_ready)
        out = self.view.taken_out()
        self.say(
            f"ready: {', '.join(ready) or 'none'}; taken out: {', '.join(sorted(out)) or 'none'}"
        )
        if out != self.out:
            self._rebalance(out)
        self._write_status()

    def _rebalance(self, out: frozenset[str]) -> None:
        down = {h.address for h in self.topology.app_hosts if h.name in out}
        nginx.write_proxy(
            self.edge,
            app_servers=self.topology.app_upstreams,
            grpc_servers=self.topology.grpc_upstreams,
            down_hosts=down,
        )
        self.out = out
        self._reload_proxy()

    def _reload_proxy(self) -> None:
        state = read_state(self.folder)
        records = [p for p in state["processes"] if p["name"] == "proxy"] if state else []
        for record in records:
            if still_runs(record["pid"], record.get("started")):
                os.kill(record["pid"], signal.SIGHUP)  # nginx's master: reload, gracefully
                self.say(f"proxy (pid {record['pid']}) reloaded")
                return
        self.say("the proxy is not running: its config is written for its next start")

    def _write_status(self) -> None:
        path = status_path(self.folder)
        partial = path.with_suffix(".tmp")
        partial.write_text(
            json.dumps(
                {
                    "ready": self.view.ready,
                    "taken_out": sorted(self.out),
                    "at": datetime.now(UTC).isoformat(timespec="seconds"),
                }
            )
        )
        partial.replace(path)


def read_status(folder: Path) -> dict[str, object] | None:
    try:
        found: dict[str, object] = json.loads(status_path(folder).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return found
