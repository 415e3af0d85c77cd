"""The sandbox's journal survives a line torn by a crash."""

from __future__ import annotations

from pathlib import Path

from lastseat.payments_sandbox.journal import Journal


def test_a_torn_last_line_is_dropped_and_never_swallows_the_next(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    journal = Journal(path)
    journal.write({"reply": ["authorize", "k1", 201, {"id": "auth_1"}]})
    journal.close()
    with path.open("ab") as file:
        file.write(b'{"authorization": {"id": "auth_2", "sta')  # killed mid-write
    reopened = Journal(path)
    reopened.write({"reply": ["authorize", "k3", 201, {"id": "auth_3"}]})
    reopened.close()
    assert [r["reply"][1] for r in Journal(path).records()] == ["k1", "k3"]
