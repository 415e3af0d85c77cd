"""`make bench`: lastseat on PostgreSQL, as ratios to ceilings measured in the same run.

(a) pgbench running the service's hold+confirm SQL: the database ceiling for bookings.
(b) the HTTP booking flow (hold, then confirm) over 1,000 flights x 180 seats, via wrk.
(c) the seat-map GET via wrk, against (d) nginx serving the same bytes as a static file.
(e) the booking flow over HTTP and (f) over gRPC, both driven by bench/load.py (the same
    Python generator on lastseat.client), so the two APIs compare like for like.
(h) bare uvicorn serving the seat-map bytes with no app: what the app server itself costs.
(g) live seat-map fan-out: 1,000 WebSocket watchers on one flight, changes/s delivered
    and the delay from a change's request to its arrival (bench/fanout.py).

Machines here are shared and noisy: compare the ratios, not the absolute numbers.
Writes var/bench/run.json (the bench contract: bench/contract.py), with each app server
worker's RSS after the runs. `--quick`: 2 s runs, 100 flights, 200 watchers, one pgbench
run, no (e) and (f).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from functools import partial
from pathlib import Path

import asyncpg
import httpx
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from lastseat.bootstrap import build_services
from lastseat.config import Settings, default_pool_size
from lastseat.domain.users import Role
from lastseat.services.samples import seed_flights
from lastseat.stack.ports import free_port, port_open
from lastseat.stack.postgres import PostgresServer, find_or_start
from lastseat.stack.processes import lastseat_argv, workers_of
from lastseat.stack.processes import wait_ready as wait_process_ready
from lastseat.stack.readiness import grpc_serving

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import machine_cpu  # noqa: E402
from contract import (  # noqa: E402
    Skipped,
    add_quick,
    at_least,
    measure,
    ratio,
    rss_measure,
    server_rss,
    skip,
    write_result,
)
from firewall_cpu import cpu_seconds  # noqa: E402

console = Console(width=140)


# Accounts made at a time: a sale day's thousands in seconds, not minutes.
ACCOUNTS_AT_ONCE = 32


async def prepare(pg: PostgresServer, database: str, flights: int, users: int) -> dict[str, str]:
    conn = await asyncpg.connect(pg.dsn())
    await conn.execute(f'CREATE DATABASE "{database}"')
    await conn.close()
    settings = Settings(
        _env_file=None,
        database_url=pg.sqlalchemy_url(database),
        log_level="warning",
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        argon2_parallelism=1,
    )
    services = build_services(settings)
    try:
        await services.database.upgrade()
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"seeding {flights} flights x 180 seats", total=flights)
            await seed_flights(
                services.catalog,
                services.catalog.now(),
                flights,
                lambda n: progress.advance(task, n),
            )

        async def account(i: int) -> str:
            email = f"bench-{i}@example.com"
            await services.accounts.ensure_user(email, "bench-password", Role.CUSTOMER)
            return (await services.accounts.login(email, "bench-password"))[1]

        tokens: list[str] = []
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"signing up {users} travellers", total=users)
            for first in range(0, users, ACCOUNTS_AT_ONCE):
                batch = range(first, min(users, first + ACCOUNTS_AT_ONCE))
                tokens += await asyncio.gather(*(account(i) for i in batch))
                progress.advance(task, len(batch))
    finally:
        await services.close()
    return {"tokens": "\n".join(tokens)}


# The tables that point at a booking or a hold (passengers, mail, redemptions, ...), read from
# the catalog so that a table added later is emptied too; seats are freed, never deleted.
DEPENDENTS = """
SELECT DISTINCT conrelid::regclass::text FROM pg_constraint
WHERE contype = 'f' AND confrelid IN ('bookings'::regclass, 'holds'::regclass)
  AND conrelid NOT IN ('seats'::regclass, 'bookings'::regclass)
