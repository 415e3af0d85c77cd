"""`lastseat`: run the app server, migrate and seed the database, manage accounts."""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from rich.progress import Progress
from rich.table import Table

from lastseat.adapters.db import migrate
from lastseat.bootstrap import Services
from lastseat.config import Settings, env_file, get_settings
from lastseat.domain.discounts import Discount, DiscountKind, normalise_code
from lastseat.domain.users import Role
from lastseat.entrypoints.cli import traveller
from lastseat.entrypoints.cli.payments import payments_app
from lastseat.entrypoints.cli.running import console, run
from lastseat.entrypoints.cli.waf import waf_app
from lastseat.entrypoints.logs import configure_logging, log_uncaught
from lastseat.payments_sandbox.app import create_sandbox
from lastseat.services.samples import seed_flights

app = typer.Typer(help="lastseat: a flight-seat booking backend.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema and sample data.", no_args_is_help=True)
admin_app = typer.Typer(help="Accounts and administration.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
app.add_typer(payments_app, name="payments")
app.add_typer(waf_app, name="waf")
app.command("flights")(traveller.flights)
app.command("seats")(traveller.seats)
app.command("watch")(traveller.watch_flight)
app.command("book")(traveller.book)


def _exit_on_signal(signum: int, _: object) -> None:
    raise SystemExit(0)  # asked to stop, and stopped: atexit writes the last log lines


def server_logging(settings: Settings) -> None:
    """A server process writes JSON lines only, Python's own complaints included."""
    configure_logging(settings.log_level, settings.log_json, settings.log_flush_seconds)
    log_uncaught()
    # uvicorn, once shut down, re-raises the signal that stopped it under the handler it
    # found: the default one would kill the process without running atexit, losing the log
    # lines still buffered (up to LASTSEAT_LOG_FLUSH_SECONDS of them).
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _exit_on_signal)


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """What every uvicorn server here shares. log_config=None: uvicorn's default config
    writes plain text to stderr (an unhandled exception as "Exception in ASGI application"
    and a traceback); without it, its loggers reach the root logger, which writes JSON."""
    return {
        "log_config": None,
        "log_level": "warning",
        "server_header": False,
        "timeout_keep_alive": settings.http_keep_alive_seconds,
    }


def _refuse_development_secrets(settings: Settings, tls: bool) -> None:
    """Behind TLS it is a deployment, not a laptop: the development secrets will not do."""
    names = settings.development_secrets()
    if tls and names and not settings.allow_dev_secrets:
        # one plain line on stderr (rich would wrap it), whatever the terminal
        typer.echo(
            f"refusing to serve over TLS (LASTSEAT_COOKIE_SECURE=true) with development "
            f"secrets: set {' and '.join(names)} (or LASTSEAT_ALLOW_DEV_SECRETS=true on a "
            f"development machine)",
            err=True,
        )
        raise typer.Exit(2)


def _first_start_secrets() -> Settings:
    """`up` and `dev` on a machine without secrets yet: random ones, kept in the env file."""
    from lastseat.stack.secrets import ensure_secrets

    settings = get_settings()
    path = Path(env_file())
    try:
        written = ensure_secrets(settings, path)
    except OSError as exc:
        console.print(f"[red]cannot write secrets to {path}[/red] ({exc.strerror}): set them")
        raise typer.Exit(1) from None
    if written:
        console.print(f"wrote random {' and '.join(written)} to {path} (mode 0600); keep it")
        get_settings.cache_clear()  # read again, as every process the stack starts will
        settings = get_settings()
    return settings


def _serve(host: str, port: int, workers: int) -> None:
    settings = get_settings()
    _refuse_development_secrets(settings, settings.cookie_secure)
    server_logging(settings)
    uvicorn.run(
        "lastseat.entrypoints.http.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        access_log=False,  # the app writes its own structured access log
        ws_ping_interval=settings.ws_ping_interval_seconds,
        ws_ping_timeout=settings.ws_ping_timeout_seconds,
        **uvicorn_options(settings),
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 3001,
    workers: Annotated[int, typer.Option(min=1, help="uvicorn worker processes")] = 1,
) -> None:
    """Run one app server (HTTP JSON API)."""
    _serve(host, port, workers)


