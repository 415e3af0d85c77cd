"""`lastseat dev`: just the app (an app server, a gRPC server, the payment sandbox and the
mail catcher) on this machine, without the rest of the stack."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated

import typer

from lastseat.entrypoints.cli.running import notes
from lastseat.entrypoints.cli.starting import first_start_secrets, prepare_database
from lastseat.stack.ports import port_open
from lastseat.stack.processes import start_bound_child, wait_ready
from lastseat.stack.readiness import grpc_serving, http_ok

STOP_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Server:
    name: str
    where: str  # where it answers, as said once it does
    ready: Callable[[], bool]
    command: list[str]  # a `lastseat` command


def _exit_on_sigterm(signum: int, _: object) -> None:
    raise SystemExit(0)  # stopped like Ctrl-C: the `finally` stops the servers


def dev(
    host: Annotated[
        str, typer.Option(metavar="ADDRESS", help="address the app and gRPC servers listen on")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="the app server's (HTTP) port")] = 3001,
    grpc_port: Annotated[int, typer.Option(metavar="PORT", help="the gRPC server's port")] = 3051,
    flights: Annotated[
        int, typer.Option(metavar="N", help="sample flights to make if there are none")
    ] = 50,
) -> None:
    """Just the app: one app server, one gRPC server, the payment sandbox and the mail
    catcher, no stack. It says it is up once each of them answers; Ctrl-C stops them all."""
    settings = first_start_secrets()
    prepare_database(settings, flights)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    local = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - compared only
    # In the order started: the app takes payments from the sandbox and sends mail to the
    # catcher, so both are ready first, as under `up`. The gRPC server comes last: its
    # readiness check starts gRPC's own threads in this process, and a child started after
    # that is forked (preexec_fn) with gRPC's fork handlers, which can abort it before its
    # exec (CI: "pthread_create failed", the app server dead of SIGABRT).
    mail_port = settings.mail_catcher_port
    servers = [
        Server(
            "payment sandbox",
            settings.payments_url,
            http_ok(f"http://127.0.0.1:{settings.sandbox_port}/healthz"),
            ["payments-sandbox", "--port", str(settings.sandbox_port)],
        ),
        Server(
            "mail catcher",
            f"smtp://127.0.0.1:{mail_port} (kept in {settings.mail_folder})",
            partial(port_open, mail_port),
            ["stack-mail", "--port", str(mail_port), "--folder", str(settings.mail_folder)],
        ),
        Server(
            "app server",
            f"http://{host}:{port}",
            http_ok(f"http://{local}:{port}/readyz"),
            ["serve", "--host", host, "--port", str(port)],
        ),
        Server(
            "gRPC server",
            f"{host}:{grpc_port} (lastseat.v1.Booking)",
            grpc_serving(f"{local}:{grpc_port}"),
            ["serve-grpc", "--host", host, "--port", str(grpc_port)],
        ),
    ]
    children: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for server in servers:
            _start(children, server)
        for server in servers:
            notes.print(f"{server.name} on {server.where} (pid {children[server.name].pid})")
        notes.print(f"lastseat is up: http://{host}:{port}/api/v1/flights  (docs: /api/docs)")
        notes.print("an admin account: .venv/bin/lastseat admin create-user EMAIL --admin")
        _until_one_exits(children)
    finally:
        for child in reversed(children.values()):
            child.terminate()
            try:
                child.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(timeout=STOP_SECONDS)


def _start(children: dict[str, subprocess.Popen[bytes]], server: Server) -> None:
    """The server as a child, once it answers (exit 1 if it does not)."""
    child = start_bound_child(*server.command)
    children[server.name] = child
    try:
        wait_ready(server.name, child, server.ready, "the output above")
    except RuntimeError as exc:
        notes.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None


def _until_one_exits(children: dict[str, subprocess.Popen[bytes]]) -> None:
    while True:
        for name, child in children.items():
            if child.poll() is not None:
                notes.print(f"[red]the {name} exited with {child.returncode}[/red]")
                raise typer.Exit(1)
        time.sleep(0.5)