"""


async def reset_inventory(pg: PostgresServer, database: str) -> None:
    """Every seat free again. The app servers may be running (their sweepers touch the same
    rows), so one transaction that locks the tables first, retried on a deadlock."""
    conn = await asyncpg.connect(pg.dsn(database))
    try:
        dependents = [row[0] for row in await conn.fetch(DEPENDENTS)]
        emptied = [*dependents, "bookings", "holds", "events", "idempotency_keys"]
        for attempt in range(5):
            try:
                async with conn.transaction():
                    await conn.execute(
                        f"LOCK TABLE seats, {', '.join(emptied)} IN ACCESS EXCLUSIVE MODE;"
                        "UPDATE seats SET status='available', hold_id=NULL, held_until=NULL, "
                        "booking_id=NULL WHERE status <> 'available';"
                        + "".join(f"DELETE FROM {table};" for table in emptied)
                    )
                break
            except asyncpg.exceptions.DeadlockDetectedError:
                await asyncio.sleep(0.5 * (attempt + 1))
        # No VACUUM or ANALYZE here: either would record the emptied tables as empty, and
        # its invalidation has each app server's connections plan their statements again at
        # the next run's start, for tables of a few rows; those generic plans are kept while
        # the tables grow by thousands in the run (the held-and-sold read then looped a
        # sequential scan of booking_seats: 50 ms instead of 0.2, PostgreSQL's CPU per
        # booking 11 ms instead of 3.5, in one run of three). A database in service is
        # never emptied so: autovacuum keeps its statistics.
    finally:
        await conn.close()


# A load generator is a few customers from one address booking flat out: exactly what the
# anti-abuse limits (seat spinning, OWASP OAT-021) are there to stop. The benches lift them.
LOAD_LIMITS = {
    "LASTSEAT_HOLDS_PER_CUSTOMER": "1000000000",
    "LASTSEAT_HOLDS_PER_ADDRESS": "1000000000",
    "LASTSEAT_HOLD_MAX_SEATS_PER_CUSTOMER": "100000",
    "LASTSEAT_HOLD_MAX_SEATS_PER_FLIGHT": "10000",
    "LASTSEAT_CUSTOMER_MAX_SEATS_PER_FLIGHT": "10000",
    "LASTSEAT_HOLD_MAX_ADDRESS_SHARE_PERCENT": "100",
}


def best_pgbench(
    pg: PostgresServer, database: str, data: dict[str, str], args: argparse.Namespace
) -> dict[str, float]:
    """The ceiling is the database at its best: as many clients as HTTP has, or as the app
    servers hold connections, whichever runs faster (the inventory is reset in between).
    A count the server has no room for (a shared PostgreSQL's max_connections) is left
    out and said so; the HTTP side then has no more connections than the ceiling had."""
    results = []
    pooled = args.workers * args.pool
    counts = {pooled} if args.quick else {args.connections, pooled}
    for clients in sorted(counts):
        try:
            results.append({**run_pgbench(pg, database, data, args, clients), "clients": clients})
        except RuntimeError as refused:
            console.print(f"(a) pgbench with {clients} clients left out: {refused}")
        asyncio.run(reset_inventory(pg, database))
    if not results:
        raise RuntimeError("pgbench ran with no client count: see above")
    return max(results, key=lambda r: r["tps"])


def run_pgbench(
    pg: PostgresServer,
    database: str,
    data: dict[str, str],
    args: argparse.Namespace,
    clients: int,
) -> dict[str, float]:
    done = subprocess.run(
        [
            "pgbench",
            "-n",
            "-c",
            str(clients),
            "-j",
            "2",
            "-T",
            str(args.seconds),
            "-f",
            str(HERE / "hold_confirm.sql"),
            "-D",
            f"flights={args.flights}",
            "-D",
            f"users={len(data['tokens'].split())}",  # each client its own (hold_confirm.sql)
            "-h",
            pg.host,
            "-p",
            str(pg.port),
            "-U",
            pg.user,
            database,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"pgbench failed:\n{done.stderr[-2000:]}")
    out = done.stdout
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = float(re.search(r"latency average = ([\d.]+) ms", out).group(1))  # type: ignore[union-attr]
    return {"tps": tps, "latency_avg_ms": latency}


def parse_wrk(out: str) -> dict[str, float]:
    def ms(text: str) -> float:
        value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    result = {"requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for pct in ("50", "99"):
        found = re.search(rf"\s{pct}(?:\.000)?%\s+([\d.]+(?:us|ms|s))", out)
        if found:
            result[f"p{pct}_ms"] = ms(found.group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non_2xx"] = float(errors.group(1)) if errors else 0.0
    return result


def run_wrk(
    url: str,
    script: str,
    args: argparse.Namespace,
    env: dict[str, str],
    extra: tuple[str, ...] = (),
) -> tuple[dict[str, float], str]:
    # booking.lua is one customer per wrk thread (see there): a thread per connection, so
    # 64 connections are 64 customers, as many as buy at once, and not 2 customers each
    # holding 32 seats at a time (their holds would queue on the customer's own limits).
    threads = args.connections if script == "booking.lua" else 2
    out = subprocess.run(
        [
            "wrk",
            *extra,
            "-t",
            str(threads),
            "-c",
            str(args.connections),
            "-d",
            f"{args.seconds}s",
            "--latency",
            "-s",
            str(HERE / script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
        timeout=args.seconds + 60,
    ).stdout
    return parse_wrk(out), out


class Process:
    """A child process, stopped by its pid."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        with log.open("ab") as sink:
            self.proc = subprocess.Popen(argv, env=env, stdout=sink, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)


def drop_database(pg: PostgresServer, database: str) -> None:
    """The bench's database gone from a PostgreSQL it did not start (one it started goes
    whole)."""

    async def drop() -> None:
        conn = await asyncpg.connect(pg.dsn())
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await conn.close()

    asyncio.run(drop())


def tear_down(processes: list[Process], pg: PostgresServer, database: str, workdir: Path) -> None:
    """What a bench started, stopped last-started first; its database and folder gone."""
    for process in reversed(processes):
        process.stop()
    if pg.data_dir is None:
        drop_database(pg, database)
    pg.stop()
    shutil.rmtree(workdir, ignore_errors=True)


def wait_ready(url: str, seconds: float = 120, log: Path | None = None) -> None:
    """Until `url` answers 200: an app server's start (its imports) can take half a minute
    on a loaded 2-core machine. `log`: the server's, whose end the error shows."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    said = "" if log is None or not log.exists() else log.read_text()[-3000:]
    raise RuntimeError(f"{url} did not become ready\n{said}")


CPU = "cpu_ms:"  # a run's milliseconds of CPU per unit (booking, request) by kind of process


def cpu_by_kind(kinds: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds so far of each kind of process (each pid with its children), and of
    PostgreSQL's processes: what a run cost each is the difference across it."""
    spent = {
        kind: cpu_seconds([p for pid in pids for p in (pid, *workers_of(pid))])
        for kind, pids in kinds.items()
    }
    postgres = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True)
    spent["PostgreSQL"] = cpu_seconds([int(pid) for pid in postgres.stdout.split()])
    return spent