@app.command("serve-grpc")
def serve_grpc(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 3051,
) -> None:
    """Run one gRPC server (lastseat.v1.Booking, health, reflection)."""
    from lastseat.entrypoints.grpc.server import serve

    settings = get_settings()
    _refuse_development_secrets(settings, settings.cookie_secure)
    server_logging(settings)
    asyncio.run(serve(settings, host, port))


@app.command("payments-sandbox")
def payments_sandbox(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 3090,
) -> None:
    """Run the payment provider sandbox (its key is LASTSEAT_PAYMENTS_SECRET_KEY; its ledger
    is kept in LASTSEAT_SANDBOX_LEDGER, by default under the stack dir)."""
    settings = get_settings()
    server_logging(settings)
    app = create_sandbox(
        settings.payments_secret_key.get_secret_value(),
        settings.sandbox_delay_seconds,
        settings.sandbox_ledger_path,
    )
    uvicorn.run(app, host=host, port=port, **uvicorn_options(settings))


def _die_with_parent() -> None:
    # uvicorn re-raises SIGTERM/SIGINT after shutting down, so `up` may die before a
    # `finally` runs: the kernel stops the sandbox with it instead (Linux PR_SET_PDEATHSIG).
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


def _start_child(*command: str) -> subprocess.Popen[bytes]:
    """Another `lastseat` command as a child process that ends when `up` does."""
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "lastseat.entrypoints.cli.main", *command],
        preexec_fn=_die_with_parent,  # runs before exec; `up` starts no threads before this
    )


def _prepare_database(settings: Settings, flights: int) -> None:
    """Migrations first, then sample flights if there are none."""
    db_migrate()

    async def seed_if_empty(services: Services) -> int:
        if await services.catalog.search(limit=1):
            return 0
        return await seed_flights(services.catalog, services.catalog.now(), flights)

    made = run(seed_if_empty, settings)
    if made:
        console.print(f"seeded {made} sample flights")


@app.command()
def up(
    flights: Annotated[int, typer.Option(help="sample flights to make if there are none")] = 50,
) -> None:
    """The whole path: DNS, firewall (WAF, TLS), reverse proxy, app and gRPC servers, the
    payment sandbox and the database. Ctrl-C (or `lastseat down`) stops it all."""
    from lastseat.stack.supervisor import Supervisor, read_state

    settings = _first_start_secrets()
    _refuse_development_secrets(settings, tls=True)  # the tiers would refuse one by one
    if read_state(settings) is not None:
        console.print("a stack may be up already: `lastseat status`, or `lastseat down`")
    _prepare_database(settings, flights)
    supervisor = Supervisor(settings, console.print)
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    signal.signal(signal.SIGINT, supervisor.request_stop)
    signal.signal(signal.SIGUSR1, supervisor.request_roll)  # `lastseat restart app`
    console.print("starting the tiers, innermost first:")
    try:
        try:
            supervisor.start()
        except RuntimeError as exc:
            console.print(f"[red]could not start the stack[/red]: {exc}")
            raise typer.Exit(1) from None
        site = f"https://{settings.site_domain}:{settings.https_port}"
        console.print(f"lastseat is up: {site}/api/v1/flights")
        console.print(f"  DNS for {settings.site_domain}: 127.0.0.1:{settings.dns_port} (UDP/TCP)")
        console.print(f"  DNS-over-HTTPS: {site}/dns-query")
        console.print(f"  trust this CA to use it: {supervisor.certs.ca_cert}")
        console.print(f"  the web client: {site}/  (`lastseat browser` opens it in Chromium)")
        console.print(
            f"  try: curl --cacert {supervisor.certs.ca_cert} --resolve "
            f"{settings.site_domain}:{settings.https_port}:{settings.site_address} "
            f"{site}/api/v1/flights"
        )
        supervisor.watch()
    finally:
        console.print("stopping the tiers, outermost first")
        supervisor.stop()


@app.command()
def down() -> None:
    """Stop a stack started by `lastseat up` (in another terminal, or in the background)."""
    from lastseat.stack.supervisor import alive, read_state, stop_pid

    settings = get_settings()
    state = read_state(settings)
    if state is None:
        console.print("no stack is up (no var/stack/state.json)")
        return
    supervisor_pid = int(str(state["supervisor"]))
    if alive(supervisor_pid):
        stop_pid(supervisor_pid)  # it stops its tiers in order
    tiers = state["tiers"]
    assert isinstance(tiers, list)
    for tier in reversed(tiers):  # and anything a killed supervisor left behind
        if alive(int(tier["pid"])):
            stop_pid(int(tier["pid"]))
    (settings.stack_dir / "state.json").unlink(missing_ok=True)
    console.print("stopped")


