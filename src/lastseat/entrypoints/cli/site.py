"""`lastseat trace` and `lastseat browser`: a running stack seen from outside, as a
client crosses it."""

from __future__ import annotations

import asyncio
import os
import subprocess
from typing import Annotated

import httpcore
import httpx
import typer
from rich.table import Table

from lastseat.config import get_settings
from lastseat.entrypoints.cli.running import console, notes
from lastseat.stack.tls import ca_path


def trace(
    url: Annotated[
        str,
        typer.Argument(
            metavar="URL",
            help="e.g. https://lastseat.test:8443/api/v1/flights, or an app server's own URL",
        ),
    ],
    dns_server: Annotated[
        str | None,
        typer.Option(
            "--dns",
            metavar="HOST:PORT",
            help="host:port of lastseat's DNS tier (default: the stack's)",
        ),
    ] = None,
    ca: Annotated[
        str | None, typer.Option(metavar="FILE", help="CA file (default: the stack's own)")
    ] = None,
) -> None:
    """One request, hop by hop with each hop's time: DNS, firewall, proxy, app server and
    database, as far as the request crossed them. Exit 1 on an error status."""
    from lastseat.stack.trace import trace as run_trace

    settings = get_settings()
    server = dns_server or f"127.0.0.1:{settings.dns_port}"
    stack_ca = ca_path(settings.stack_dir)
    ca_file = ca or (str(stack_ca) if stack_ca.exists() else None)
    try:
        hops, response = asyncio.run(run_trace(url, server, ca_file))
    except (httpx.TransportError, httpcore.ConnectError) as exc:
        notes.print(f"[red]cannot reach {url}[/red]: {exc or type(exc).__name__}")
        raise typer.Exit(1) from None
    table = Table("hop", "what", "ms")
    for hop in hops:
        table.add_row(hop.tier, hop.detail, "" if hop.ms is None else f"{hop.ms:.1f}")
    console.print(table)
    if response.status_code >= 400:
        raise typer.Exit(1)


def browser(
    headless: Annotated[
        bool, typer.Option(help="no window: print the page's DOM (a machine without a screen)")
    ] = False,
) -> None:
    """Open the web client in Chromium, resolving lastseat.test over lastseat's own DNS
    (DNS-over-HTTPS, no fallback) and trusting the stack's CA in its own profile only."""
    from lastseat.stack.browser import (
        CHROMIUM,
        HEADLESS_ARGS,
        doh_profile,
        trust_store,
        window_args,
    )

    settings = get_settings()
    ca = ca_path(settings.stack_dir)
    if not ca.exists():
        notes.print("the stack has no CA yet: start it first with `lastseat up`")
        raise typer.Exit(1)
    if not CHROMIUM.exists():
        notes.print(f"{CHROMIUM} is missing (Debian package chromium): run scripts/setup")
        raise typer.Exit(1)
    folder = settings.stack_dir / "browser"
    trust_store(folder / "home", ca)
    profile = doh_profile(folder / "profile", settings)
    site = f"https://{settings.site_domain}:{settings.https_port}/"
    command = [str(CHROMIUM), f"--user-data-dir={profile}"]
    if headless:
        # (virtual time: the page's own requests finish before the DOM is printed)
        command += ["--headless", *HEADLESS_ARGS, "--virtual-time-budget=10000", "--dump-dom"]
    else:
        command += window_args()
    notes.print(f"opening {site} (DNS over {settings.site_address}:{settings.https_port})")
    done = subprocess.run(  # noqa: S603 - our own browser command, no shell
        [*command, site], env={**os.environ, "HOME": str(folder / "home")}, check=False
    )
    raise typer.Exit(done.returncode)
