"""Concurrent reads of one thing share one read (a "single flight").

When a sale opens, hundreds of requests arrive for a flight a process has not read yet, or
whose map has just changed: each would read it from the database at the same moment.
Here the first starts the read and the others await it. The read is shielded: a caller
that gives up (its client went away) does not cancel it for the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from functools import partial
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SharedReads(Generic[K, V]):
    def __init__(self) -> None:
        self._reading: dict[K, asyncio.Future[V]] = {}

    async def read(self, key: K, read: Callable[[], Awaitable[V]]) -> V:
        """`read()`'s answer, from the read of `key` already under way if there is one."""
        reading = self._reading.get(key)
        if reading is None:
            reading = asyncio.ensure_future(read())
            self._reading[key] = reading
            reading.add_done_callback(partial(self._over, key))
        return await asyncio.shield(reading)

    def _over(self, key: K, done: asyncio.Future[V]) -> None:
        del self._reading[key]
        if not done.cancelled():
            done.exception()  # retrieved: a read all its callers gave up on logs nothing
