"""`make bench`: every bench script in one run, then ONE table of every measure.

Runs each script of SCRIPTS that is present (with `--quick` passed through in quick mode),
then reads the var/bench/<script>.json each wrote in this run (the bench contract:
bench/contract.py) and prints one table: issue 18's measures first, each with its value, the
ceiling measured in the same run, the ratio, the target and met / not met, then every other
measure. A measure that was not taken says why ("not measured": the script is missing,
failed, has no --quick yet, or wrote no such measure); no figure is ever filled in.

Keeps var/bench/report-<UTC time>-<commit>.json (and latest.json): the git commit and
whether the tree was dirty, the core count, the date, quick or full, and every script's JSON;
and the chart of the whole stack's latency tier by tier (bench/chart.py) next to it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chart import draw_tiers
from contract import BENCH_DIR, ROOT, Measure, Skipped, add_quick

HERE = Path(__file__).resolve().parent
console = Console(width=160)


@dataclass(frozen=True)
class Script:
    name: str  # bench/<name>.py, writing var/bench/<name>.json
    timeout_s: int  # a full run's bound; a hung script is stopped, its rows "not measured"
    in_quick: bool = True  # run by `--quick` too (else its rows say it was left out)


# In the order they run. bench/fanout.py, run on its own once it speaks the contract (takes
# --quick), takes over the fan-out that bench/run.py's (g) measures otherwise.
SCRIPTS = (
    Script("run", 1800),
    Script("firewall", 1800),
    Script("stack", 1200),
    # Chromium and a stack of its own: some 90 s however few holds, too long for --quick.
    Script("browser", 900, in_quick=False),
    Script("fanout", 900),
    Script("hot_flight", 900),
    # 5,000 travellers (their accounts made first) twice: some 4 minutes, too long for --quick.
    Script("sale_day", 900, in_quick=False),
)


@dataclass(frozen=True)
class Expected:
    """A row issue 18 asks for: the first of `sources` holding a measure whose name starts
    with `name` gives it."""

    name: str
    sources: tuple[str, ...]
    target: str


ISSUE_18 = (
    Expected("seat map through the whole stack vs one app server", ("stack",), "ratio >= 0.35"),
    Expected("firewall tier seat-map GET, TLS", ("firewall",), "vs nginx TLS proxy without WAF"),
    Expected("CPU per inspected request", ("firewall",), "down >= 30%, every attack blocked"),
    Expected("booking through the whole stack vs one app server", ("stack",), "ratio >= 0.85"),
    Expected("HTTP bookings vs pgbench", ("run",), "ratio >= 0.45"),
    Expected("fan-out p50", ("fanout", "run"), "vs a bare broadcast server"),
    Expected("fan-out p99", ("fanout", "run"), "p99 < 65 ms"),
    Expected("hot flight bookings/s", ("hot_flight",), ">= 100/s, 0 oversold"),
    Expected("app server RSS after the bench", ("stack",), "< 120 MB each"),
    Expected("app server RSS after the bench", ("run",), "< 120 MB each"),
)


@dataclass
class Outcome:
    """One script's run: its JSON if it wrote one in this run, or why there is none."""

    name: str
    argv: list[str]
    returncode: int | None
    seconds: float
    result: dict[str, Any] | None
    note: str

    def measures(self) -> list[Measure]:
        found: list[Measure] = (self.result or {}).get("measures", [])
        return found

    def skipped(self) -> list[Skipped]:
        found: list[Skipped] = (self.result or {}).get("skipped", [])
        return found


def speaks_contract(path: Path) -> bool:
    """A script that takes --quick follows the bench contract (bench/contract.py)."""
    shown = subprocess.run(
        [sys.executable, str(path), "--help"], capture_output=True, text=True, timeout=60
    )
    return shown.returncode == 0 and "--quick" in shown.stdout


