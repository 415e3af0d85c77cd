"""Live seat-map fan-out: N WebSocket watchers on one flight, a paced writer, the delays.

The writer holds and releases one seat over HTTP, one change per operation, at `--rate`
operations per second; every watcher should receive each change. The delay of a change is
from the moment its request was sent (so it includes the commit) to its arrival at a
watcher. In the same run, the same watchers and rate against a bare broadcast server
(bench/bare_broadcast.py: websockets alone, no app, no database) give the ceiling.

Against running app servers (as bench/run.py calls it):

    python bench/fanout.py http://127.0.0.1:3001,http://127.0.0.1:3002 --flight 1 --token T

or on its own (`--quick`: fewer watchers, fewer seconds): it makes a database on the local
PostgreSQL (or a private one), starts two `lastseat serve` processes on it (the watchers
spread over both, the writer uses the first), and removes them all.

    python bench/fanout.py [--quick]

Prints one JSON line and writes var/bench/fanout.json (with the `measures` of the bench
contract).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import asyncpg
import httpx
import uvloop
import websockets
from run import LOAD_LIMITS, Process, drop_database
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

from lastseat.bootstrap import build_services
from lastseat.config import Settings
from lastseat.domain.users import Role
from lastseat.services.samples import seed_flights
from lastseat.stack.ports import free_port
from lastseat.stack.postgres import PostgresServer, find_or_start
from lastseat.stack.processes import lastseat_argv

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_P99_MS = 65.0
QUICK = {"watchers": 300, "seconds": 3.0}
STARTUP_SECONDS = 90.0  # a loaded machine imports slowly
Trigger = Callable[[], Awaitable[None]]
DATA = (Opcode.TEXT, Opcode.BINARY, Opcode.CONT)


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


class Watcher(asyncio.Protocol):
    """One watching socket on the websockets library's sans-I/O client (`ClientProtocol`):
    the 1,000 watchers live in this one process, and a change reaches the last of them only
    after the client has read it for the 999 others, so each read's cost is part of every
    delay measured, against lastseat and the bare server alike. A connection of the
    library's asyncio client costs a task's wake-up and a future per message (some 80 ms
    for 1,000 watchers on this machine, more than the bare server's own p99); here a message
    is a parse and a callback. Pings are answered as the library's protocol queues them."""

    def __init__(self, uri: str, on_message: Callable[[float], None]) -> None:
        self.protocol = ClientProtocol(parse_uri(uri), max_size=None)
        self.on_message = on_message
        loop = asyncio.get_running_loop()
        self.snapshot: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.protocol.send_request(self.protocol.connect())
        self.flush()

    def data_received(self, data: bytes) -> None:
        arrived = time.time()
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Response):
                if event.status_code != 101 and not self.snapshot.done():
                    self.snapshot.set_exception(OSError(f"handshake: {event.status_code}"))
            elif isinstance(event, Frame) and event.fin and event.opcode in DATA:
                if self.snapshot.done():
                    self.on_message(arrived)
                else:
                    self.snapshot.set_result(None)
        self.flush()

    def flush(self) -> None:
        assert self.transport is not None
        for data in self.protocol.data_to_send():
            if data:
                self.transport.write(data)
            elif self.transport.can_write_eof():
                self.transport.write_eof()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.snapshot.done():
            self.snapshot.set_exception(exc or OSError("closed before the snapshot"))
        if not self.closed.done():
            self.closed.set_result(None)

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            with contextlib.suppress(websockets.exceptions.InvalidState):
                self.protocol.send_close()
            self.flush()
            self.transport.close()


async def open_watcher(url: str, on_message: Callable[[float], None]) -> Watcher:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    loop = asyncio.get_running_loop()
    _, watcher = await loop.create_connection(lambda: Watcher(url, on_message), host, port)
    try:
        await asyncio.wait_for(asyncio.shield(watcher.snapshot), 30)
    except BaseException:
        watcher.close()
        raise
    return watcher


