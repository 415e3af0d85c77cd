"""Seat maps kept in memory between changes, so a hot flight's map costs no database read.

Correctness rests on four rules:
- an entry is used only while the change feed is live (PostgreSQL LISTEN connected);
  losing the feed drops every entry, since notifications may have been missed;
- a change to a flight (a notification from any process, or a commit in this one) bumps
  the flight's generation and drops its entry; a map read from the database is stored
  only if the generation did not move while it was being read;
- an entry showing a live hold expires when that hold does (expired holds are free);
- a map read from a replica is stored only if it shows every change committed before the
  flight's last change was heard of and before the feed last (re)connected: a replica
  lagging behind a change heard before the read began would otherwise be stored as current.
The map is advisory, as any read is: the hold itself is always decided by the database.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from lastseat.services.bounded import bounded_put

T = TypeVar("T")
DEFAULT_SIZE = 4_096


@dataclass(frozen=True, slots=True)
class _Entry(Generic[T]):
    value: T
    valid_until: datetime | None


class SeatMapCache(Generic[T]):
    def __init__(
        self, size: int = DEFAULT_SIZE, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._size = size
        self._monotonic = monotonic
        self._entries: OrderedDict[int, _Entry[T]] = OrderedDict()
        self._generations: dict[int, int] = {}
        self._changed_at: dict[int, float] = {}
        self._live_since = float("-inf")
        self._epoch = 0
        self.live = False

    def token(self, flight_id: int) -> tuple[int, int]:
        """Take before reading the database; `put` refuses the result if it moved."""
        return self._epoch, self._generations.get(flight_id, 0)

    def get(self, flight_id: int, now: datetime) -> T | None:
        if not self.live:
            return None
        entry = self._entries.get(flight_id)
        if entry is None:
            return None
        if entry.valid_until is not None and now >= entry.valid_until:
            del self._entries[flight_id]
            return None
        return entry.value

    def put(
        self,
        flight_id: int,
        value: T,
        valid_until: datetime | None,
        token: tuple[int, int],
        as_of: float | None = None,
    ) -> None:
        """Store `value`, read after `token` was taken, unless it may have missed a change:
        one heard of since the token, or (`as_of`: the monotonic time before which `value`
        shows every commit, when it was read from a replica) one heard of before it."""
        if not self.live or token != self.token(flight_id):
            return
        if as_of is not None and as_of < max(
            self._live_since, self._changed_at.get(flight_id, float("-inf"))
        ):
            return
        bounded_put(self._entries, flight_id, _Entry(value, valid_until), self._size)

    def changed(self, flight_id: int) -> None:
        self._generations[flight_id] = self._generations.get(flight_id, 0) + 1
        self._changed_at[flight_id] = self._monotonic()
        self._entries.pop(flight_id, None)

    def set_live(self, live: bool) -> None:
        """Feed (re)connected or lost: either way, what was cached may have missed changes."""
        self._epoch += 1
        self._live_since = self._monotonic()
        self._entries.clear()
        self.live = live