def run_script(script: Script, quick: bool, extra: list[str]) -> Outcome:
    path = HERE / f"{script.name}.py"
    if not path.exists():
        return Outcome(script.name, [], None, 0.0, None, f"bench/{script.name}.py is not there")
    if quick and not script.in_quick:
        note = f"bench/{script.name}.py runs in full mode only"
        return Outcome(script.name, [], None, 0.0, None, note)
    contract = speaks_contract(path)
    if quick and not contract:
        note = f"bench/{script.name}.py has no --quick yet: not run in quick mode"
        return Outcome(script.name, [], None, 0.0, None, note)
    if script.name == "fanout" and not contract:
        note = "bench/fanout.py does not run on its own yet: bench/run.py's (g) drives it"
        return Outcome(script.name, [], None, 0.0, None, note)
    argv = [sys.executable, str(path), *(["--quick"] if quick else []), *extra]
    output = BENCH_DIR / f"{script.name}.json"
    started_wall, started = time.time(), time.monotonic()
    console.rule(f"bench/{script.name}.py{' --quick' if quick else ''}")
    try:
        returncode: int | None = subprocess.run(argv, timeout=script.timeout_s).returncode
    except subprocess.TimeoutExpired:  # subprocess.run has killed it
        returncode = None
    seconds = time.monotonic() - started
    if not output.exists() or output.stat().st_mtime < started_wall:
        why = "timed out" if returncode is None else f"exited {returncode}"
        note = f"wrote no var/bench/{script.name}.json in this run ({why})"
        return Outcome(script.name, argv, returncode, seconds, None, note)
    result = json.loads(output.read_text())
    note = "" if returncode == 0 else f"exited {returncode}"
    if "measures" not in result:
        note = (note + "; " if note else "") + "its JSON has no measures list yet"
    return Outcome(script.name, argv, returncode, seconds, result, note)


def number(value: float | None) -> str:
    if value is None:
        return ""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def row_of(source: str, found: Measure) -> dict[str, Any]:
    return {"source": source, **found}


def matches(expected: str, name: str) -> bool:
    return name.lower().startswith(expected.lower())


def not_measured(source: str, name: str, target: str, why: str) -> dict[str, Any]:
    return {
        "source": source,
        "name": name,
        "value": None,
        "unit": "",
        "ceiling_name": None,
        "ceiling": None,
        "ratio": None,
        "target": target,
        "met": None,
        "not_measured": why,
    }


def missing_row(expected: Expected, outcomes: dict[str, Outcome]) -> dict[str, Any]:
    why = []
    for source in expected.sources:
        outcome = outcomes.get(source)
        if outcome is None or outcome.note:
            why.append(outcome.note if outcome else f"bench/{source}.py is not run")
            continue
        said = [s["why"] for s in outcome.skipped() if matches(expected.name, s["name"])]
        why.append(f"bench/{source}.py: {said[0]}" if said else f"bench/{source}.py took none")
    return not_measured("/".join(expected.sources), expected.name, expected.target, "; ".join(why))


