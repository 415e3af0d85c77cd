"""The whole stack against one app server: what DNS, the firewall and the proxy cost.

`lastseat up` on PostgreSQL (2 app servers), then, in one run, with wrk (64 connections):
the seat-map GET and the booking flow (hold, then confirm) entering at each tier: straight
to one app server over HTTP, at the proxy (HTTP, both app servers), and at the firewall
(TLS, WAF, then the proxy), in rounds (three by default: every entry once a round; each
entry's median run is kept, every run is in the JSON). Then lookups of the site's name at
the DNS tier, and each app server's RSS after the runs. Prints the throughput ratio and the
p50/p99 latency each tier adds. Writes var/bench/stack.json (the bench contract: bench/contract.py).
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
from operator import itemgetter
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
import contract
from contract import Measure
from run import (
    CPU,
    LOAD_LIMITS,
    cpu_by_kind,
    cpu_per_unit,
    drop_database,
    prepare,
    reset_inventory,
    run_wrk,
)

from lastseat.stack.ports import free_pair, free_port
from lastseat.stack.postgres import PostgresServer, find_or_start
from lastseat.stack.processes import lastseat_argv

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
KEPT_LOGS = ROOT / "var" / "bench" / "stack-logs"  # a failed run's tier logs
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
        app_port = free_pair()  # app-1 and app-2 listen on it and the next one
        ports = {name: free_port() for name in (
            "DNS", "DOH", "HTTPS", "HTTP", "PROXY", "PROXY_GRPC", "GRPC", "MAIL_CATCHER", "MAILER",
        )}  # fmt: skip
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("LASTSEAT_")},
            "LASTSEAT_ENV_FILE": "/dev/null/lastseat.env",
            # prepare() keyed the bench users' token hashes with the development secrets;
            # a loopback bench is a development machine (`serve` refuses them behind TLS).
            "LASTSEAT_ALLOW_DEV_SECRETS": "true",
            "LASTSEAT_DATABASE_URL": pg.sqlalchemy_url(database),
            "LASTSEAT_STACK_DIR": str(folder),
            "LASTSEAT_APP_PORT": str(app_port),
            "LASTSEAT_PAYMENTS_URL": f"http://127.0.0.1:{free_port()}",  # the sandbox's
            "LASTSEAT_RATE_LIMIT_PER_SECOND": "1000000",
            "LASTSEAT_RATE_LIMIT_BURST": "1000000",
            "LASTSEAT_CONNECTIONS_PER_ADDRESS": "60000",
            **LOAD_LIMITS,
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
                sys.exit(f"the stack did not come up (its logs: {KEPT_LOGS}):\n{log.read_text()}")
            time.sleep(0.2)
        yield Stack(folder, env, app_port, ports)
    except BaseException:
        keep_logs(folder)
        raise
    finally:
        if up is not None and up.poll() is None:
            up.send_signal(signal.SIGINT)
            try:
                up.wait(timeout=60)
            except subprocess.TimeoutExpired:
                up.kill()

        if pg.data_dir is None:
            drop_database(pg, database)
        pg.stop()
        shutil.rmtree(folder, ignore_errors=True)


def keep_logs(folder: Path) -> None:
    """A failed run's tier logs, kept past the folder's removal, in KEPT_LOGS."""
    shutil.rmtree(KEPT_LOGS, ignore_errors=True)
    KEPT_LOGS.mkdir(parents=True)
    for name in ("up.log", "logs"):
        source = folder / name
        if source.is_dir():
            shutil.copytree(source, KEPT_LOGS / name)
        elif source.exists():
            shutil.copy(source, KEPT_LOGS / name)


ENTRIES = ("app server", "proxy tier", "firewall tier")
FLOWS = (
    ("seat map", "seatmap.lua", "requests_per_s"),
    ("booking", "booking.lua", "confirmed_per_s"),
)
TARGETS = {"seat map": 0.35, "booking": 0.85}  # issue 18: whole stack vs one app server


def entry_urls(stack: Stack) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Where each tier is entered: one app server straight over HTTP; the proxy (HTTP, both
    app servers); the firewall (TLS, limits, WAF, then the proxy): the whole stack."""
    return {
        "app server": (f"http://127.0.0.1:{stack.app_port}", ()),
        "proxy tier": (f"http://127.0.0.1:{stack.ports['PROXY']}", HOST),
        "firewall tier": (f"https://127.0.0.1:{stack.ports['HTTPS']}", HOST),
    }