def cpu_per_unit(
    before: dict[str, float], after: dict[str, float], units: float
) -> dict[str, float]:
    """Milliseconds of CPU per unit (a booking, a request) by kind, as run keys."""
    return {
        CPU + kind: round((after[kind] - before.get(kind, 0.0)) * 1000 / max(units, 1), 6)
        for kind in after
    }


def start_booking_tiers(
    env: dict[str, str],
    workdir: Path,
    processes: list[Process],
    port: int,
    sandbox_port: int,
    workers: int,
) -> tuple[Process, Process]:
    """The tiers a booking crosses, as `lastseat up` runs them: the payment sandbox (every
    booking authorizes and captures there, as in production), the mail tier (the catcher)
    and the mailer that draws the tickets and sends them there (`env` should tell the
    servers not to), and the app servers on `port`. Each is registered in `processes`
    before its wait, so a failed start is stopped too. Returns the app server and the
    mailer."""
    processes.append(
        Process(lastseat_argv("payments-sandbox", "--port", str(sandbox_port)), env,
                workdir / "sandbox.log")
    )  # fmt: skip
    wait_ready(f"http://127.0.0.1:{sandbox_port}/healthz", log=workdir / "sandbox.log")
    catcher_port = free_port()
    catcher = ["stack-mail", "--port", str(catcher_port), "--folder", str(workdir / "mail")]
    processes.append(Process(lastseat_argv(*catcher), env, workdir / "mail.log"))
    listening = partial(port_open, catcher_port)
    wait_process_ready("the mail tier", processes[-1].proc, listening, workdir / "mail.log", 60)
    mailer_port = free_port()
    mailer_env = {**env, "LASTSEAT_MAIL_CATCHER_PORT": str(catcher_port)}
    mailer = Process(lastseat_argv("mailer", "--port", str(mailer_port)), mailer_env,
                     workdir / "mailer.log")  # fmt: skip
    processes.append(mailer)
    wait_ready(f"http://127.0.0.1:{mailer_port}/healthz", log=workdir / "mailer.log")
    serve = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    app = Process(lastseat_argv(*serve), env, workdir / "app.log")
    processes.append(app)
    wait_ready(f"http://127.0.0.1:{port}/readyz", log=workdir / "app.log")
    return app, mailer


