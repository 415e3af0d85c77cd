"""The sandbox's ledger on disk: a provider remembers what it authorized, captured and
refunded across restarts, and so must the sandbox, or every refund of an earlier payment
would be a 404 forever after one restart.

Each change is one JSON line, appended and flushed to the disk before the change is
answered; on start the lines are replayed in order (a later line for the same
authorization or reply replaces an earlier one).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

import orjson


class Journal:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file: IO[bytes] = path.open("ab")
        if self._file.tell() and not path.read_bytes().endswith(b"\n"):
            # a line torn by a crash: end it, so the next record is not glued to it
            self.write_raw(b"\n")

    def records(self) -> list[dict[str, Any]]:
        """What was written before, oldest first (a torn last line, from a crash, is dropped)."""
        found = []
        for line in self.path.read_bytes().splitlines():
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(record, dict):
                found.append(record)
        return found

    def write(self, record: dict[str, Any]) -> None:
        self.write_raw(orjson.dumps(record) + b"\n")

    def write_raw(self, data: bytes) -> None:
        self._file.write(data)
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()
