"""Ending long streams when the server stops.

A WatchFlight stream never ends by itself: left to grpc's grace period, each one held
`serve-grpc` up for the whole grace and was then cancelled, and the cleanup after it
(background jobs, the database pool) came on top, past `cluster down`'s wait (it
SIGKILLed the servers). On SIGTERM every stream ends at once with UNAVAILABLE and the
watcher resumes elsewhere with `after` (its last event id), as after any lost connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from typing import TypeVar

T = TypeVar("T")


async def until_closed(items: AsyncIterator[T], closing: asyncio.Event) -> AsyncGenerator[T, None]:
    """`items` until they end or `closing` is set (then this ends, the source cancelled).
    Cancelled itself while it waits, it cancels the read of `items` under way too, so the
    source is left closed or between items, never running (it can then be closed)."""
    closed = asyncio.ensure_future(closing.wait())
    following: asyncio.Future[T] | None = None
    try:
        while True:
            following = asyncio.ensure_future(anext(items))
            await asyncio.wait({following, closed}, return_when=asyncio.FIRST_COMPLETED)
            if not following.done():
                return
            try:
                item = following.result()
            except StopAsyncIteration:
                return
            yield item
    finally:
        closed.cancel()
        if following is not None and not following.done():
            following.cancel()
            await asyncio.gather(following, return_exceptions=True)
