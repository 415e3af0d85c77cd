"""`lastseat`: the command line, wired from one module per group of commands."""

from __future__ import annotations

from lastseat.entrypoints.cli import dev, servers, site, stack, traveller
from lastseat.entrypoints.cli.admin import admin_app
from lastseat.entrypoints.cli.database import db_app
from lastseat.entrypoints.cli.payments import payments_app
from lastseat.entrypoints.cli.running import command_group

app = command_group("lastseat: a flight-seat booking backend.")

# A traveller's commands, against a running lastseat.
app.command("flights")(traveller.flights)
app.command("seats")(traveller.seats)
app.command("watch")(traveller.watch_flight)
app.command("book")(traveller.book)
# One server process each.
app.command("serve")(servers.serve)
app.command("serve-grpc")(servers.serve_grpc)
app.command("payments-sandbox")(servers.payments_sandbox)
app.command("stack-dns", hidden=True)(servers.stack_dns)  # a tier `up` starts
# The whole stack, and a running one seen from outside.
app.command("up")(stack.up)
app.command("down")(stack.down)
app.command("status")(stack.status)
app.command("restart")(stack.restart)
app.command("trace")(site.trace)
app.command("browser")(site.browser)
app.command("dev")(dev.dev)
# An operator's groups.
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
app.add_typer(payments_app, name="payments")

if __name__ == "__main__":
    app()