def dns_lookups(port: int, count: int) -> dict[str, float]:
    """`count` A lookups of the site's name at the stack's DNS tier, one after another (a
    browser asks once per visit, then caches): their p50 and p99 in ms."""
    import dns.message
    import dns.query

    took = []
    for _ in range(count):
        query = dns.message.make_query(HOST[1].split()[-1], "A")
        started = time.perf_counter()
        dns.query.udp(query, "127.0.0.1", port=port, timeout=2)
        took.append((time.perf_counter() - started) * 1000)
    took.sort()
    return {
        "p50_ms": took[len(took) // 2],
        "p99_ms": took[min(len(took) - 1, round(len(took) * 0.99))],
        "n": float(count),
    }


def app_server_rss(stack: Stack) -> dict[str, float]:
    """Each app server's RSS now (its uvicorn workers' if it forked any)."""
    state = json.loads((stack.folder / "state.json").read_text())
    return {
        f"{tier['name']} pid {pid}": mb
        for tier in state["tiers"]
        if tier["name"].startswith("app-")
        for pid, mb in contract.server_rss(tier["pid"]).items()
    }


def tier_cpu(stack: Stack) -> dict[str, float]:
    """CPU seconds so far of each kind of tier (app-1 and app-2 are "app"), its processes
    and their children, and of PostgreSQL's processes: what a run cost each is the
    difference across it."""
    state = json.loads((stack.folder / "state.json").read_text())
    kinds: dict[str, list[int]] = {}
    for tier in state["tiers"]:
        kinds.setdefault(re.sub(r"-\d+$", "", tier["name"]), []).append(tier["pid"])
    return cpu_by_kind(kinds)


def measures_of(
    runs: dict[str, dict[str, dict[str, float]]], rss: dict[str, float]
) -> list[Measure]:
    found = []
    for flow, _, rate in FLOWS:
        one, whole = runs[flow]["app server"], runs[flow]["firewall tier"]
        found.append(
            contract.at_least(
                f"{flow} through the whole stack vs one app server",
                whole[rate],
                "/s",
                f"{flow}, one app server",
                one[rate],
                TARGETS[flow],
            )
        )
        for pct in ("p50", "p99"):
            found.append(
                contract.measure(
                    f"{flow} {pct} the whole stack adds",
                    whole[f"{pct}_ms"] - one[f"{pct}_ms"],
                    "ms",
                    "(context: see the tier chart)",
                )
            )
    found.append(contract.rss_measure("stack.py", rss))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--flights", type=int, default=200)
    parser.add_argument("--dns-lookups", type=int, default=200)
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs of each flow at each entry (the median kept)"
    )
    contract.add_quick(parser)
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.flights, args.dns_lookups, args.rounds = 2, 50, 50, 1
    pg = find_or_start()
    database = f"lastseat_stack_bench_{uuid.uuid4().hex[:8]}"
    runs: dict[str, dict[str, dict[str, float]]] = {flow: {} for flow, _, _ in FLOWS}
    every_run: dict[str, dict[str, list[dict[str, float]]]] = {}
    data = asyncio.run(prepare(pg, database, args.flights, args.connections))
    with running_stack(pg, database) as stack:
        tokens = stack.folder / "tokens.txt"
        tokens.write_text(data["tokens"] + "\n")
        wrk_env = {"BENCH_TOKENS": str(tokens), "BENCH_FLIGHTS": str(args.flights)}
        rss_at_start = app_server_rss(stack)
        for flow, script, rate in FLOWS:
            tried: dict[str, list[dict[str, float]]] = {entry: [] for entry in ENTRIES}
            # Rounds, each entering at every tier in turn: a spell of the machine's other
            # load then falls on every entry alike, not on one of them.
            for turn in range(1, args.rounds + 1):
                for entry, (url, extra) in entry_urls(stack).items():
                    console.print(f"{flow}, entering at the {entry} (round {turn}/{args.rounds})")
                    before = tier_cpu(stack)
                    stats, out = run_wrk(url, script, args, wrk_env, extra)
                    after = tier_cpu(stack)
                    if script == "booking.lua":
                        counts = dict(re.findall(r"(\w+)=(\d+)", out.split("BENCH", 1)[1]))
                        stats.update({name: float(n) for name, n in counts.items()})
                        stats["confirmed_per_s"] = int(counts["confirmed"]) / args.seconds
                        asyncio.run(reset_inventory(pg, database))
                    units = stats[rate] * args.seconds
                    tried[entry].append({**stats, **cpu_per_unit(before, after, units)})
            every_run[flow] = tried
            median = itemgetter(rate)
            runs[flow] = {entry: contract.median_run(tried[entry], median) for entry in ENTRIES}
        dns = dns_lookups(stack.ports["DNS"], args.dns_lookups)
        rss = app_server_rss(stack)

    details = {
        "runs": runs, "every_run": every_run, "dns": dns, "rss_mb": rss,
        "rss_mb_at_start": rss_at_start, "args": vars(args),
    }  # fmt: skip
    contract.write_result("stack", details, measures_of(runs, rss))
    table = Table(title="the whole stack, tier by tier (PostgreSQL)")
    for column in ("measure", "per second", "p50 ms", "p99 ms", "vs one app server"):
        table.add_column(column)
    for flow, _, rate in FLOWS:
        one = runs[flow]["app server"]
        for entry in ENTRIES:
            got = runs[flow][entry]
            table.add_row(
                f"{flow}, entering at the {entry}", f"{got[rate]:.0f}",
                f"{got['p50_ms']:.1f}", f"{got['p99_ms']:.1f}",
                f"{contract.ratio(got[rate], one[rate])}x; "
                f"adds p50 {got['p50_ms'] - one['p50_ms']:+.1f} ms,"
                f" p99 {got['p99_ms'] - one['p99_ms']:+.1f} ms",
            )  # fmt: skip
    table.add_row("DNS lookup at the DNS tier (one at a time)", "", f"{dns['p50_ms']:.2f}",
                  f"{dns['p99_ms']:.2f}", "")  # fmt: skip
    for name, mb in rss.items():
        start = rss_at_start.get(name)
        table.add_row(f"RSS of {name} after the runs", f"{mb:.0f} MB", "", "",
                      "" if start is None else f"{start:.0f} MB once up")  # fmt: skip
    console.print(table)
    console.print(cpu_table(runs))


def cpu_table(runs: dict[str, dict[str, dict[str, float]]]) -> Table:
    """Where each entry's median run spent the machine's CPU, by kind of tier: per booking
    (ms) and per 1,000 seat maps (ms)."""
    table = Table(title="CPU by tier (ms per booking; ms per 1,000 seat maps), median runs")
    table.add_column("tier")
    columns = [(flow, entry) for flow, _, _ in FLOWS for entry in ENTRIES]
    for flow, entry in columns:
        table.add_column(f"{flow}, at the {entry}")
    keys = {key for flow, entry in columns for key in runs[flow][entry] if key.startswith(CPU)}
    busiest = sorted(keys, key=lambda key: -runs["booking"]["firewall tier"].get(key, 0.0))
    for key in busiest:
        cells = []
        for flow, entry in columns:
            value = runs[flow][entry].get(key, 0.0) * (1000 if flow == "seat map" else 1)
            cells.append(f"{value:.2f}")
        table.add_row(key.removeprefix(CPU), *cells)
    return table


if __name__ == "__main__":
    main()
