"""A short chaos run (45 s of shopping, about a minute with its start, to keep CI under its
25 minutes) in every test run: every invariant must hold. `make chaos` runs the same
harness for ten minutes (docs/chaos.md)."""

from __future__ import annotations

from pathlib import Path

from tests.chaos.harness import Plan, run


async def test_seats_and_money_survive_kills_and_restarts(tmp_path: Path) -> None:
    audit = await run(Plan(seconds=45), tmp_path)
    print("\n" + audit.table())  # shown with -s, and on failure
    assert audit.passed, audit.table()
