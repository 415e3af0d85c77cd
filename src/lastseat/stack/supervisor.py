"""`lastseat up / down / status`: the five tiers as processes, started, watched, stopped.

Started bottom-up, each waited for before the next (a tier opens only once what it
forwards to answers): payment sandbox, app servers, gRPC servers, reverse proxy, firewall,
DNS. The database comes first of all: migrations are applied before any of them. Stopped
top-down. What runs is written to var/stack/state.json (tier, pid, port), which `down` and
`status` read; every tier logs to var/stack/logs/.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dns.message
import dns.query
import dns.rdatatype
import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

from lastseat.config import Settings
from lastseat.stack import nginx
from lastseat.stack.tls import SiteCertificates, ensure_certificates

READY_SECONDS = 45.0
STOP_SECONDS = 15.0


@dataclass
class Tier:
    name: str
    argv: list[str]
    port: int
    ready: Callable[[], bool]
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None


def http_ok(url: str, verify: str | bool = False) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(url, timeout=1, verify=verify).status_code == 200
        except httpx.HTTPError:
            return False

    return check


def grpc_serving(target: str) -> Callable[[], bool]:
    def check() -> bool:
        with grpc.insecure_channel(target) as channel:
            try:
                answer = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=1
                )
            except grpc.RpcError:
                return False
        return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)

    return check


def _dns_answers(settings: Settings) -> Callable[[], bool]:
    def check() -> bool:
        query = dns.message.make_query(settings.site_domain, dns.rdatatype.A)
        try:
            reply = dns.query.udp(query, "127.0.0.1", timeout=1, port=settings.dns_port)
        except (OSError, dns.exception.DNSException):
            return False
        return bool(reply.answer)

    return check


def _lastseat(*args: str) -> list[str]:
    return [sys.executable, "-m", "lastseat.entrypoints.cli.main", *args]


def tier_env(settings: Settings) -> dict[str, str]:
    """What every app process is told about its place in the stack."""
    origin = f"https://{settings.site_domain}:{settings.https_port}"
    return {
        "LASTSEAT_PUBLIC_ORIGIN": origin,
        "LASTSEAT_COOKIE_SECURE": "true",
    }


def plan(settings: Settings, certs: SiteCertificates) -> list[Tier]:
    env = tier_env(settings)
    tiers = [
        Tier(
            "payments-sandbox",
            _lastseat("payments-sandbox", "--port", str(settings.sandbox_port)),
            settings.sandbox_port,
            http_ok(f"http://127.0.0.1:{settings.sandbox_port}/healthz"),
            env,
        )
    ]
    for i, port in enumerate(settings.app_ports):
        tiers.append(
            Tier(
                f"app-{i + 1}",
                _lastseat("serve", "--host", "127.0.0.1", "--port", str(port)),
                port,
                http_ok(f"http://127.0.0.1:{port}/readyz"),
                env,
            )
        )
    for i, port in enumerate(settings.grpc_ports):
        tiers.append(
            Tier(
                f"grpc-{i + 1}",
                _lastseat("serve-grpc", "--host", "127.0.0.1", "--port", str(port)),
                port,
                grpc_serving(f"127.0.0.1:{port}"),
                env,
            )
        )
    tiers.append(
        Tier(
            "proxy",
            nginx.nginx_command(nginx.write_proxy(settings)),
            settings.proxy_port,
            http_ok(f"http://127.0.0.1:{settings.proxy_port}/readyz"),
        )
    )
    https = f"https://{settings.site_address}:{settings.https_port}"
    tiers.append(
        Tier(
            "firewall",
            nginx.nginx_command(nginx.write_firewall(settings, certs)),
            settings.https_port,
            http_ok(f"{https}/readyz", verify=str(certs.ca_cert)),
        )
    )
    tiers.append(
        Tier("dns", _lastseat("stack-dns"), settings.dns_port, _dns_answers(settings), env)
    )
    return tiers


class Supervisor:
    def __init__(self, settings: Settings, say: Callable[[str], None] = print) -> None:
        self.settings = settings
        self.say = say
        self.logs = settings.stack_dir / "logs"
        self.state_file = settings.stack_dir / "state.json"
        self.certs = ensure_certificates(settings.stack_dir / "tls", settings.site_domain)
        self.tiers: list[Tier] = []
        self._stopping = False

    def start(self) -> None:
        """Start every tier in order; on any failure, stop what started and raise."""
        missing = nginx.missing_packages()
        if missing:
            raise RuntimeError(
                "missing Debian packages: " + " ".join(missing) + " (run scripts/setup as root)"
            )
        self.logs.mkdir(parents=True, exist_ok=True)
        self.tiers = plan(self.settings, self.certs)
        base_env = dict(os.environ)
        try:
            for tier in self.tiers:
                self._free(tier)
                with (self.logs / f"{tier.name}.log").open("ab") as sink:
                    tier.process = subprocess.Popen(
                        tier.argv,
                        env={**base_env, **tier.env},
                        stdout=sink,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,  # Ctrl-C reaches `up`, which stops them in order
                    )
                self._write_state()
                self._wait_ready(tier)
                self.say(f"  {tier.name:<18} up on port {tier.port} (pid {tier.process.pid})")
        except BaseException:
            self.stop()
            raise

    def _free(self, tier: Tier) -> None:
        if port_open(tier.port):
            raise RuntimeError(f"port {tier.port} for {tier.name} is taken: is a stack up?")

    def _wait_ready(self, tier: Tier) -> None:
        assert tier.process is not None
        wait_ready(tier.name, tier.process, tier.ready, self.logs / (tier.name + ".log"))

    def _write_state(self) -> None:
        state = {
            "supervisor": os.getpid(),
            "tiers": [
                {"name": t.name, "pid": t.process.pid, "port": t.port}
                for t in self.tiers
                if t.process is not None
            ],
        }
        self.state_file.write_text(json.dumps(state, indent=2))

    def watch(self) -> None:
        """Until asked to stop: report any tier that dies (status shows it as down)."""
        reported: set[str] = set()
        while not self._stopping:
            for tier in self.tiers:
                if tier.process is not None and tier.process.poll() is not None:
                    if tier.name not in reported:
                        self.say(f"  {tier.name} exited ({tier.process.returncode})")
                        reported.add(tier.name)
            time.sleep(0.5)

    def request_stop(self, *_: object) -> None:
        self._stopping = True

    def stop(self) -> None:
        for tier in reversed(self.tiers):
            if tier.process is not None:
                stop_pid(tier.process.pid)
                tier.process.wait(timeout=STOP_SECONDS)
        self.state_file.unlink(missing_ok=True)


def wait_ready(
    name: str, process: subprocess.Popen[bytes], ready: Callable[[], bool], log: Path | str
) -> None:
    """Until `ready()` says so; a process that exits first, or takes too long, is an error."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}; see {log}")
        if ready():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{name} not ready in {READY_SECONDS:.0f}s")


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


def read_state(settings: Settings) -> dict[str, object] | None:
    path = settings.stack_dir / "state.json"
    if not path.exists():
        return None
    state: dict[str, object] = json.loads(path.read_text())
    return state


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0
