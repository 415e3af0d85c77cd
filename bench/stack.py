"""The whole stack against one app server: what DNS, the firewall and the proxy cost.

`lastseat up` on PostgreSQL (2 app servers), then, in one run, with wrk (64 connections):
the seat-map GET and the booking flow (hold, then confirm) straight to one app server
over HTTP, and through the firewall (TLS, WAF) and the proxy to both app servers.
Prints the throughput ratio and the p50/p99 latency the two tiers add.
Writes var/bench/stack.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import prepare, reset_inventory, run_wrk

from lastseat.stack.ports import free_port
from lastseat.stack.postgres import PostgresServer, find_or_start
from lastseat.stack.processes import lastseat_argv

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
console = Console(width=140)
HOST = ("-H", "Host: lastseat.test")


@dataclass
class Stack:
    """The whole stack (`lastseat up`: DNS, firewall, proxy, app servers) a benchmark runs."""

    folder: Path
    env: dict[str, str]
    app_port: int
    ports: dict[str, int]


@contextlib.contextmanager
def running_stack(pg: PostgresServer, database: str, **extra_env: str) -> Iterator[Stack]:
    """`lastseat up` on free ports over an already prepared database, with limits high
    enough for a load generator; Ctrl-C'd and the database dropped on the way out."""
    folder = Path(tempfile.mkdtemp(prefix="stack-bench-", dir=ROOT / "var"))
    folder.chmod(0o755)
    up = None
    try:
        app_port = free_port()
        ports = {name: free_port() for name in (
            "DNS", "DOH", "HTTPS", "HTTP", "PROXY", "PROXY_GRPC", "GRPC")}  # fmt: skip
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("LASTSEAT_")},
            "LASTSEAT_ENV_FILE": "/dev/null/lastseat.env",
            "LASTSEAT_DATABASE_URL": pg.sqlalchemy_url(database),
            "LASTSEAT_POOL_SIZE": "16",
            "LASTSEAT_STACK_DIR": str(folder),
            "LASTSEAT_APP_PORT": str(app_port),
            "LASTSEAT_PAYMENTS_URL": f"http://127.0.0.1:{free_port()}",  # the sandbox's
            "LASTSEAT_RATE_LIMIT_PER_SECOND": "1000000",
            "LASTSEAT_RATE_LIMIT_BURST": "1000000",
            "LASTSEAT_CONNECTIONS_PER_ADDRESS": "60000",
            **{f"LASTSEAT_{name}_PORT": str(port) for name, port in ports.items()},
            **extra_env,
        }
        log = folder / "up.log"
        with log.open("wb") as sink:
            up = subprocess.Popen(
                lastseat_argv("up", "--flights", "0"),
                env=env, stdout=sink, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 120
        while "lastseat is up" not in log.read_text():
            if up.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"the stack did not come up:\n{log.read_text()}")
            time.sleep(0.2)
        yield Stack(folder, env, app_port, ports)
    finally:
        if up is not None and up.poll() is None:
            up.send_signal(signal.SIGINT)
            try:
                up.wait(timeout=60)
            except subprocess.TimeoutExpired:
                up.kill()

        async def drop() -> None:
            conn = await asyncpg.connect(pg.dsn())
            await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            await conn.close()

        if pg.data_dir is None:
            asyncio.run(drop())
        pg.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--flights", type=int, default=200)
    args = parser.parse_args()
    pg = find_or_start()
    database = f"lastseat_stack_bench_{uuid.uuid4().hex[:8]}"
    results: dict[str, dict[str, float]] = {}
    data = asyncio.run(prepare(pg, database, args.flights, args.connections))
    with running_stack(pg, database) as stack:
        tokens = stack.folder / "tokens.txt"
        tokens.write_text(data["tokens"] + "\n")
        wrk_env = {"BENCH_TOKENS": str(tokens), "BENCH_FLIGHTS": str(args.flights)}
        direct = f"http://127.0.0.1:{stack.app_port}"
        through = f"https://127.0.0.1:{stack.ports['HTTPS']}"
        for name, url, script, extra in (
            ("seat map, one app server", direct, "seatmap.lua", ()),
            ("seat map, whole stack", through, "seatmap.lua", HOST),
            ("booking, one app server", direct, "booking.lua", ()),
            ("booking, whole stack", through, "booking.lua", HOST),
        ):
            console.print(name)
            stats, out = run_wrk(url, script, args, wrk_env, extra)
            if script == "booking.lua":
                counts = dict(re.findall(r"(\w+)=(\d+)", out.split("BENCH", 1)[1]))
                stats["confirmed_per_s"] = int(counts["confirmed"]) / args.seconds
                asyncio.run(reset_inventory(pg, database))
            results[name] = stats

    table = Table(title="the whole stack vs one app server (PostgreSQL)")
    for column in ("measure", "per second", "p50 ms", "p99 ms", "vs one app server"):
        table.add_column(column)
    for base, full, rate in (
        ("seat map, one app server", "seat map, whole stack", "requests_per_s"),
        ("booking, one app server", "booking, whole stack", "confirmed_per_s"),
    ):
        a, b = results[base], results[full]
        table.add_row(base, f"{a[rate]:.0f}", f"{a['p50_ms']:.1f}", f"{a['p99_ms']:.1f}", "1.00")
        table.add_row(
            full, f"{b[rate]:.0f}", f"{b['p50_ms']:.1f}", f"{b['p99_ms']:.1f}",
            f"{b[rate] / a[rate]:.2f}x; adds p50 {b['p50_ms'] - a['p50_ms']:+.1f} ms, "
            f"p99 {b['p99_ms'] - a['p99_ms']:+.1f} ms",
        )  # fmt: skip
    console.print(table)
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "stack.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
