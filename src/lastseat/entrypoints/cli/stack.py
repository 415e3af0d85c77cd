"""`lastseat up / down / status / restart`: the whole stack, run and looked after."""

from __future__ import annotations

import os
import signal
from typing import Annotated

import typer
from rich.table import Table

from lastseat.config import Settings, get_settings
from lastseat.entrypoints.cli.running import console, notes
from lastseat.entrypoints.cli.servers import refuse_development_secrets
from lastseat.entrypoints.cli.starting import first_start_secrets, prepare_database
from lastseat.stack.ports import port_open
from lastseat.stack.processes import still_runs, stop_pid
from lastseat.stack.state import (
    forget_state,
    live_tiers,
    read_state,
    state_path,
    supervisor_running,
    wait_for_roll,
    write_state,
)
from lastseat.stack.supervisor import Supervisor

Flights = Annotated[int, typer.Option(metavar="N", help="sample flights to make if there are none")]


def up(flights: Flights = 50) -> None:
    """The whole path: DNS, firewall (WAF, TLS), reverse proxy, app and gRPC servers, the
    payment sandbox and the database. Ctrl-C (or `lastseat down`) stops it all."""
    _refuse_a_second_stack(get_settings())  # before anything is touched
    settings = first_start_secrets()
    refuse_development_secrets(settings, tls=True)  # the tiers would refuse one by one
    write_state(settings, [])  # claimed: from here a second `up` sees this one
    try:
        prepare_database(settings, flights)
        supervisor = Supervisor(settings, notes.print)
    except BaseException:
        forget_state(settings)
        raise
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    signal.signal(signal.SIGINT, supervisor.request_stop)
    signal.signal(signal.SIGUSR1, supervisor.request_roll)  # `lastseat restart app`
    notes.print("starting the tiers, innermost first:")
    try:
        try:
            supervisor.start()
        except RuntimeError as exc:
            notes.print(f"[red]could not start the stack[/red]: {exc}")
            raise typer.Exit(1) from None
        site = f"https://{settings.site_domain}:{settings.https_port}"
        notes.print(f"lastseat is up: {site}/api/v1/flights")
        notes.print(f"  DNS for {settings.site_domain}: 127.0.0.1:{settings.dns_port} (UDP/TCP)")
        notes.print(f"  DNS-over-HTTPS: {site}/dns-query")
        notes.print(f"  trust this CA to use it: {supervisor.certs.ca_cert}")
        notes.print(f"  the web client: {site}/  (`lastseat browser` opens it in Chromium)")
        notes.print(
            f"  try: curl --cacert {supervisor.certs.ca_cert} --resolve "
            f"{settings.site_domain}:{settings.https_port}:{settings.site_address} "
            f"{site}/api/v1/flights"
        )
        supervisor.watch()
    finally:
        notes.print("stopping the tiers, outermost first")
        supervisor.stop()


def _refuse_a_second_stack(settings: Settings) -> None:
    """Exit 1 if a stack (or what a killed one left running) uses this stack dir; forget a
    state.json whose processes are all gone."""
    state = read_state(settings)
    if state is None:
        return
    if supervisor_running(state):
        notes.print(
            f"[red]a stack is up already[/red] (`lastseat up` pid {state['supervisor']}, "
            f"{state_path(settings)}): `lastseat status` shows it, `lastseat down` stops it"
        )
        raise typer.Exit(1)
    left = live_tiers(state)
    if left:
        pids = ", ".join(str(tier["pid"]) for tier in left)
        notes.print(
            f"[red]a stopped stack left tiers running[/red] (pids {pids}): "
            f"`lastseat down` stops them"
        )
        raise typer.Exit(1)
    state_path(settings).unlink(missing_ok=True)
    notes.print(f"removed {state_path(settings)}: the stack it describes is gone")


def down() -> None:
    """Stop a stack started by `lastseat up` (in another terminal, or in the background)."""
    settings = get_settings()
    state = read_state(settings)
    if state is None:
        notes.print(f"no stack is up (no {state_path(settings)})")
        return
    running = supervisor_running(state)
    if running:
        stop_pid(state["supervisor"])  # it stops its tiers in order
    left = live_tiers(state)  # and anything a killed supervisor left behind
    for tier in reversed(left):
        stop_pid(tier["pid"])
    state_path(settings).unlink(missing_ok=True)
    notes.print("stopped" if running or left else "no stack was up (its state.json was stale)")


def status() -> None:
    """Each tier of the stack: up or down, its port, pid and restarts."""
    state = read_state(get_settings())
    if state is None or not (supervisor_running(state) or live_tiers(state)):
        notes.print("no stack is up")
        raise typer.Exit(1)
    table = Table("tier", "state", "port", "pid", "restarts")
    down_count = 0
    for tier in state["tiers"]:
        up_now = still_runs(tier["pid"], tier.get("started")) and port_open(tier["port"])
        down_count += not up_now
        table.add_row(
            tier["name"],
            "up" if up_now else "[red]down[/red]",
            str(tier["port"]),
            str(tier["pid"]),
            str(tier.get("restarts", 0)),
        )
    console.print(table)
    orphaned = not supervisor_running(state)
    if orphaned:
        notes.print(
            f"[red]the supervisor (pid {state['supervisor']}) is gone[/red]: nothing restarts "
            "these tiers; `lastseat down` stops them"
        )
    if down_count or orphaned:
        raise typer.Exit(1)


def restart(
    tier: Annotated[
        str, typer.Argument(metavar="TIER", help="what to restart: app (the app servers)")
    ],
) -> None:
    """Replace the app servers of a running stack one at a time, losing no request: each new
    one starts and is ready before the proxy moves to it and the old one drains and stops."""
    if tier != "app":
        notes.print("only the app servers can be restarted: `lastseat restart app`")
        raise typer.Exit(2)
    settings = get_settings()
    state = read_state(settings)
    if state is None or not supervisor_running(state):
        notes.print("no stack is up")
        raise typer.Exit(1)
    os.kill(state["supervisor"], signal.SIGUSR1)
    replaced = wait_for_roll(settings, state)
    if replaced is None:
        notes.print("[red]the app servers were not all replaced in time[/red]: see `up`'s output")
        raise typer.Exit(1)
    for name, pid, port in replaced:
        console.print(f"  {name} replaced: pid {pid}, port {port}")
