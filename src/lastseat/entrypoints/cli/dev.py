"""`lastseat dev`: just the app (an app server, a gRPC server, the payment sandbox) on
this machine, without the rest of the stack."""

from __future__ import annotations

from typing import Annotated

import typer

from lastseat.entrypoints.cli.running import console
from lastseat.entrypoints.cli.servers import serve
from lastseat.entrypoints.cli.starting import first_start_secrets, prepare_database
from lastseat.stack.processes import start_bound_child, wait_ready
from lastseat.stack.readiness import http_ok


def dev(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 3001,
    grpc_port: Annotated[int, typer.Option(help="the gRPC server's port")] = 3051,
    flights: Annotated[int, typer.Option(help="sample flights to make if there are none")] = 50,
) -> None:
    """Just the app: one app server, one gRPC server and the payment sandbox, no stack."""
    settings = first_start_secrets()
    prepare_database(settings, flights)
    children = [
        start_bound_child("payments-sandbox", "--port", str(settings.sandbox_port)),
        start_bound_child("serve-grpc", "--host", host, "--port", str(grpc_port)),
    ]
    # The app takes payments from the sandbox: it is up before "up" is said, as under `up`.
    sandbox_health = http_ok(f"http://127.0.0.1:{settings.sandbox_port}/healthz")
    try:
        wait_ready("payments-sandbox", children[0], sandbox_health, "the output above")
    except RuntimeError as exc:
        for child in children:
            child.terminate()
        console.print(str(exc))
        raise typer.Exit(1) from None
    console.print(f"payment sandbox on {settings.payments_url} (pid {children[0].pid})")
    console.print(f"gRPC (lastseat.v1.Booking) on {host}:{grpc_port} (pid {children[1].pid})")
    console.print(f"lastseat is up: http://{host}:{port}/api/v1/flights  (docs: /api/docs)")
    console.print("an admin account: .venv/bin/lastseat admin create-user EMAIL --admin")
    try:
        serve(host, port, 1)
    finally:
        for child in reversed(children):
            child.terminate()
            child.wait(timeout=10)
