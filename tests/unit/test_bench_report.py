"""`make bench`'s report (bench/report.py) shows what the scripts measured in this run and
says why a measure is missing: it never fills a figure in. And docs/benchmarks.md names
every script it runs and every measure of issue 18 it looks for."""

from __future__ import annotations

import importlib
import sys
from typing import Any

from lastseat.config import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "bench"))
report: Any = importlib.import_module("report")
contract: Any = importlib.import_module("contract")


def outcome(name: str, measures: list[Any], skipped: list[Any] | None = None) -> Any:
    result = {"measures": measures, "skipped": skipped or []}
    return report.Outcome(name, ["bench"], 0, 1.0, result, "")


def absent(name: str, note: str) -> Any:
    return report.Outcome(name, [], None, 0.0, None, note)


def row(rows: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [r for r in rows if r["name"].startswith(name)]


def test_a_measure_carries_its_ratio_and_whether_it_met_the_target() -> None:
    taken = contract.at_least("x", 30.0, "/s", "ceiling", 100.0, 0.35)
    assert taken["ratio"] == 0.3
    assert taken["met"] is False
    assert taken["target"] == "ratio >= 0.35"
    assert contract.measure("y", 5.0, "ms")["ratio"] is None  # no ceiling, no ratio


def test_issue_rows_are_the_scripts_measures_and_the_rest_are_listed_after() -> None:
    seat = contract.at_least(
        "seat map through the whole stack vs one app server", 400.0, "/s", "one", 1000.0, 0.35
    )
    extra = contract.measure("seat map p50 the whole stack adds", 12.0, "ms")
    issue, others = report.gather({"stack": outcome("stack", [seat, extra])})
    (found,) = row(issue, "seat map through the whole stack")
    assert (found["value"], found["ratio"], found["met"]) == (400.0, 0.4, True)
    assert [r["name"] for r in others] == ["seat map p50 the whole stack adds"]


def test_a_missing_measure_is_not_measured_with_the_reason() -> None:
    outcomes = {
        "stack": absent("stack", "wrote no var/bench/stack.json in this run (exited 1)"),
        "hot_flight": absent("hot_flight", "bench/hot_flight.py is not there"),
        "run": outcome("run", [], [contract.skip("HTTP bookings vs pgbench", "not run")]),
    }
    issue, _ = report.gather(outcomes)
    for name, why in (
        ("booking through the whole stack", "exited 1"),
        ("hot flight bookings/s", "is not there"),
        ("HTTP bookings vs pgbench", "bench/run.py: not run"),
        ("CPU per inspected request", "bench/firewall.py is not run"),
    ):
        (missing,) = row(issue, name)
        assert missing["value"] is None and missing["met"] is None
        assert why in missing["not_measured"]


def test_a_script_that_wrote_nothing_is_a_row_of_its_own() -> None:
    _, others = report.gather({"browser": absent("browser", "exited 1")})
    (failed,) = row(others, "bench/browser.py")
    assert failed["value"] is None and failed["not_measured"] == "exited 1"


def test_fan_out_comes_from_its_own_script_first_then_from_run_py() -> None:
    own = contract.measure("fan-out p99, change to arrival", 40.0, "ms", "p99 < 65 ms", met=True)
    driven = contract.measure("fan-out p99 (run.py (g))", 90.0, "ms", "p99 < 65 ms", met=False)
    both = {"fanout": outcome("fanout", [own]), "run": outcome("run", [driven])}
    issue, others = report.gather(both)
    assert [r["value"] for r in row(issue, "fan-out p99")] == [40.0]
    assert [r["value"] for r in row(others, "fan-out p99")] == [90.0]
    issue, _ = report.gather({"run": outcome("run", [driven])})
    assert [r["value"] for r in row(issue, "fan-out p99")] == [90.0]


def test_skipped_measures_show_among_the_others() -> None:
    skipped = [contract.skip("(e) HTTP bookings from load.py", "not run in quick mode")]
    _, others = report.gather({"run": outcome("run", [], skipped)})
    (left,) = row(others, "(e) HTTP bookings")
    assert left["value"] is None and left["not_measured"] == "not run in quick mode"


def test_the_docs_name_every_script_and_every_issue_measure() -> None:
    text = (PROJECT_ROOT / "docs" / "benchmarks.md").read_text().lower()
    for script in report.SCRIPTS:
        assert f"bench/{script.name}.py" in text
        assert f"var/bench/{script.name}.json" in text
    for expected in report.ISSUE_18:
        assert expected.name.lower() in text


def test_a_kind_of_run_is_reported_by_its_median_run_whole() -> None:
    runs = [{"rate": 90.0, "p99": 1.0}, {"rate": 121.0, "p99": 2.0}, {"rate": 80.0, "p99": 3.0}]
    assert contract.median_run(runs, lambda run: run["rate"]) == {"rate": 90.0, "p99": 1.0}
    # of two, the lower: a noisy spell may make a run slower, never faster than it is
    assert contract.median_run(runs[:2], lambda run: run["rate"])["rate"] == 90.0
    assert contract.median_run(runs[2:], lambda run: run["rate"])["rate"] == 80.0


def test_the_machines_cpu_is_read_from_perfs_report_by_process_and_library() -> None:
    machine_cpu: Any = importlib.import_module("machine_cpu")
    report = """# Samples: 18K of event 'cpu-clock'
#
# Overhead  Command          Shared Object
# ........  ...............  ...............................
#
    12.04%  python           [kernel.kallsyms]
    46.10%  python           libpython3.11.so.1.0
     0.92%  wrk              [kernel.kallsyms]
    21.42%  postgres         postgres

#
# (Tip: ...)
#
"""
    assert machine_cpu.parse(report) == [
        (46.10, "python", "libpython3.11.so.1.0"),
        (21.42, "postgres", "postgres"),
        (12.04, "python", "[kernel.kallsyms]"),
        (0.92, "wrk", "[kernel.kallsyms]"),
    ]
