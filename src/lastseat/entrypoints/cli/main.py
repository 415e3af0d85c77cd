"""`lastseat`: the command line, wired from one module per group of commands."""

from __future__ import annotations

from collections.abc import Callable

from lastseat.entrypoints.cli import dev, servers, site, stack, traveller
from lastseat.entrypoints.cli.admin import admin_app
from lastseat.entrypoints.cli.cluster import cluster_app
from lastseat.entrypoints.cli.database import db_app
from lastseat.entrypoints.cli.groups import command_group
from lastseat.entrypoints.cli.mail import mail_app, stack_mail
from lastseat.entrypoints.cli.payments import payments_app
from lastseat.entrypoints.cli.waf import waf_app

COMMANDS: dict[str, Callable[..., None]] = {
    # A traveller's, against a running lastseat.
    "flights": traveller.flights,
    "seats": traveller.seats,
    "watch": traveller.watch_flight,
    "book": traveller.book,
    # One server process each.
    **servers.COMMANDS,
    # The whole stack, a running one seen from outside, and just the app.
    "up": stack.up,
    "down": stack.down,
    "status": stack.status,
    "restart": stack.restart,
    "trace": site.trace,
    "browser": site.browser,
    "dev": dev.dev,
}

app = command_group("lastseat: a flight-seat booking backend.")
for name, command in COMMANDS.items():
    app.command(name)(command)
for name, hidden in servers.HIDDEN.items():  # the DNS and firewall log tiers `up` starts
    app.command(name, hidden=True)(hidden)
app.command("stack-mail", hidden=True)(stack_mail)  # the mail tier
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
app.add_typer(payments_app, name="payments")
app.add_typer(waf_app, name="waf")
app.add_typer(cluster_app, name="cluster")
app.add_typer(mail_app, name="mail")

if __name__ == "__main__":
    app()
