"""The commands that run one server process each (`serve`, `serve-grpc`,
`payments-sandbox`, the DNS tier and the firewall's log tier), and what their logging and
uvicorn share.

`python -m lastseat.entrypoints.cli.servers COMMAND` runs them without the rest of the
command line: the whole CLI (DNS, cluster, site and operator commands) would cost every
app server some 35 MB and a second of start (stack/processes.py starts servers so).
"""

from __future__ import annotations

import os
import sys

if __name__ in {"__main__", "__mp_main__"}:  # a server process (or a uvicorn worker of one)
    # structlog loads rich, and rich pygments, for its console renderer whenever they are
    # installed: some 8 MB of every server, which writes JSON lines only. Hidden while
    # structlog loads, so it falls back to plain tracebacks it never prints here.
    sys.modules["rich"] = None  # type: ignore[assignment]
    import structlog  # noqa: F401

    del sys.modules["rich"]

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer
import uvicorn
from uvicorn.config import STARTUP_FAILURE

from lastseat.config import Settings, get_settings
from lastseat.entrypoints.background import CLEANUP_SECONDS
from lastseat.entrypoints.cli.groups import command_group
from lastseat.entrypoints.logs import configure_logging, log_uncaught
from lastseat.entrypoints.stopping import TEARDOWN_SECONDS, Watchdog
from lastseat.payments_sandbox.app import create_sandbox

HTTP_APP = "lastseat.entrypoints.http.app:create_app"
# For requests in flight and connections to close, once SIGTERM came; uvicorn's default
# is to wait for them for ever.
HTTP_GRACE_SECONDS = 5.0
# From SIGTERM to the end of an app server, whatever its shutdown does: within a
# supervisor's wait (15 s), which SIGKILLs and so loses the reason.
HTTP_EXIT_SECONDS = HTTP_GRACE_SECONDS + CLEANUP_SECONDS + TEARDOWN_SECONDS + 2.0

Host = Annotated[str, typer.Option(metavar="ADDRESS", help="address to listen on")]
Port = Annotated[int, typer.Option(metavar="PORT", help="port to listen on", min=1, max=65_535)]


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


def refuse_development_secrets(settings: Settings, tls: bool) -> None:
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


class _WatchedServer(uvicorn.Server):
    """uvicorn's server with the stop's watchdog (stopping.py) armed by the signal that
    starts its stop. The app's shutdown (background jobs, the pool) and asyncio's teardown
    after it have no deadline: a query waiting in SQLite's busy handler held them up to
    the busy timeout, as it did `serve-grpc`."""

    def __init__(self, config: uvicorn.Config, watchdog: Watchdog) -> None:
        super().__init__(config)
        self._watchdog = watchdog

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # Called in the main thread, which runs the loop: the loop whose tasks to report.
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        self._watchdog.arm(loop)
        super().handle_exit(sig, frame)


def serve(
    host: Host = "127.0.0.1",
    port: Port = 3001,
    workers: Annotated[int, typer.Option(min=1, metavar="N", help="uvicorn worker processes")] = 1,
) -> None:
    """Run one app server (HTTP JSON API)."""
    settings = get_settings()
    refuse_development_secrets(settings, settings.cookie_secure)
    server_logging(settings)
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "loop": "uvloop",
        "http": "httptools",
        "access_log": False,  # the app writes its own structured access log
        "forwarded_allow_ips": ",".join(settings.trusted_proxies),
        "ws_ping_interval": settings.ws_ping_interval_seconds,
        "ws_ping_timeout": settings.ws_ping_timeout_seconds,
        # No permessage-deflate: a deflate stream is per connection, so every live-map
        # change would be compressed once per watcher instead of encoded once per process
        # (and a ~70-byte change barely shrinks).
        "ws_per_message_deflate": False,
        # The Sans-I/O protocol writes a message straight to the transport and waits only
        # while the transport is paused (flow control): the legacy one awaited a drain per
        # message, one event-loop turn per watcher for every change.
        "ws": "websockets-sansio",
        "timeout_graceful_shutdown": HTTP_GRACE_SECONDS,
        **uvicorn_options(settings),
    }
    if workers > 1:  # uvicorn makes each worker's server itself: no watchdog there
        healthcheck = settings.worker_healthcheck_seconds
        uvicorn.run(HTTP_APP, workers=workers, timeout_worker_healthcheck=healthcheck, **options)
        return
    server = _WatchedServer(uvicorn.Config(HTTP_APP, **options), Watchdog(HTTP_EXIT_SECONDS))
    server.run()
    if not server.started:
        raise SystemExit(STARTUP_FAILURE)


