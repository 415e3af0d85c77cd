"""What `lastseat cluster` costs: CPU and memory of its hosts at idle and under bookings.

Brings a cluster up (as root, on its own name prefix and /24, so it coexists with any
other), then measures for --seconds each: idle, and with --buyers retrying buyers (hold then
book, the tests' Buyer) through the firewall. The processes are those in each host's
namespace (`ip netns pids`) and the edge's (firewall, proxy, DNS, sandbox and their
children); CPU from /proc/<pid>/stat, memory as PSS (shared pages counted once) from
/proc/<pid>/smaps_rollup. The load generator itself is not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.cluster import Buyer, Cluster, Ledger, available_seats, running_cluster

TICKS = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(p) for p in task.read_text().split()]
        except OSError:
            pass
    return found


def tiers(cluster: Cluster) -> dict[int, str]:
    """Every pid of the cluster, with its tier: "db hosts", "app hosts" or "edge"."""
    owned: dict[int, str] = {}
    for host in cluster.shape.hosts:
        listed = subprocess.run(
            ["ip", "netns", "pids", host.namespace], capture_output=True, text=True, check=False
        ).stdout
        for word in listed.split():
            owned[int(word)] = f"{host.role} hosts"
    todo = [p["pid"] for p in cluster.state()["processes"] if p["host"] == "edge"]
    while todo:
        pid = todo.pop()
        if pid not in owned:
            owned[pid] = "edge"
            todo += _children(pid)
    return owned


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


async def measure(cluster: Cluster, seconds: float) -> dict[str, tuple[float, float]]:
    """Per tier: (cores busy on average over `seconds`, PSS in MB at the end)."""
    owned = tiers(cluster)
    before = {pid: _cpu_ticks(pid) for pid in owned}
    began = time.monotonic()
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - began
    owned.update(tiers(cluster))
    cpu: dict[str, float] = defaultdict(float)
    memory: dict[str, float] = defaultdict(float)
    for pid, tier in owned.items():
        ticks = _cpu_ticks(pid) - before.get(pid, 0)
        cpu[tier] += max(ticks, 0) / TICKS / elapsed
        memory[tier] += _pss_kib(pid) / 1024
    return {tier: (cpu[tier], memory[tier]) for tier in sorted(cpu)}


def _report(label: str, figures: dict[str, tuple[float, float]]) -> None:
    total_cpu = sum(c for c, _ in figures.values())
    total_mb = sum(m for _, m in figures.values())
    for tier, (cores, mb) in figures.items():
        print(f"| {label} | {tier} | {cores * 100:.1f}% | {mb:.0f} |")
    print(f"| {label} | **all** | {total_cpu * 100:.1f}% | {total_mb:.0f} |")


async def bench(cluster: Cluster, seconds: float, buyers: int) -> None:
    await asyncio.sleep(10)  # let the bootstrap's checkpoints and base backups settle
    idle = await measure(cluster, seconds)
    ledger = Ledger()
    shoppers = [Buyer(n, cluster, ledger, random.Random(n)) for n in range(buyers)]
    flights = await available_seats(cluster)
    await asyncio.gather(*(b.sign_in() for b in shoppers))
    stop = asyncio.Event()
    tasks = [asyncio.create_task(b.shop(flights, stop.is_set)) for b in shoppers]
    try:
        await asyncio.sleep(3)
        booked_before = len(ledger.booked)
        loaded = await measure(cluster, seconds)
        rate = (len(ledger.booked) - booked_before) / seconds
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        for b in shoppers:
            await b.close()
    print(f"\n{seconds:.0f} s each; {buyers} buyers booked {rate:.1f} bookings/s under load")
    print(f"refusals {dict(ledger.refusals)}, retries {dict(ledger.retries)}\n")
    print("| load | tier | CPU (of one core) | memory, PSS (MB) |")
    print("| --- | --- | ---: | ---: |")
    _report("idle", idle)
    _report(f"{buyers} buyers", loaded)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--buyers", type=int, default=16)
    parser.add_argument("--flights", type=int, default=20)
    args = parser.parse_args()
    with running_cluster(app_hosts=2, flights=args.flights, folder_prefix="bench-cluster-") as up:
        asyncio.run(bench(up, args.seconds, args.buyers))


if __name__ == "__main__":
    main()
