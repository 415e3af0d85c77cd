"""The whole stack (`lastseat up`: DNS, firewall, proxy, app servers, database) on free
loopback ports, for the stack and browser tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from lastseat.client.resolve import resolving_transport
from lastseat.config import PROJECT_ROOT, Settings
from lastseat.stack.ports import free_pair, free_ports
from lastseat.stack.postgres import PostgresServer
from lastseat.stack.processes import alive, lastseat_argv
from lastseat.stack.state import read_state, state_path
from lastseat.stack.tls import ca_path
from tests.support.commands import lastseat
from tests.support.databases import fresh_pg_database
from tests.support.servers import server_env

STARTUP_SECONDS = 120.0
WAIT_SECONDS = 5.0  # bounds on waiting for a log line, not performance figures
DOMAIN = "lastseat.test"


@dataclass
class Stack:
    env: dict[str, str]
    folder: Path
    settings: Settings

    @property
    def url(self) -> str:
        return f"https://{DOMAIN}:{self.settings.https_port}"

    @property
    def ca(self) -> Path:
        return ca_path(self.folder)

    @property
    def dns(self) -> str:
        return f"127.0.0.1:{self.settings.dns_port}"

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))

    def transport(self) -> httpx.AsyncHTTPTransport:
        return resolving_transport(self.dns, verify=self.ssl_context())

    def client(self, local_address: str | None = None) -> httpx.AsyncClient:
        """An HTTPS client that resolves the site's name through lastseat's DNS tier; with
        `local_address`, one that connects from that loopback address instead (another
        client, as the firewall sees it) to the site's address."""
        if local_address is None:
            return httpx.AsyncClient(transport=self.transport(), base_url=self.url, timeout=30)
        direct = httpx.AsyncHTTPTransport(verify=self.ssl_context(), local_address=local_address)
        base = f"https://127.0.0.1:{self.settings.https_port}"
        return httpx.AsyncClient(transport=direct, base_url=base, timeout=30)

    def log(self, tier: str) -> str:
        """A tier's log: nginx access logs, or the app servers' output."""
        paths = {
            "firewall": [self.folder / "firewall" / "access.log"],
            "proxy": [self.folder / "proxy" / "access.log"],
            "app": sorted((self.folder / "logs").glob("app-*.log")),
        }[tier]
        return "\n".join(path.read_text() for path in paths if path.exists())

    def tiers(self) -> dict[str, int]:
        state = read_state(self.settings)
        assert state is not None
        return {t["name"]: int(t["pid"]) for t in state["tiers"]}

    def lastseat(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return lastseat({**self.env, "COLUMNS": "200"}, *args, timeout=timeout)

    async def status_once_up(self, seconds: float = 60) -> subprocess.CompletedProcess[str]:
        """`lastseat status`, asked every half second until it says every tier is up (or
        `seconds` have passed): the last answer."""
        shown = self.lastseat("status")
        for _ in range(int(seconds / 0.5)):
            if shown.returncode == 0:
                break
            await asyncio.sleep(0.5)
            shown = self.lastseat("status")
        return shown

    def restarts(self) -> dict[str, int]:
        state = read_state(self.settings)
        assert state is not None
        return {t["name"]: int(t.get("restarts", 0)) for t in state["tiers"]}


@contextlib.asynccontextmanager
async def running_stack(postgres: PostgresServer, **extra_env: str) -> AsyncIterator[Stack]:
    """`lastseat up` on free ports over a new database, with its own folder under var/;
    stopped, every tier checked gone by pid, and the database dropped on the way out."""
    async with fresh_pg_database(postgres) as database_url:
        with _up(database_url, **extra_env) as stack:
            yield stack


# A port picked free can still be taken before its tier binds it (by another test's pick):
# a stack whose start meets that is started again on new ports, once. Servers word it
# differently ("Address already in use", "address already in use"), hence the lower case.
PORT_TAKEN = "address already in use"


@contextlib.contextmanager
def _up(database_url: str, **extra_env: str) -> Iterator[Stack]:
    try:
        with _up_once(database_url, **extra_env) as stack:
            yield stack
            return
    except PortTaken:
        pass
    with _up_once(database_url, **extra_env) as stack:
        yield stack


class PortTaken(Exception):
    """The stack did not start: one of its picked ports was taken meanwhile."""


@contextlib.contextmanager
def _up_once(database_url: str, **extra_env: str) -> Iterator[Stack]:
    # Under the project's var/, not pytest's private temp folder: nginx workers run as
    # nobody and must be able to reach their temp files (pytest's base is mode 700).
    (PROJECT_ROOT / "var").mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="test-stack-", dir=PROJECT_ROOT / "var"))
    folder.chmod(0o755)
    dns, doh, https, http, proxy, proxy_grpc, grpc_port, sandbox, mail, mailer = free_ports(10)
    env = server_env(
        database_url,
        LASTSEAT_STACK_DIR=str(folder),
        LASTSEAT_DNS_PORT=str(dns),
        LASTSEAT_DOH_PORT=str(doh),
        LASTSEAT_HTTPS_PORT=str(https),
        LASTSEAT_HTTP_PORT=str(http),
        LASTSEAT_PROXY_PORT=str(proxy),
        LASTSEAT_PROXY_GRPC_PORT=str(proxy_grpc),
        LASTSEAT_APP_PORT=str(free_pair()),
        LASTSEAT_GRPC_PORT=str(grpc_port),
        LASTSEAT_PAYMENTS_URL=f"http://127.0.0.1:{sandbox}",
        LASTSEAT_MAIL_CATCHER_PORT=str(mail),
        LASTSEAT_MAIL_RELAY_PORT=str(mail),
        LASTSEAT_MAILER_PORT=str(mailer),
        LASTSEAT_MAIL_SEND_INTERVAL_SECONDS="0.2",
        **{
            "LASTSEAT_RATE_LIMIT_PER_SECOND": "100",
            "LASTSEAT_RATE_LIMIT_BURST": "200",
            "LASTSEAT_DENY_ADDRESSES": '["127.0.0.66"]',
            "LASTSEAT_LOG_FLUSH_SECONDS": "0.2",
            **extra_env,
        },
    )
    settings = Settings(
        _env_file=None,
        stack_dir=folder, dns_port=dns, doh_port=doh, https_port=https, http_port=http,
        proxy_port=proxy, proxy_grpc_port=proxy_grpc, grpc_port=grpc_port,
        payments_url=f"http://127.0.0.1:{sandbox}", app_port=int(env["LASTSEAT_APP_PORT"]),
        mail_catcher_port=mail, mailer_port=mailer,
    )  # fmt: skip
    log = folder / "up.log"
    with log.open("wb") as sink:
        up = subprocess.Popen(
            lastseat_argv("up", "--flights", "3"),
            env={**env, "COLUMNS": "200"},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    stack = Stack(env, folder, settings)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while "lastseat is up" not in log.read_text():
            if up.poll() is not None and PORT_TAKEN in log.read_text().lower():
                raise PortTaken(log.read_text())
            assert up.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"stack not up in {STARTUP_SECONDS}s"
            time.sleep(0.2)
        yield stack
    finally:
        pids = list(stack.tiers().values()) if state_path(stack.settings).exists() else []
        up.send_signal(signal.SIGINT)  # Ctrl-C: `up` stops every tier, outermost first
        try:
            up.wait(timeout=60)
        except subprocess.TimeoutExpired:
            up.kill()
            up.wait(timeout=5)
        leftover = [pid for pid in pids if alive(pid)]
        for pid in leftover:
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(folder, ignore_errors=True)
        assert not leftover, f"tiers outlived `up`: {leftover}"


async def eventually_in(stack: Stack, tier: str, text: str) -> None:
    """Wait for `text` in a tier's log (logs are written in batches)."""
    for _ in range(int(WAIT_SECONDS / 0.1)):
        if text in stack.log(tier):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{text!r} not in the {tier} log")