def serve_grpc(host: Host = "127.0.0.1", port: Port = 3051) -> None:
    """Run one gRPC server (lastseat.v1.Booking, health, reflection)."""
    from lastseat.entrypoints.grpc.server import EXIT_SECONDS, serve
    from lastseat.entrypoints.stopping import run_server

    settings = get_settings()
    refuse_development_secrets(settings, settings.cookie_secure)
    server_logging(settings)
    run_server(lambda stopping: serve(settings, host, port, stopping), EXIT_SECONDS)


def payments_sandbox(host: Host = "127.0.0.1", port: Port = 3090) -> None:
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


def mailer(host: Host = "127.0.0.1", port: Port = 2526) -> None:
    """Run the mailer: the mail outbox's rounds alone, for servers that leave them to it
    (LASTSEAT_MAIL_SEND_IN_SERVERS=false, as `up` runs them); /healthz on PORT."""
    from lastseat.entrypoints.mailer import create_mailer

    settings = get_settings()
    server_logging(settings)
    os.nice(settings.mailer_niceness)  # a background tier: the requests come first
    uvicorn.run(create_mailer(settings), host=host, port=port, **uvicorn_options(settings))


def stack_dns() -> None:
    """The DNS tier (run by `up`): UDP and TCP on dns_port, DNS-over-HTTP on doh_port."""
    from lastseat.stack.dns import ZoneResolver, doh_app, start_servers

    settings = get_settings()
    server_logging(settings)
    resolver = ZoneResolver(settings.site_domain, settings.site_address)
    servers = start_servers(resolver, "127.0.0.1", settings.dns_port)
    try:
        uvicorn.run(
            doh_app(resolver), host="127.0.0.1", port=settings.doh_port, **uvicorn_options(settings)
        )
    finally:
        for server in servers:
            server.stop()


def stack_waf_log(
    port: Annotated[int, typer.Option(metavar="PORT", help="UDP port nginx sends lines to")],
    folder: Annotated[
        Path | None,
        typer.Option(metavar="DIR", help="the firewall's folder (default: the stack's)"),
    ] = None,
) -> None:
    """The firewall's log tier (run by `up`): ModSecurity's lines, over loopback syslog, to
    waf.jsonl in the firewall's folder, without the values the rules matched."""
    from lastseat.stack.nginx import firewall_dir
    from lastseat.stack.waf_tier import serve

    settings = get_settings()
    server_logging(settings)
    serve(folder or firewall_dir(settings), port)


# In the order `lastseat --help` lists them; the hidden ones are started by `up`.
COMMANDS: dict[str, Callable[..., None]] = {
    "serve": serve,
    "serve-grpc": serve_grpc,
    "payments-sandbox": payments_sandbox,
    "mailer": mailer,
}
HIDDEN: dict[str, Callable[..., None]] = {"stack-dns": stack_dns, "stack-waf-log": stack_waf_log}

app = command_group("lastseat's server processes, one per command.")
for name, command in COMMANDS.items():
    app.command(name)(command)
for name, command in HIDDEN.items():
    app.command(name, hidden=True)(command)

if __name__ == "__main__":
    app()
