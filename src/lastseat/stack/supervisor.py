"""`lastseat up / down / status`: the five tiers as processes, started, watched, stopped.

Started bottom-up, each waited for before the next (a tier opens only once what it
forwards to answers): payment sandbox, mail catcher, mailer, app servers, gRPC servers,
reverse proxy, the firewall's log tier, firewall, DNS. The database comes first of all:
migrations are applied before any of them. Stopped top-down. What runs is written to
var/stack/state.json (tier, pid, port), which `down` and `status` read; every tier logs
to var/stack/logs/.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from lastseat.config import Settings
from lastseat.stack import nginx
from lastseat.stack.ports import free_port, port_open, reserve_udp_and_tcp_port
from lastseat.stack.processes import (
    STOP_SECONDS,
    lastseat_argv,
    started_at,
    stop_pid,
    wait_ready,
    workers_of,
)
from lastseat.stack.readiness import app_ready, dns_answers, grpc_serving, http_ok
from lastseat.stack.state import forget_state, write_state
from lastseat.stack.tls import SiteCertificates, certificates_folder, ensure_certificates

REVIVE_MAX_SECONDS = 30.0
STABLE_SECONDS = 60.0  # a tier that ran this long before dying starts from a short wait
PROXY_RELOAD_SECONDS = 20.0  # nginx's worker_shutdown_timeout (10 s), and some


@dataclass
class Tier:
    name: str
    argv: list[str]
    port: int
    ready: Callable[[], bool]
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0
    crashes_in_a_row: int = 0  # deaths soon after a start: each doubles the next wait
    revive_at: float | None = None  # when a dead tier is started again
    held: list[socket.socket] = field(default_factory=list)  # its port, until it starts


def revive_delay(crashes_in_a_row: int) -> float:
    """Seconds to wait before starting a dead tier again: 0.5 s, doubling, at most 30 s."""
    return float(min(REVIVE_MAX_SECONDS, 0.5 * 2 ** min(crashes_in_a_row, 10)))


def tier_env(settings: Settings) -> dict[str, str]:
    """What every app process is told about its place in the stack."""
    origin = f"https://{settings.site_domain}:{settings.https_port}"
    return {
        "LASTSEAT_PUBLIC_ORIGIN": origin,
        "LASTSEAT_COOKIE_SECURE": "true",
        # The mailer tier sends the outbox: no server loads the e-tickets' PDF stack.
        "LASTSEAT_MAIL_SEND_IN_SERVERS": "false",
    }


def app_server_argv(port: int) -> list[str]:
    return lastseat_argv("serve", "--host", "127.0.0.1", "--port", str(port))


def plan(settings: Settings, certs: SiteCertificates) -> list[Tier]:
    env = tier_env(settings)
    tiers = [
        Tier(
            "payments-sandbox",
            lastseat_argv("payments-sandbox", "--port", str(settings.sandbox_port)),
            settings.sandbox_port,
            http_ok(f"http://127.0.0.1:{settings.sandbox_port}/healthz"),
            env,
        ),
        # Before the app servers, which send to it (their outbox waits while it is down).
        Tier(
            "mail",
            lastseat_argv(
                "stack-mail",
                "--port",
                str(settings.mail_catcher_port),
                "--folder",
                str(settings.mail_folder),
            ),
            settings.mail_catcher_port,
            partial(port_open, settings.mail_catcher_port),
        ),
        Tier(
            "mailer",
            lastseat_argv("mailer", "--port", str(settings.mailer_port)),
            settings.mailer_port,
            http_ok(f"http://127.0.0.1:{settings.mailer_port}/healthz"),
            env,
        ),
    ]
    for i, port in enumerate(settings.app_ports):
        tiers.append(
            Tier(
                f"app-{i + 1}",
                app_server_argv(port),
                port,
                app_ready(port),
                env,
            )
        )
    for i, port in enumerate(settings.grpc_ports):
        tiers.append(
            Tier(
                f"grpc-{i + 1}",
                lastseat_argv("serve-grpc", "--host", "127.0.0.1", "--port", str(port)),
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
    # The firewall's log tier, before the firewall: its lines are lost while none listens.
    # Its port is held from now until it starts: no connection of the tiers started before
    # it (to PostgreSQL, say) gets it as its own.
    waf_log_port, held = reserve_udp_and_tcp_port()
    firewall_dir = str(nginx.firewall_dir(settings))
    waf_log_argv = ["stack-waf-log", "--port", str(waf_log_port), "--folder", firewall_dir]
    ready = partial(port_open, waf_log_port)
    tiers.append(Tier("waf-log", lastseat_argv(*waf_log_argv), waf_log_port, ready, held=held))
    https = f"https://{settings.site_address}:{settings.https_port}"
    tiers.append(
        Tier(
            "firewall",
            nginx.nginx_command(nginx.write_firewall(settings, certs, waf_log_port)),
            settings.https_port,
            http_ok(f"{https}/readyz", verify=str(certs.ca_cert)),
            nginx.firewall_environment(),
        )
    )
    tiers.append(
        Tier("dns", lastseat_argv("stack-dns"), settings.dns_port, dns_answers(settings), env)
    )
    return tiers


class Supervisor:
    def __init__(self, settings: Settings, say: Callable[[str], None] = print) -> None:
        self.settings = settings
        self.say = say
        self.logs = settings.stack_dir / "logs"
        self.certs = ensure_certificates(
            certificates_folder(settings.stack_dir), settings.site_domain
        )
        self.tiers: list[Tier] = []
        self._stopping = False
        self._roll_requested = False
        self._incoming: Tier | None = None  # an app server a rolling restart is starting
        self._env = dict(os.environ)

    def start(self) -> None:
        """Start every tier in order; on any failure, stop what started and raise."""
        missing = nginx.missing_packages()
        if missing:
            raise RuntimeError(
                "missing Debian packages: " + " ".join(missing) + " (run scripts/setup as root)"
            )
        self.logs.mkdir(parents=True, exist_ok=True)
        self.tiers = plan(self.settings, self.certs)
        try:
            for tier in self.tiers:
                self._free(tier)
                self._spawn(tier)
                self._wait_ready(tier)
                assert tier.process is not None
                self.say(f"  {tier.name:<18} up on port {tier.port} (pid {tier.process.pid})")
        except BaseException:
            self.stop()
            raise

    def _spawn(self, tier: Tier) -> None:
        while tier.held:
            tier.held.pop().close()
        with (self.logs / f"{tier.name}.log").open("ab") as sink:
            tier.process = subprocess.Popen(
                tier.argv,
                env={**self._env, **tier.env},
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches `up`, which stops them in order
            )
        tier.started_at = time.monotonic()
        self._write_state()

    def _free(self, tier: Tier) -> None:
        if port_open(tier.port):
            raise RuntimeError(f"port {tier.port} for {tier.name} is taken: is a stack up?")

    def _wait_ready(self, tier: Tier) -> None:
        assert tier.process is not None
        wait_ready(tier.name, tier.process, tier.ready, self.logs / (tier.name + ".log"))

    def _write_state(self) -> None:
        tiers = [*self.tiers, *([self._incoming] if self._incoming else [])]
        write_state(
            self.settings,
            [
                {
                    "name": t.name,
                    "pid": t.process.pid,
                    "port": t.port,
                    "restarts": t.restarts,
                    "started": started_at(t.process.pid),
                }
                for t in tiers
                if t.process is not None
            ],
        )

    def watch(self) -> None:
        """Until asked to stop: start again any tier that dies (after a wait that doubles
        while it keeps dying), and roll the app servers when asked (`lastseat restart app`)."""
        while not self._stopping:
            if self._roll_requested:
                self._roll_requested = False
                self._roll_app_servers()
            for tier in self.tiers:
                self._revive_if_dead(tier)
            time.sleep(0.2)

    def _revive_if_dead(self, tier: Tier) -> None:
        if tier.process is None or tier.process.poll() is None or self._stopping:
            return
        now = time.monotonic()
        if tier.revive_at is None:
            ran = now - tier.started_at
            tier.crashes_in_a_row = 0 if ran >= STABLE_SECONDS else tier.crashes_in_a_row + 1
            delay = revive_delay(tier.crashes_in_a_row)
            tier.revive_at = now + delay
            self.say(
                f"  {tier.name} exited ({tier.process.returncode}) after {ran:.0f}s;"
                f" starting it again in {delay:.1f}s"
            )
            return
        if now < tier.revive_at or port_open(tier.port):
            return  # (a port still held by a dying child waits for the next turn)
        tier.revive_at = None
        tier.restarts += 1
        self._spawn(tier)
        assert tier.process is not None
        self.say(f"  {tier.name} started again (pid {tier.process.pid}, restart {tier.restarts})")

    def request_stop(self, *_: object) -> None:
        self._stopping = True

    def request_roll(self, *_: object) -> None:
        self._roll_requested = True

    def _roll_app_servers(self) -> None:
        """Replace the app servers one at a time with no request lost: start the new one on
        a free port and wait until it is ready, point the proxy at it (nginx reloads
        gracefully: old workers finish their requests), then stop the old one (uvicorn
        drains: it finishes what it is serving before it exits)."""
        apps = [t for t in self.tiers if t.name.startswith("app-")]
        proxy = next(t for t in self.tiers if t.name == "proxy")
        for tier in apps:
            if proxy.process is None or proxy.process.poll() is not None:
                self.say("  rolling restart stopped: the proxy is down (it is started again)")
                return
            old = tier.process
            port = free_port()
            fresh = Tier(
                f"{tier.name}-next", app_server_argv(port), port, app_ready(port), tier.env
            )
            self._incoming = fresh  # in state.json too: `down` stops it if we die now
            try:
                self._spawn(fresh)
                self._wait_ready(fresh)
                self._reload_proxy(proxy, [fresh.port if t is tier else t.port for t in apps])
            except (RuntimeError, OSError) as failure:
                self.say(f"  rolling restart stopped: {failure}")
                if fresh.process is not None:
                    stop_pid(fresh.process.pid)
                nginx.write_proxy(self.settings, [t.port for t in apps])
                return
            finally:
                self._incoming = None
            tier.argv, tier.port, tier.ready = fresh.argv, port, fresh.ready
            tier.process, tier.started_at = fresh.process, fresh.started_at
            tier.restarts += 1
            tier.revive_at, tier.crashes_in_a_row = None, 0
            if old is not None:
                stop_pid(old.pid)
                old.wait(timeout=STOP_SECONDS)
            self._write_state()
            assert tier.process is not None
            self.say(f"  {tier.name} replaced: port {port} (pid {tier.process.pid})")

    def _reload_proxy(self, proxy: Tier, app_ports: list[int]) -> None:
        """Point the proxy at `app_ports` and wait until no old worker is left."""
        nginx.write_proxy(self.settings, app_ports)
        assert proxy.process is not None
        before = workers_of(proxy.process.pid)
        os.kill(proxy.process.pid, signal.SIGHUP)  # (ProcessLookupError: the roll stops)
        deadline = time.monotonic() + PROXY_RELOAD_SECONDS
        while time.monotonic() < deadline:
            if not before & workers_of(proxy.process.pid):
                return
            time.sleep(0.1)
        self.say("  the proxy's old workers outlived the reload's bound; going on")

    def stop(self) -> None:
        for tier in reversed(self.tiers):
            if tier.process is not None:
                stop_pid(tier.process.pid)
                tier.process.wait(timeout=STOP_SECONDS)
        forget_state(self.settings)