async def measure(urls: list[str], trigger: Trigger, args: argparse.Namespace) -> dict[str, Any]:
    """`args.watchers` sockets spread over `urls`, each reading its first message (the
    snapshot) and then counting; `trigger` makes one change, called at `args.rate`/s."""
    sent: list[float] = []
    delays: list[float] = []
    received = [0] * args.watchers
    cut_off = 0
    connected = asyncio.Semaphore(50)
    ready = 0
    failed = 0  # could not connect (a loaded machine times some handshakes out)
    live: list[int] = []
    sockets: list[Watcher] = []
    done = asyncio.Event()

    def arrived_at(i: int) -> Callable[[float], None]:
        def arrived(at: float) -> None:
            index = received[i]
            received[i] += 1
            if index < len(sent):
                delays.append(at - sent[index])

        return arrived

    async def watcher(i: int) -> None:
        nonlocal ready, cut_off, failed
        async with connected:
            try:
                socket = await open_watcher(urls[i % len(urls)], arrived_at(i))
            except (OSError, TimeoutError):
                failed += 1
                return
            ready += 1
            live.append(i)
        sockets.append(socket)
        await socket.closed
        if not done.is_set():  # the server ended it, not the measure
            cut_off += 1

    tasks = [asyncio.create_task(watcher(i)) for i in range(args.watchers)]
    for _ in range(600):  # all connected, or give up after a minute
        if ready + failed == args.watchers:
            break
        await asyncio.sleep(0.1)
    period = 1.0 / args.rate
    began = time.time()
    start = time.monotonic()
    for op in range(int(args.rate * args.seconds)):
        await asyncio.sleep(max(0.0, start + op * period - time.monotonic()))
        sent.append(time.time())
        await trigger()
    expected = len(sent)
    # The writer waits for each change's answer: on a loaded machine it may not keep the
    # rate asked for, and the bare run is then paced at the rate it did keep.
    rate_kept = expected / max(time.monotonic() - start, period * expected)
    for _ in range(300):  # let the last changes arrive (at most 30 s)
        if all(received[i] >= expected for i in live):
            break
        await asyncio.sleep(0.1)
    finished = time.time()
    done.set()
    for socket in sockets:
        socket.close()
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30)
    deliveries = sum(min(count, expected) for count in received)
    return {
        "watchers": args.watchers,
        "connected": ready,
        "changes": expected,
        "deliveries": deliveries,
        "expected_deliveries": expected * ready,
        "failed_to_connect": failed,
        "delivered_per_s": deliveries / (finished - began),
        "delay_p50_ms": percentile(delays, 50) * 1000,
        "delay_p99_ms": percentile(delays, 99) * 1000,
        "delay_mean_ms": statistics.fmean(delays) * 1000 if delays else float("nan"),
        "cut_off": cut_off,
        "rate_kept": rate_kept,
    }


async def lastseat_run(bases: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """Holds and releases `args.seat` over HTTP: one seat change per call."""
    headers = {"Authorization": f"Bearer {args.token}"}
    hold_id: str | None = None
    async with httpx.AsyncClient(timeout=30) as client:

        async def change() -> None:
            nonlocal hold_id
            if hold_id is None:
                response = await client.post(
                    bases[0] + "/api/v1/holds",
                    json={"flight_id": args.flight, "seats": [args.seat]},
                    headers=headers,
                )
                response.raise_for_status()
                hold_id = response.json()["id"]
            else:
                response = await client.delete(
                    bases[0] + f"/api/v1/holds/{hold_id}", headers=headers
                )
                response.raise_for_status()
                hold_id = None

        urls = [b.replace("http://", "ws://") + f"/ws/flights/{args.flight}" for b in bases]
        return await measure(urls, change, args)


async def bare_run(port: int, args: argparse.Namespace) -> dict[str, Any]:
    async with websockets.connect(f"ws://127.0.0.1:{port}/trigger") as trigger:

        async def change() -> None:
            await trigger.send(args.seat)

        return await measure([f"ws://127.0.0.1:{port}/"], change, args)


def wait_until(ready: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, httpx.TransportError):
            if ready():
                return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not become ready")


@contextlib.contextmanager
def bare_server(workdir: Path) -> Iterator[int]:
    port = free_port()
    process = Process(
        [sys.executable, str(HERE / "bare_broadcast.py"), "--port", str(port)],
        dict(os.environ),
        workdir / "bare-broadcast.log",
    )
    try:
        # A plain GET is refused (426) once the server listens.
        wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/").status_code == 426, "bare")
        yield port
    finally:
        process.stop()


async def prepare(pg: PostgresServer, database: str) -> tuple[str, str]:
    """A database with one sample flight and one customer: its URL and the token."""
    conn = await asyncpg.connect(pg.dsn())
    await conn.execute(f'CREATE DATABASE "{database}"')
    await conn.close()
    url = pg.sqlalchemy_url(database)
    services = build_services(
        Settings(_env_file=None, database_url=url, argon2_time_cost=1, argon2_memory_kib=8192)
    )
    try:
        await services.database.upgrade()
        await seed_flights(services.catalog, services.catalog.now(), 1)
        await services.accounts.ensure_user("fanout@example.com", "bench-password", Role.CUSTOMER)
        _, token = await services.accounts.login("fanout@example.com", "bench-password")
    finally:
        await services.close()
    return url, token


@contextlib.contextmanager
def own_app_servers(workdir: Path, args: argparse.Namespace) -> Iterator[list[str]]:
    """`args.workers` app servers (`lastseat serve`, one process each, as the end-to-end
    tests run them: uvicorn's multi-worker supervisor restarts workers that a loaded
    machine starts too slowly for its health check) on a database of their own; sets
    args.flight and args.token."""
    pg = find_or_start()
    database = f"lastseat_fanout_{uuid.uuid4().hex[:8]}"
    apps: list[Process] = []
    try:
        url, args.token = asyncio.run(prepare(pg, database))
        args.flight = 1
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("LASTSEAT_")},
            "LASTSEAT_ENV_FILE": "/dev/null/lastseat.env",
            "LASTSEAT_DATABASE_URL": url,
            "LASTSEAT_LOG_LEVEL": "warning",
            **LOAD_LIMITS,  # one writer holding and releasing at the rate asked, from one address
        }
        bases = []
        for i in range(args.workers):
            port = free_port()
            argv = lastseat_argv("serve", "--host", "127.0.0.1", "--port", str(port))
            apps.append(Process(argv, env, workdir / f"app-{i}.log"))
            bases.append(f"http://127.0.0.1:{port}")
        for base in bases:
            ready = base + "/readyz"
            wait_until(lambda: httpx.get(ready).status_code == 200, "lastseat")  # noqa: B023
        yield bases
    finally:
        for app in apps:
            app.stop()
        if pg.data_dir is None:
            drop_database(pg, database)
        pg.stop()