@app.command()
def status() -> None:
    """Each tier of the stack: up or down, its port, pid and restarts."""
    from lastseat.stack.ports import port_open
    from lastseat.stack.supervisor import alive, read_state

    state = read_state(get_settings())
    if state is None:
        console.print("no stack is up")
        raise typer.Exit(1)
    table = Table("tier", "state", "port", "pid", "restarts")
    tiers = state["tiers"]
    assert isinstance(tiers, list)
    down_count = 0
    for tier in tiers:
        up_now = alive(int(tier["pid"])) and port_open(int(tier["port"]))
        down_count += not up_now
        table.add_row(
            tier["name"],
            "up" if up_now else "[red]down[/red]",
            str(tier["port"]),
            str(tier["pid"]),
            str(tier.get("restarts", 0)),
        )
    console.print(table)
    if down_count:
        raise typer.Exit(1)


@app.command()
def restart(
    tier: Annotated[str, typer.Argument(help="what to restart: app (the app servers)")],
) -> None:
    """Replace the app servers of a running stack one at a time, losing no request: each new
    one starts and is ready before the proxy moves to it and the old one drains and stops."""
    from lastseat.stack.supervisor import alive, read_state, wait_for_roll

    if tier != "app":
        console.print("only the app servers can be restarted: `lastseat restart app`")
        raise typer.Exit(2)
    settings = get_settings()
    state = read_state(settings)
    if state is None or not alive(int(str(state["supervisor"]))):
        console.print("no stack is up")
        raise typer.Exit(1)
    os.kill(int(str(state["supervisor"])), signal.SIGUSR1)
    replaced = wait_for_roll(settings, state)
    if replaced is None:
        console.print("[red]the app servers were not all replaced in time[/red]: see `up`'s output")
        raise typer.Exit(1)
    for name, pid, port in replaced:
        console.print(f"  {name} replaced: pid {pid}, port {port}")


@app.command()
def trace(
    url: Annotated[str, typer.Argument(help="e.g. https://lastseat.test:8443/api/v1/flights")],
    dns_server: Annotated[
        str | None, typer.Option("--dns", help="host:port of lastseat's DNS tier")
    ] = None,
    ca: Annotated[str | None, typer.Option(help="CA file (default: the stack's own)")] = None,
) -> None:
    """One request through DNS, firewall, proxy, app and database, with each hop's time."""
    from lastseat.stack.trace import trace as run_trace

    settings = get_settings()
    server = dns_server or f"127.0.0.1:{settings.dns_port}"
    ca_file = ca or str(settings.stack_dir / "tls" / "ca.pem")
    hops, response = asyncio.run(run_trace(url, server, ca_file))
    table = Table("hop", "what", "ms")
    for hop in hops:
        table.add_row(hop.tier, hop.detail, "" if hop.ms is None else f"{hop.ms:.1f}")
    console.print(table)
    if response.status_code >= 400:
        raise typer.Exit(1)


@app.command()
def browser(
    headless: Annotated[
        bool, typer.Option(help="no window (for a machine without a screen)")
    ] = False,
) -> None:
    """Open the web client in Chromium, resolving lastseat.test over lastseat's own DNS
    (DNS-over-HTTPS, no fallback) and trusting the stack's CA in its own profile only."""
    from lastseat.stack.browser import (
        CHROMIUM,
        CHROMIUM_ARGS,
        HEADLESS_ARGS,
        doh_profile,
        trust_store,
    )

    settings = get_settings()
    ca = settings.stack_dir / "tls" / "ca.pem"
    if not ca.exists():
        console.print("the stack has no CA yet: start it first with `lastseat up`")
        raise typer.Exit(1)
    if not CHROMIUM.exists():
        console.print(f"{CHROMIUM} is missing (Debian package chromium): run scripts/setup")
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
        command += CHROMIUM_ARGS
    console.print(f"opening {site} (DNS over {settings.site_address}:{settings.https_port})")
    done = subprocess.run(  # noqa: S603 - our own browser command, no shell
        [*command, site], env={**os.environ, "HOME": str(folder / "home")}, check=False
    )
    raise typer.Exit(done.returncode)