def gather(outcomes: dict[str, Outcome]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Issue 18's rows (taken or "not measured"), then every other measure."""
    taken: set[tuple[str, str]] = set()
    issue = []
    for expected in ISSUE_18:
        rows = []
        for source in expected.sources:
            outcome = outcomes.get(source)
            taken_here = [
                found
                for found in (outcome.measures() if outcome else [])
                if matches(expected.name, found["name"])
            ]
            if taken_here:
                rows = [row_of(source, found) for found in taken_here]
                break
        issue.extend(rows or [missing_row(expected, outcomes)])
        taken.update((row["source"], row["name"]) for row in rows)
    others = [
        row_of(name, found)
        for name, outcome in outcomes.items()
        for found in outcome.measures()
        if (name, found["name"]) not in taken
    ]
    others += [
        not_measured(name, left["name"], "", left["why"])
        for name, outcome in outcomes.items()
        for left in outcome.skipped()
    ]
    # A script that failed or was left out is a row too, whether or not issue 18 needs it.
    others += [
        not_measured(name, f"bench/{name}.py", "", outcome.note)
        for name, outcome in outcomes.items()
        if outcome.result is None
    ]
    return issue, others


def print_table(title: str, rows: list[dict[str, Any]]) -> None:
    table = Table(title=title, show_lines=False)
    for column in ("measure", "from", "value", "ceiling (same run)", "ratio", "target", "met"):
        table.add_column(column)
    for row in rows:
        if row["value"] is None:
            value = f"not measured: {row['not_measured']}"
        else:
            value = f"{number(row['value'])} {row['unit']}"
        ceiling = (
            f"{row['ceiling_name']}: {number(row['ceiling'])} {row['unit']}"
            if row["ceiling"] is not None
            else ""
        )
        met = {True: "met", False: "NOT met", None: ""}[row["met"]]
        table.add_row(
            row["name"], row["source"], value, ceiling, number(row["ratio"]), row["target"], met
        )
    console.print(table)


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def keep(report: dict[str, Any], stamp: str) -> Path:
    """report-<stamp>.json, and latest.json as a copy of it."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=2)
    path = BENCH_DIR / f"report-{stamp}.json"
    path.write_text(text)
    (BENCH_DIR / "latest.json").write_text(text)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_quick(parser)
    parser.add_argument(
        "--only", nargs="+", choices=[s.name for s in SCRIPTS], help="run these scripts only"
    )
    args = parser.parse_args()
    began = dt.datetime.now(dt.UTC)
    commit = git("rev-parse", "--short", "HEAD")
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    started = time.monotonic()
    scripts = [s for s in SCRIPTS if args.only is None or s.name in args.only]
    outcomes = run_all_of(scripts, args.quick)
    issue, others = gather(outcomes)
    stamp = f"{began:%Y%m%dT%H%M%SZ}-{commit}{'-dirty' if dirty else ''}"
    chart = None
    stack = outcomes.get("stack")
    if stack is not None and stack.result is not None and "runs" in stack.result:
        chart = draw_tiers(stack.result, BENCH_DIR / f"report-{stamp}-tiers.svg")
        (BENCH_DIR / "latest-tiers.svg").write_bytes(chart.read_bytes())
    report = {
        "commit": git("rev-parse", "HEAD"),
        "dirty": dirty,
        "cores": os.cpu_count(),
        "date": began.isoformat(timespec="seconds"),
        "quick": args.quick,
        "seconds": time.monotonic() - started,
        "issue_18": issue,
        "other_measures": others,
        "chart": None if chart is None else chart.name,
        "scripts": {
            name: {
                "argv": o.argv,
                "returncode": o.returncode,
                "seconds": o.seconds,
                "note": o.note,
                "result": o.result,
            }
            for name, o in outcomes.items()
        },
    }
    path = keep(report, stamp)
    console.rule("lastseat bench report")
    mode = "quick" if args.quick else "full"
    print_table(
        f"issue 18, {mode} run, commit {commit}{' (dirty tree)' if dirty else ''}, "
        f"{os.cpu_count()} cores, {report['seconds']:.0f} s",
        issue,
    )
    print_table("every other measure of this run", others)
    console.print(f"kept {path.relative_to(ROOT)} (and var/bench/latest.json)")
    if chart is not None:
        console.print(f"chart {chart.relative_to(ROOT)} (and var/bench/latest-tiers.svg)")


def run_all_of(scripts: list[Script], quick: bool) -> dict[str, Outcome]:
    outcomes: dict[str, Outcome] = {}
    fanout_alone = (
        any(s.name == "fanout" for s in scripts)
        and (HERE / "fanout.py").exists()
        and speaks_contract(HERE / "fanout.py")
    )
    for script in scripts:
        extra = ["--no-fanout"] if script.name == "run" and fanout_alone else []
        outcomes[script.name] = run_script(script, quick, extra)
    return outcomes


if __name__ == "__main__":
    main()