def wait_grpc(target: str, seconds: float = 30) -> None:
    ready = grpc_serving(target)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{target} did not become ready")


def start_nginx(workdir: Path, body: bytes) -> tuple[Process, int]:
    port = free_port()
    (workdir / "html" / "seats").mkdir(parents=True)
    (workdir / "html" / "seats" / "map.json").write_bytes(body)
    (workdir / "logs").mkdir()
    conf = workdir / "nginx.conf"
    conf.write_text(
        f"""worker_processes 2;
pid {workdir}/nginx.pid;
error_log {workdir}/logs/error.log warn;
daemon off;
events {{ worker_connections 1024; }}
http {{
  access_log {workdir}/logs/access.log;
  keepalive_requests 100000;
  types {{ application/json json; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{ root {workdir}/html; }}
  }}
}}
"""
    )
    process = Process(
        ["nginx", "-p", str(workdir), "-c", str(conf)],
        dict(os.environ),
        workdir / "logs" / "stdout.log",
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}/seats/map.json")
    except RuntimeError:
        process.stop()
        raise
    return process, port


def run_python(script: str, argv: list[str], timeout: float) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, str(HERE / script), *argv],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{script} failed:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def raise_open_files_limit() -> None:
    """1,000 watchers need more sockets than the usual 1,024 descriptors; children inherit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65_536)), hard))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--flights", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2, help="app server processes")
    parser.add_argument(
        "--pool",
        type=int,
        default=default_pool_size(),
        help="database connections per app server (default: the settings' own, from the cores)",
    )
    parser.add_argument("--watchers", type=int, default=1000, help="WebSocket watchers in (g)")
    parser.add_argument("--ws-rate", type=float, default=20.0, help="changes/s in (g)")
    parser.add_argument(
        "--no-fanout", action="store_true", help="skip (g): bench/fanout.py is run on its own"
    )
    parser.add_argument(
        "--perf",
        action="store_true",
        help="during (b), where the machine's CPU went by process and library (perf record -a)",
    )
    add_quick(parser)
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.flights, args.watchers = 2, 100, 200
    raise_open_files_limit()
    for tool in ("pgbench", "wrk", "nginx"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is missing: run scripts/setup as root")

    pg = find_or_start()
    database = f"lastseat_bench_{uuid.uuid4().hex[:8]}"
    workdir = Path(tempfile.mkdtemp(prefix="lastseat-bench-"))
    workdir.chmod(0o755)  # nginx workers drop root and must read the static file
    processes: list[Process] = []
    try:
        skipped: list[Skipped] = []
        data = asyncio.run(prepare(pg, database, args.flights, args.connections))
        console.print(f"(a) pgbench: the service's hold+confirm SQL, {args.seconds}s per run")
        ceiling = best_pgbench(pg, database, data, args)

        port, sandbox_port = free_port(), free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("LASTSEAT_")},
            "LASTSEAT_ENV_FILE": "/dev/null/lastseat.env",
            "LASTSEAT_DATABASE_URL": pg.sqlalchemy_url(database),
            "LASTSEAT_POOL_SIZE": str(args.pool),
            "LASTSEAT_POOL_TIMEOUT_SECONDS": "30",
            "LASTSEAT_PAYMENTS_URL": f"http://127.0.0.1:{sandbox_port}",
            # As `lastseat up` runs them: the mailer below draws and sends the tickets.
            "LASTSEAT_MAIL_SEND_IN_SERVERS": "false",
            **LOAD_LIMITS,
        }
        app, mailer = start_booking_tiers(env, workdir, processes, port, sandbox_port, args.workers)
        # the app servers, and what a booking costs beside them: the provider's sandbox,
        # the mailer drawing tickets, the mail tier receiving them (all the tiers started)
        kinds = {
            "app": [app.proc.pid],
            "sandbox, mail tier, mailer": [p.proc.pid for p in processes if p is not app],
        }
        base = f"http://127.0.0.1:{port}"
        tokens = workdir / "tokens.txt"
        tokens.write_text(data["tokens"] + "\n")
        wrk_env = {
            "BENCH_TOKENS": str(tokens),
            "BENCH_FLIGHTS": str(args.flights),
            "BENCH_CLIENT_ADDRESSES": "1",  # as pgbench's clients (hold_confirm.sql)
        }
        console.print(
            f"(b) HTTP booking flow, {args.workers} app servers, {args.connections} connections"
        )
        sampler = machine_cpu.record(args.seconds - 1, workdir / "perf.data") if args.perf else None
        if args.perf and sampler is None:
            console.print("--perf: perf is not installed (scripts/setup installs linux-perf)")
        before = cpu_by_kind(kinds)
        booking, booking_out = run_wrk(base, "booking.lua", args, wrk_env)
        after = cpu_by_kind(kinds)
        machine: list[machine_cpu.Share] = []
        if sampler is not None:
            sampler.wait(timeout=120)
            machine = machine_cpu.split(workdir / "perf.data")
        counts = dict(re.findall(r"(\w+)=(\d+)", booking_out.split("BENCH", 1)[1]))
        confirmed_per_s = int(counts["confirmed"]) / args.seconds
        booking.update(cpu_per_unit(before, after, int(counts["confirmed"])))

        load_args = [
            "--tokens", str(tokens), "--flights", str(args.flights),
            "--seconds", str(args.seconds), "--concurrency", str(args.connections),
        ]  # fmt: skip
        asyncio.run(reset_inventory(pg, database))
        http_py: dict[str, float] | None = None
        grpc_py: dict[str, float] | None = None
        if args.quick:  # two more servers to start: the quick run says it skipped them
            skipped += [
                skip("(e) HTTP bookings from load.py", "not run in quick mode"),
                skip("(f) gRPC bookings from load.py", "not run in quick mode"),
            ]
        else:
            console.print("(e) HTTP booking flow from bench/load.py")
            http_py = run_python("load.py", ["http", base, *load_args], args.seconds + 120)
            asyncio.run(reset_inventory(pg, database))
            grpc_port = free_port()
            for i in range(args.workers):  # grpc.aio sets SO_REUSEPORT: the kernel spreads calls
                processes.append(
                    Process(
                        lastseat_argv(
                            "serve-grpc",
                            "--host",
                            "127.0.0.1",
                            "--port",
                            str(grpc_port),
                        ),
                        env,
                        workdir / f"grpc-{i}.log",
                    )
                )
            wait_grpc(f"127.0.0.1:{grpc_port}")
            console.print(f"(f) gRPC booking flow from bench/load.py, {args.workers} gRPC servers")
            grpc_py = run_python(
                "load.py", ["grpc", f"127.0.0.1:{grpc_port}", *load_args], args.seconds + 120
            )
            asyncio.run(reset_inventory(pg, database))

        console.print("(c) seat-map GET")
        seatmap, _ = run_wrk(base, "seatmap.lua", args, wrk_env)
        body = httpx.get(base + "/api/v1/flights/1/seats").content
        nginx, nginx_port = start_nginx(workdir / "nginx", body)
        processes.append(nginx)
        console.print("(d) nginx serving the same seat-map bytes as a static file")
        static, _ = run_wrk(f"http://127.0.0.1:{nginx_port}/seats/map.json", "static.lua", args, {})
        body_file = workdir / "seatmap.json"
        body_file.write_bytes(body)
        bare_port = free_port()
        bare = Process(
            [
                sys.executable, "-m", "uvicorn", "bare_asgi:app", "--app-dir", str(HERE),
                "--host", "127.0.0.1", "--port", str(bare_port), "--workers", str(args.workers),
                "--loop", "uvloop", "--http", "httptools", "--no-access-log",
                "--log-level", "warning",
            ],
            {**env, "BENCH_BODY": str(body_file)},
            workdir / "bare.log",
        )  # fmt: skip
        processes.append(bare)
        wait_ready(f"http://127.0.0.1:{bare_port}/")
        console.print("(h) bare uvicorn answering the same bytes (the app-server ceiling)")
        bare_stats, _ = run_wrk(f"http://127.0.0.1:{bare_port}/", "static.lua", args, {})
        fanout = None if args.no_fanout else run_fanout(base, data, args)
        if args.no_fanout:
            skipped.append(skip("(g) fan-out", "bench/fanout.py measures it on its own"))
        elif fanout is None:
            skipped += [skip(f"fan-out {pct}", "(g) failed: see run.py's output")
                        for pct in ("p50", "p99")]  # fmt: skip
        rss = {f"app server worker pid {pid}": mb for pid, mb in server_rss(app.proc.pid).items()}
        mailer_rss = server_rss(mailer.proc.pid)
    finally:
        tear_down(processes, pg, database, workdir)

    ratio_booking = confirmed_per_s / ceiling["tps"]
    ratio_seatmap = seatmap["requests_per_s"] / static["requests_per_s"]
    table = Table(title="lastseat bench (PostgreSQL)")
    for column in ("measure", "per second", "p50 ms", "p99 ms", "ratio"):
        table.add_column(column)

    def row(name: str, rate: float, stats: dict[str, float], ratio: str) -> None:
        p50, p99 = stats.get("p50_ms"), stats.get("p99_ms")
        table.add_row(
            name,
            f"{rate:.0f}",
            "" if p50 is None else f"{p50:.1f}",
            "" if p99 is None else f"{p99:.1f}",
            ratio,
        )

    pg_latency = {"p50_ms": ceiling["latency_avg_ms"]}  # pgbench reports the mean only
    row(
        f"(a) pgbench hold+confirm, {ceiling['clients']:.0f} clients (ceiling)",
        ceiling["tps"],
        pg_latency,
        "1.00 (p50 = mean)",
    )
    row("(b) HTTP bookings confirmed", confirmed_per_s, booking, f"{ratio_booking:.2f} of (a)")
    row("    HTTP requests of (b)", booking["requests_per_s"], {}, str(counts))
    cpu = {k.removeprefix(CPU): ms for k, ms in booking.items() if k.startswith(CPU)}
    spent = ", ".join(f"{kind} {ms:.2f}" for kind, ms in cpu.items())
    table.add_row("    CPU per booking of (b), ms", "", "", "", spent)
    for share, process, library in machine:
        short = re.sub(r"\.cpython-\d+-[\w-]+\.so$", ".so", library)
        table.add_row(
            f"    (b) machine CPU: {process}, {escape(short)}", "", "", "", f"{share:.1f}%"
        )
    row("(c) seat-map GET", seatmap["requests_per_s"], seatmap, f"{ratio_seatmap:.3f} of (d)")
    row("(d) nginx static seat map (ceiling)", static["requests_per_s"], static, "1.00")
    row(
        "(h) bare uvicorn, same bytes",
        bare_stats["requests_per_s"],
        bare_stats,
        f"{bare_stats['requests_per_s'] / static['requests_per_s']:.3f} of (d); "
        f"(c) is {seatmap['requests_per_s'] / bare_stats['requests_per_s']:.2f} of it",
    )
    if http_py is not None and grpc_py is not None:
        http_rate, grpc_rate = http_py["confirmed_per_s"], grpc_py["confirmed_per_s"]
        row("(e) HTTP bookings confirmed (load.py)", http_rate, {},
            f"{http_rate / ceiling['tps']:.2f} of (a)")  # fmt: skip
        row("(f) gRPC bookings confirmed (load.py)", grpc_rate, {},
            f"{grpc_rate / ceiling['tps']:.2f} of (a), {ratio(grpc_rate, http_rate)} of (e)",
        )  # fmt: skip
    if fanout is not None:
        row(
            f"(g) changes delivered to {fanout['connected']:.0f} watchers",
            fanout["delivered_per_s"],
            {"p50_ms": fanout["delay_p50_ms"], "p99_ms": fanout["delay_p99_ms"]},
            f"{fanout['deliveries']:.0f}/{fanout['expected_deliveries']:.0f} delivered, "
            f"{fanout['cut_off']:.0f} cut off",
        )
    for name, mb in rss.items():
        table.add_row(f"RSS of {name} after the runs", f"{mb:.0f} MB", "", "", "")
    for mb in mailer_rss.values():  # one process, whichever server count
        table.add_row("RSS of the mailer after the runs", f"{mb:.0f} MB", "", "", "")
    console.print(table)
    results = {
        "pgbench": ceiling,
        "booking": {
            **booking,
            **{k: int(v) for k, v in counts.items()},
            "confirmed_per_s": confirmed_per_s,
            "ratio_to_pgbench": ratio_booking,
            "machine_cpu_percent": machine,  # --perf: (share, process, library)
        },
        "seatmap": {**seatmap, "ratio_to_nginx": ratio_seatmap},
        "nginx_static": static,
        "bare_uvicorn": bare_stats,
        "http_load_py": http_py,
        "grpc_load_py": grpc_py,
        "fanout": fanout,
        "rss_mb": rss,
        "mailer_rss_mb": next(iter(mailer_rss.values()), None),
        "args": vars(args),
    }
    # (measure, per second, its ceiling in this run, the ceiling's per second): context, no target
    context = [
        ("seat-map GET, one app (2 servers) vs nginx static bytes", seatmap["requests_per_s"],
         "nginx serving the same bytes", static["requests_per_s"]),
        ("seat-map GET vs bare uvicorn, same bytes", seatmap["requests_per_s"],
         "bare uvicorn, no app", bare_stats["requests_per_s"]),
    ]  # fmt: skip
    if http_py is not None and grpc_py is not None:
        context += [
            ("HTTP bookings from load.py vs pgbench", http_py["confirmed_per_s"],
             "pgbench hold+confirm", ceiling["tps"]),
            ("gRPC bookings vs HTTP bookings, both from load.py", grpc_py["confirmed_per_s"],
             "HTTP bookings from load.py", http_py["confirmed_per_s"]),
        ]  # fmt: skip
    measures = [
        at_least(
            "HTTP bookings vs pgbench running the same SQL",
            confirmed_per_s, "/s", "pgbench hold+confirm", ceiling["tps"], 0.45,
        ),
        *(measure(name, value, "/s", ceiling_name=top, ceiling=most)
          for name, value, top, most in context),
        rss_measure("run.py", rss),
    ]  # fmt: skip
    if fanout is not None:
        where = f"run.py (g), {fanout['connected']:.0f} watchers, no bare-server ceiling"
        measures += [
            measure(f"fan-out p50, change to arrival ({where})", fanout["delay_p50_ms"], "ms"),
            measure(
                f"fan-out p99, change to arrival ({where})",
                fanout["delay_p99_ms"], "ms", "p99 < 65 ms", met=fanout["delay_p99_ms"] < 65,
            ),
        ]  # fmt: skip
    path = write_result("run", results, measures, skipped)
    console.print(f"results written to {path}")


def run_fanout(
    base: str, data: dict[str, str], args: argparse.Namespace
) -> dict[str, float] | None:
    """(g), by bench/fanout.py; if it fails, the other figures of the run are still kept."""
    console.print(f"(g) {args.watchers} WebSocket watchers, {args.ws_rate:.0f} changes/s")
    try:
        return run_python(
            "fanout.py",
            [
                base, "--flight", "2", "--token", data["tokens"].split()[0],
                "--watchers", str(args.watchers), "--rate", str(args.ws_rate),
                "--seconds", str(args.seconds),
            ],
            args.seconds + 180,
        )  # fmt: skip
    except (RuntimeError, subprocess.TimeoutExpired, ValueError) as failed:
        console.print(f"(g) not measured: {failed}")
        return None


if __name__ == "__main__":
    main()