@app.command("stack-dns", hidden=True)
def stack_dns() -> None:
    """The DNS tier (run by `up`): UDP and TCP on dns_port, DNS-over-HTTP on doh_port."""
    from lastseat.stack.dns import ZoneResolver, doh_app, start_servers

    settings = get_settings()
    server_logging(settings)
    resolver = ZoneResolver(settings.site_domain, settings.site_address, "::1")
    servers = start_servers(resolver, "127.0.0.1", settings.dns_port)
    try:
        uvicorn.run(
            doh_app(resolver), host="127.0.0.1", port=settings.doh_port, **uvicorn_options(settings)
        )
    finally:
        for server in servers:
            server.stop()


@app.command()
def dev(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 3001,
    grpc_port: Annotated[int, typer.Option(help="the gRPC server's port")] = 3051,
    flights: Annotated[int, typer.Option(help="sample flights to make if there are none")] = 50,
) -> None:
    """Just the app: one app server, one gRPC server and the payment sandbox, no stack."""
    settings = _first_start_secrets()
    _prepare_database(settings, flights)
    from lastseat.stack.supervisor import http_ok, wait_ready

    children = [
        _start_child("payments-sandbox", "--port", str(settings.sandbox_port)),
        _start_child("serve-grpc", "--host", host, "--port", str(grpc_port)),
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
        _serve(host, port, 1)
    finally:
        for child in reversed(children):
            child.terminate()
            child.wait(timeout=10)


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply every Alembic migration (creates the SQLite file under var/ if needed)."""

    async def work(services: Services) -> str | None:
        await migrate.upgrade(services.engine)
        return await migrate.current_revision(services.engine)

    settings = get_settings()
    if settings.is_sqlite:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    console.print(f"database schema at revision {run(work, settings)}")


@db_app.command("seed")
def db_seed(
    flights: Annotated[int, typer.Option(min=1, max=100_000, help="how many flights")] = 50,
) -> None:
    """Create sample flights (180 seats each); existing ones are kept."""

    async def work(services: Services) -> int:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("seeding flights", total=flights)
            return await seed_flights(
                services.catalog,
                services.catalog.now(),
                flights,
                lambda n: progress.advance(task, n),
            )

    console.print(f"created {run(work)} flights")


@admin_app.command("create-user")
def create_user(
    email: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    admin: Annotated[bool, typer.Option("--admin", help="give the admin role")] = False,
) -> None:
    """Create an account (or reset its password and role)."""

    async def work(services: Services) -> str:
        user = await services.accounts.ensure_user(
            email, password, Role.ADMIN if admin else Role.CUSTOMER
        )
        return f"{user.email} ({user.role.value}) id={user.id}"

    console.print(run(work))


@admin_app.command("create-discount")
def create_discount(
    code: str,
    kind: Annotated[DiscountKind, typer.Option(help="percent or fixed")],
    value: Annotated[int, typer.Option(help="basis points (1500 = 15%) or minor units")],
    currency: Annotated[str | None, typer.Option(help="for fixed amounts")] = None,
    valid_from: Annotated[datetime | None, typer.Option(help="UTC")] = None,
    valid_until: Annotated[datetime | None, typer.Option(help="UTC")] = None,
    min_spend: Annotated[int, typer.Option(min=0, help="minor units")] = 0,
    max_redemptions: Annotated[int | None, typer.Option(min=1)] = None,
    flight_id: Annotated[int | None, typer.Option(min=1)] = None,
    origin: Annotated[str | None, typer.Option()] = None,
    destination: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Create a discount code."""

    def utc(moment: datetime | None) -> datetime | None:
        return None if moment is None else moment.replace(tzinfo=moment.tzinfo or UTC)

    async def work(services: Services) -> str:
        discount = await services.discounts.create(
            Discount(
                code=normalise_code(code),
                kind=kind,
                value=value,
                currency=currency,
                valid_from=utc(valid_from),
                valid_until=utc(valid_until),
                min_spend=min_spend,
                max_redemptions=max_redemptions,
                flight_id=flight_id,
                origin=origin,
                destination=destination,
            )
        )
        return f"created {discount.code} ({discount.kind.value} {discount.value})"

    console.print(run(work))


if __name__ == "__main__":
    app()
