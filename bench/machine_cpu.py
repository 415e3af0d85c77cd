"""Where the whole machine's CPU went during a run, by process name and library, from
`perf record -a` (the kernel's own count, every process and the kernel alike).

A sampler inside one process (py-spy) sees only that process's Python stacks, and on this
kind of machine it put a third of an app server's samples in socket writes; perf, over the
same run, put the app servers' kernel time at a fifth of their libpython time. This is the
count to split a run's CPU by.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

# "    46.10%  python           libpython3.11.so.1.0"
ROW = re.compile(r"^\s*([\d.]+)%\s+(\S+)\s+(\S+)\s*$")


def record(seconds: float, data: Path) -> subprocess.Popen[bytes] | None:
    """perf sampling every CPU for `seconds` into `data`; None if perf is not installed."""
    if shutil.which("perf") is None:
        return None
    return subprocess.Popen(
        ["perf", "record", "-e", "cpu-clock", "-a", "-F", "499", "-o", str(data),
         "--", "sleep", f"{seconds:.0f}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


# (share of all samples in %, process name, library or "[kernel.kallsyms]")
Share = tuple[float, str, str]


def split(data: Path, top: int = 15) -> list[Share]:
    """The `top` (process, library) pairs of a recording, biggest share first."""
    report = subprocess.run(
        ["perf", "report", "-i", str(data), "--sort", "comm,dso", "--stdio"],
        capture_output=True, text=True, check=True, timeout=300,
    ).stdout  # fmt: skip
    return parse(report)[:top]


def parse(report: str) -> list[Share]:
    """perf report's `--sort comm,dso` rows, biggest share first."""
    rows: list[Share] = []
    for line in report.splitlines():
        found = None if line.startswith("#") else ROW.match(line)
        if found:
            share, process, library = found.groups()
            rows.append((float(share), process, library))
    return sorted(rows, reverse=True)
