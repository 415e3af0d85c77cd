"""The bench contract: what every bench script writes, so `make bench` (bench/report.py)
can gather every figure into one table.

Each script writes var/bench/<script-name>.json holding its details and a top-level list
"measures", each a Measure: a value, the ceiling measured in the same run (or none), their
ratio, the target in words and whether it is met. Scripts take `--quick` for a shorter run.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict, TypeVar

from lastseat.stack.processes import workers_of

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"


class Measure(TypedDict):
    name: str
    value: float
    unit: str
    ceiling_name: str | None
    ceiling: float | None
    ratio: float | None
    target: str
    met: bool | None


def measure(
    name: str,
    value: float,
    unit: str,
    target: str = "",
    *,
    ceiling_name: str | None = None,
    ceiling: float | None = None,
    met: bool | None = None,
) -> Measure:
    """One row; the ratio is value/ceiling whenever a ceiling was measured."""
    ratio = value / ceiling if ceiling else None
    return {
        "name": name,
        "value": value,
        "unit": unit,
        "ceiling_name": ceiling_name if ceiling is not None else None,
        "ceiling": ceiling,
        "ratio": ratio,
        "target": target,
        "met": met,
    }


def at_least(
    name: str, value: float, unit: str, ceiling_name: str, ceiling: float, least: float
) -> Measure:
    """A throughput that must reach `least` of its ceiling."""
    ratio = value / ceiling if ceiling else 0.0
    return measure(
        name,
        value,
        unit,
        f"ratio >= {least:.2f}",
        ceiling_name=ceiling_name,
        ceiling=ceiling,
        met=ratio >= least,
    )


class Skipped(TypedDict):
    """A measure a script did not take in this run, and why: the report shows it so."""

    name: str
    why: str


Run = TypeVar("Run")


def median_run(runs: list[Run], rate: Callable[[Run], float]) -> Run:
    """The run whose rate is the median of those made (of an even number, the lower of the
    middle two): a whole run, so its latencies and counts go with its rate. Benches repeat
    their runs in rounds so that a spell of a shared machine's other load falls on every
    kind of run alike, and report each kind's median run."""
    return sorted(runs, key=rate)[(len(runs) - 1) // 2]


def skip(name: str, why: str) -> Skipped:
    return {"name": name, "why": why}


def ratio(value: float, base: float) -> str:
    """value/base for a table, or n/a when nothing was measured at the base."""
    return f"{value / base:.2f}" if base else "n/a"


def add_quick(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a shorter, smaller run for a developer's loop (its figures are noisier)",
    )


def write_result(
    script: str,
    details: dict[str, Any],
    measures: list[Measure],
    skipped: list[Skipped] | None = None,
) -> Path:
    """var/bench/<script>.json: the details, the measures the report gathers, and the
    measures not taken in this run ("skipped", each with why)."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"{script}.json"
    document = {**details, "measures": measures, "skipped": skipped or []}
    path.write_text(json.dumps(document, indent=2))
    return path


def rss_mb(pid: int) -> float | None:
    """A process's resident memory (VmRSS) in MB, or None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def server_rss(pid: int) -> dict[int, float]:
    """The RSS of an app server `pid`, by process: of its uvicorn workers if it forked any
    (multiprocessing's resource tracker, also a child, serves no request: left out)."""
    workers = [
        child for child in sorted(workers_of(pid)) if b"resource_tracker" not in read_cmdline(child)
    ]
    found = {each: rss_mb(each) for each in workers or [pid]}
    return {each: mb for each, mb in found.items() if mb is not None}


def read_cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


RSS_TARGET_MB = 120.0


def rss_measure(where: str, rss: dict[str, float]) -> Measure:
    """The largest app server's RSS after the runs; each server's is in the details."""
    worst = max(rss.values())
    return measure(
        f"app server RSS after the bench ({where}, largest of {len(rss)})",
        worst,
        "MB",
        f"< {RSS_TARGET_MB:.0f} MB each",
        met=worst < RSS_TARGET_MB,
    )
