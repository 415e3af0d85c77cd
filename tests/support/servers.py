"""App server processes for end-to-end tests: loopback only, free ports, stopped by pid."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from lastseat.stack.ports import free_port
from lastseat.stack.processes import SERVER_MODULE
from lastseat.stack.readiness import grpc_serving as serving

STARTUP_SECONDS = 30.0
PAYMENTS_KEY = "sk_test_e2e_payments_key_never_to_be_seen"
# Put in the PostgreSQL URL of the end-to-end stack (trust auth ignores it) so the leak
# tests can look for it.
DATABASE_PASSWORD = "e2e-database-password-never-to-be-seen"
# The end-to-end app servers: how many, their admin account, and their per-reader queue of
# seat changes (the default: the slow-consumer test must fill the socket's buffers, some
# megabytes, whatever the queue, and the outbox is read in batches no larger than it).
APP_SERVERS = 2
ADMIN = ("admin@example.com", "admin-password-1")
WATCH_QUEUE_LIMIT = 1_024


NO_ENV_FILE = "/dev/null/lastseat.env"


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LASTSEAT_")}
    env.update(
        # No env file: not even root can create one under /dev/null (a "/nonexistent" folder,
        # once made by a stray `up`, fed one machine-wide file to every later test).
        LASTSEAT_ENV_FILE=NO_ENV_FILE,
        LASTSEAT_DATABASE_URL=database_url,
        LASTSEAT_ARGON2_TIME_COST="1",
        LASTSEAT_ARGON2_MEMORY_KIB="8192",
        LASTSEAT_ARGON2_PARALLELISM="1",
        LASTSEAT_POOL_TIMEOUT_SECONDS="30",
        LASTSEAT_TOKEN_SIGNING_KEY="e2e-signing-key-never-to-be-seen",
        LASTSEAT_PAYMENTS_SECRET_KEY=PAYMENTS_KEY,
        LASTSEAT_PAYMENTS_TIMEOUT_SECONDS="1",
        LASTSEAT_SANDBOX_DELAY_SECONDS="3",
        # every test client comes from 127.0.0.1: the per-address limits would count all of
        # them as one party (the throttling and seat-spinning tests set their own limits)
        LASTSEAT_LOGIN_MAX_FAILURES_PER_ADDRESS="100000",
        LASTSEAT_SIGNUPS_PER_ADDRESS="100000",
        LASTSEAT_HOLDS_PER_ADDRESS="100000",
        # and many tests drive seat changes from one account: the rate has tests of its own
        LASTSEAT_HOLDS_PER_CUSTOMER="100000",
        LASTSEAT_HOLD_MAX_ADDRESS_SHARE_PERCENT="100",
        # no mail to a developer's own stack on the default port: a closed one (the outbox
        # keeps retrying; the stack tests point it at their own catcher)
        LASTSEAT_MAIL_RELAY_PORT="1",
    )
    env.update(extra)
    return env


@dataclass
class AppServer:
    """A `lastseat` server process: the app server by default, or another command of it."""

    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    command: str = "serve"
    ready_path: str = "/readyz"
    # How to tell it is ready, when not by HTTP (the gRPC server answers health checks).
    ready_check: Callable[[AppServer], bool] | None = None
    # What runs the command: the CLI, or a test's wrapper of it (tests/support/stalled_server.py).
    launcher: tuple[str, ...] = (SERVER_MODULE,)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> AppServer:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                *self.launcher,
                self.command,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"app server exited early; see {self.log_path}")
            if self._ready():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"app server not ready within {STARTUP_SECONDS}s; see {self.log_path}")

    def _ready(self) -> bool:
        if self.ready_check is not None:
            return self.ready_check(self)
        try:
            return httpx.get(self.url + self.ready_path, timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        if self.process is None:
            return
        pid = self.process.pid
        if self.process.poll() is None:
            os.kill(pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.process = None


def grpc_serving(server: AppServer) -> bool:
    """The gRPC server's own health service says SERVING."""
    return serving(f"127.0.0.1:{server.port}")()


@dataclass
class AppServers:
    """The end-to-end tests' app server processes (no firewall, proxy or DNS in front) over
    one database, with the payment provider's sandbox beside them and an admin's token."""

    database_url: str
    servers: list[AppServer]
    admin_token: str
    sandbox: AppServer
    env: dict[str, str]

    def url(self, index: int = 0) -> str:
        return self.servers[index % len(self.servers)].url