def measures(lastseat: dict[str, Any], bare: dict[str, Any]) -> list[dict[str, Any]]:
    ceiling = bare["delay_p99_ms"]

    def one(name: str, value: float, target: str, met: bool | None) -> dict[str, Any]:
        return {
            "name": name,
            "value": round(value, 2),
            "unit": "ms",
            "ceiling_name": "bare broadcast server p99",
            "ceiling": round(ceiling, 2),
            "ratio": round(value / ceiling, 2) if ceiling > 0 else None,
            "target": target,
            "met": met,
        }

    p99 = lastseat["delay_p99_ms"]
    complete = lastseat["deliveries"] == lastseat["expected_deliveries"]
    return [
        one("fan-out p50, change request to arrival", lastseat["delay_p50_ms"], "", None),
        one("fan-out p99, change request to arrival", p99, "p99 < 65 ms", p99 < TARGET_P99_MS),
        {
            "name": "fan-out deliveries",
            "value": float(lastseat["deliveries"]),
            "unit": "messages",
            "ceiling_name": "changes x watchers",
            "ceiling": float(lastseat["expected_deliveries"]),
            "ratio": lastseat["deliveries"] / max(1, lastseat["expected_deliveries"]),
            "target": "every change reaches every watcher",
            "met": complete,
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("bases", nargs="?", help="app server base URLs, comma separated")
    parser.add_argument("--flight", type=int, help="required with bases")
    parser.add_argument("--token", help="required with bases")
    parser.add_argument("--seat", default="1A")
    parser.add_argument("--watchers", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0, help="changes per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2, help="app servers started alone")
    parser.add_argument("--quick", action="store_true", help="fewer watchers and seconds")
    args = parser.parse_args()
    if args.bases and (args.flight is None or args.token is None):
        parser.error("bases need --flight and --token")
    if args.quick:
        args.watchers = min(args.watchers, int(QUICK["watchers"]))
        args.seconds = min(args.seconds, QUICK["seconds"])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65_536)), hard))
    workdir = Path(tempfile.mkdtemp(prefix="lastseat-fanout-"))
    with contextlib.ExitStack() as stack:
        bases: list[str] = (
            args.bases.split(",")
            if args.bases
            else stack.enter_context(own_app_servers(workdir, args))
        )
        bare_port = stack.enter_context(bare_server(workdir))
        lastseat = uvloop.run(lastseat_run(bases, args))
        # The same changes at the same pace as lastseat's writer kept, not faster.
        paced = argparse.Namespace(**vars(args))
        paced.rate = min(args.rate, lastseat["rate_kept"])
        paced.seconds = (lastseat["changes"] + 0.5) / paced.rate  # (as many, not one fewer)
        bare = uvloop.run(bare_run(bare_port, paced))
    shutil.rmtree(workdir)  # (kept when the run failed: its servers' logs say why)
    result = {
        **lastseat,
        "bare": bare,
        "ratio_p99_to_bare": lastseat["delay_p99_ms"] / bare["delay_p99_ms"],
        "measures": measures(lastseat, bare),
        "args": {k: v for k, v in vars(args).items() if k != "token"},
    }
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "fanout.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
