"""Watching a flight: a snapshot, then every seat event after it, in order, without gaps.

Events come from the `events` outbox, read by id. On PostgreSQL an event's id follows its
transaction's, and a read stops below the oldest transaction still running, which no later
commit can add to, so "id > last" misses nothing; SQLite has one writer at a time.

Each process reads a watched flight's outbox once, however many watchers it has: one
tail per flight fans batches out to its subscribers. A tail wakes on the seat feed
(LISTEN/NOTIFY) and also polls, so a lost notification only delays an event. After a read
that found changes it reads again no sooner than `TICK_SECONDS` later, so the changes of a
burst travel as one batch: one read, one wake-up per watcher, written back to back. A
batch is one object shared by every subscriber of the process, and an entrypoint encodes
it once for all of them (`ChangeBatch.encoded`). Every subscriber has a bounded queue; one
that falls `queue_limit` events behind is cut off (`SlowConsumer`) instead of making the
process buffer without limit, and can resume from the last event it received.

Events are kept for `seat_event_retention_hours` and then pruned, oldest first (an id
prefix, recorded as "pruned through id N"). A watcher resuming from before that gets the
snapshot as its start, not a replay with a hole in it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar, cast

import structlog

from lastseat.services.catalog import Catalog, SeatMap
from lastseat.services.context import ServiceContext

POLL_SECONDS = 0.25
# The shortest time between two reads of a flight's outbox that found changes. A change
# after a quiet spell goes out at once; one that follows another within the tick waits
# for it, at most 5 ms: under a tenth of the 65 ms a change may take to reach a watcher,
# and a third of a 60 Hz frame, so a person sees no difference. In exchange a hot flight
# costs each process at most 200 reads and 200 wake-ups of each watcher a second, however
# many changes it has (a herd books a few hundred seats a second).
TICK_SECONDS = 0.005
RETRY_SECONDS = 1.0
BATCH = 500
PRUNE_BATCH = 5_000
PRUNE_BATCHES_PER_ROUND = 20
log = structlog.get_logger("lastseat.watching")


class SlowConsumer(Exception):
    """The watcher fell too far behind; it may reconnect and resume from its last event."""


@dataclass(frozen=True, slots=True)
class SeatChange:
    event_id: int
    seat: str
    status: str


Encoded = TypeVar("Encoded")


class ChangeBatch:
    """Changes read together, in id order. A tail hands the same batch to every subscriber
    of the process, so what an entrypoint makes of it (its messages) is made once."""

    __slots__ = ("_encodings", "changes")

    def __init__(self, changes: Iterable[SeatChange]) -> None:
        self.changes = tuple(changes)
        self._encodings: dict[object, object] = {}

    def __iter__(self) -> Iterator[SeatChange]:
        return iter(self.changes)

    def __len__(self) -> int:
        return len(self.changes)

    def after(self, event_id: int) -> ChangeBatch:
        """The changes past `event_id`: this batch itself (still shared) if all are."""
        if not self.changes or self.changes[0].event_id > event_id:
            return self
        return ChangeBatch(c for c in self.changes if c.event_id > event_id)

    def encoded(self, encode: Callable[[tuple[SeatChange, ...]], Encoded]) -> Encoded:
        """`encode(changes)`, computed on the first call with this `encode` and kept."""
        try:
            return cast(Encoded, self._encodings[encode])
        except KeyError:
            value = self._encodings[encode] = encode(self.changes)
            return value


class Wakeups:
    """Per-flight wake-up signals for the tails in this process."""

    def __init__(self) -> None:
        self._waiting: dict[int, set[asyncio.Event]] = {}

    def wake(self, flight_id: int) -> None:
        for event in self._waiting.get(flight_id, ()):
            event.set()

    def register(self, flight_id: int) -> asyncio.Event:
        event = asyncio.Event()
        self._waiting.setdefault(flight_id, set()).add(event)
        return event

    def unregister(self, flight_id: int, event: asyncio.Event) -> None:
        waiting = self._waiting.get(flight_id)
        if waiting is not None:
            waiting.discard(event)
            if not waiting:
                del self._waiting[flight_id]


class Subscription:
    """One watcher's queue of change batches; never holds more than `limit` changes.
    `cut_off` is set the moment it overflows, for a reader blocked on its socket."""

    def __init__(self, limit: int, cut_off: asyncio.Event | None = None) -> None:
        self.limit = limit
        self.cut_off = cut_off or asyncio.Event()
        self.high_water = 0  # the most it ever held, for tests and metrics
        self.overflowed = False
        self.pending = 0  # changes queued
        self._batches: deque[ChangeBatch] = deque()
        self._ready = asyncio.Event()

    def offer(self, batch: ChangeBatch) -> None:
        if self.overflowed:
            return
        if self.pending + len(batch) > self.limit:
            self.overflowed = True
            self._batches.clear()  # the watcher is being cut off: free its backlog now
            self.pending = 0
            self.cut_off.set()
        else:
            self._batches.append(batch)
            self.pending += len(batch)
            self.high_water = max(self.high_water, self.pending)
        self._ready.set()

    async def next_batches(self) -> list[ChangeBatch]:
        """Every batch queued (waiting for one), oldest first."""
        while not self._batches:
            if self.overflowed:
                raise SlowConsumer(f"more than {self.limit} seat changes behind")
            self._ready.clear()
            await self._ready.wait()
        batches = list(self._batches)
        self._batches.clear()
        self.pending = 0
        return batches


async def until_cut_off(sending: Awaitable[None], cut_off: asyncio.Event) -> None:
    """Await a watcher's sending, or raise SlowConsumer as soon as `cut_off` is set: a send
    blocked on a socket its client does not read must not keep the watcher on (it would
    learn of nothing until it read again, and then resume with a gap of silence)."""
    work = asyncio.ensure_future(sending)
    stop = asyncio.ensure_future(cut_off.wait())
    try:
        await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
        if not work.done():
            raise SlowConsumer("too many seat changes behind while its socket was full")
        work.result()
    finally:
        for task in (work, stop):
            task.cancel()
        await asyncio.gather(work, stop, return_exceptions=True)


class _Tail:
    def __init__(self) -> None:
        self.subscribers: set[Subscription] = set()
        self.ready = asyncio.Event()
        self.task: asyncio.Task[None] | None = None


class Tails:
    """One outbox reader per watched flight in this process, fanning out to subscribers."""

    def __init__(self, ctx: ServiceContext, wakeups: Wakeups) -> None:
        self._ctx = ctx
        self._wakeups = wakeups
        self._tails: dict[int, _Tail] = {}

    def watched(self) -> int:
        return sum(len(tail.subscribers) for tail in self._tails.values())

    @contextlib.asynccontextmanager
    async def subscribe(
        self, flight_id: int, limit: int, cut_off: asyncio.Event | None = None
    ) -> AsyncIterator[Subscription]:
        """A subscription receiving every change committed after the tail's position."""
        tail = self._tails.get(flight_id)
        if tail is None:
            tail = self._tails[flight_id] = _Tail()
            tail.task = asyncio.create_task(self._run(flight_id, tail))
        subscription = Subscription(limit, cut_off)
        tail.subscribers.add(subscription)
        try:
            await tail.ready.wait()
            yield subscription
        finally:
            tail.subscribers.discard(subscription)
            if not tail.subscribers and self._tails.get(flight_id) is tail:
                del self._tails[flight_id]
                if tail.task is not None:
                    tail.task.cancel()

    async def _run(self, flight_id: int, tail: _Tail) -> None:
        signal = self._wakeups.register(flight_id)
        loop = asyncio.get_running_loop()
        try:
            position = await self._latest(flight_id)
            tail.ready.set()
            quiet_until = 0.0
            # A batch never exceeds what a watcher may queue: one larger would cut off
            # every watcher, however fast, the moment a backlog is read.
            size = min(BATCH, self._ctx.settings.watch_queue_limit)
            while True:
                wait = quiet_until - loop.time()
                if wait > 0:  # changes were read a moment ago: gather the rest of the tick
                    await asyncio.sleep(wait)
                try:
                    async with self._ctx.uow() as uow:
                        rows = await uow.events.for_flight(flight_id, position, size)
                except Exception as exc:  # database away: keep the watchers, retry
                    log.warning("tail_read_failed", flight_id=flight_id, error=type(exc).__name__)
                    await asyncio.sleep(RETRY_SECONDS)
                    continue
                if rows:
                    quiet_until = loop.time() + TICK_SECONDS
                    position = rows[-1][0]
                    batch = ChangeBatch(SeatChange(*row) for row in rows)
                    for subscription in tail.subscribers:
                        subscription.offer(batch)
                    if len(rows) == size:
                        continue
                signal.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(signal.wait(), POLL_SECONDS)
        finally:
            self._wakeups.unregister(flight_id, signal)

    async def _latest(self, flight_id: int) -> int:
        while True:
            try:
                async with self._ctx.uow() as uow:
                    return await uow.events.latest(flight_id)
            except Exception as exc:
                log.warning("tail_start_failed", flight_id=flight_id, error=type(exc).__name__)
                await asyncio.sleep(RETRY_SECONDS)


@dataclass(frozen=True, slots=True)
class Start:
    """Where a watcher begins: the seat map, the position it is at (every event up to this
    id is in it), and the position its changes follow (the one asked for, or the map's if
    the events after the one asked for are pruned)."""

    seat_map: SeatMap
    event_id: int
    after: int


class Watching:
    def __init__(self, ctx: ServiceContext, catalog: Catalog, tails: Tails) -> None:
        self._ctx = ctx
        self._catalog = catalog
        self._tails = tails

    @property
    def watchers(self) -> int:
        return self._tails.watched()

    async def start(self, flight_id: int, after: int | None) -> Start:
        """A watcher's snapshot, and where its changes begin: after `after` while every event
        since is still kept, otherwise after the snapshot (a resume from before the
        retention window, or from an id never given out, gets the map as it is, not a
        replay with a hole in it)."""
        await self._catalog.flight(flight_id)  # NotFound for an unknown flight
        # The event id is read first: the map can only be newer, never older, and a change
        # it already shows is sent again as an event, which repeats a state, never skips one.
        async with self._ctx.uow() as uow:
            latest = await uow.events.latest(flight_id)
            pruned = await uow.events.pruned_through()
        # The map includes every pruned event too: its position is past them, so a watcher
        # that resumes from it is not taken for one from before the window (a flight whose
        # events were all pruned, or that never had one, would otherwise be at 0).
        position = max(latest, pruned)
        seat_map = await self._catalog.seat_map(flight_id, current=True)
        # An `after` past the position was never sent by us (a guess, or a store that lost
        # events in a failover): the snapshot, else the watcher would hear nothing until
        # the ids caught up with it.
        known = after is not None and pruned <= after <= position
        resume = after if known and after is not None else position
        return Start(seat_map, position, resume)

    async def prune_history(self) -> int:
        """Delete the seat events older than the retention window, in batches, each its own
        transaction (a long history is pruned over a few rounds without a long lock)."""
        now = self._ctx.clock()
        before = now - timedelta(hours=self._ctx.settings.seat_event_retention_hours)
        total = 0
        for _ in range(PRUNE_BATCHES_PER_ROUND):
            async with self._ctx.uow(write=True) as uow:
                deleted = await uow.events.prune(before, PRUNE_BATCH, now)
                await uow.commit()
            total += deleted
            if deleted < PRUNE_BATCH:
                break
        return total

    async def changes(
        self,
        flight_id: int,
        after: int,
        limit: int | None = None,
        cut_off: asyncio.Event | None = None,
    ) -> AsyncGenerator[ChangeBatch, None]:
        """Batches of seat changes with ids above `after`, for as long as the caller reads.

        Subscribes first, then catches up from the outbox: the subscription holds every
        change past the tail's position and the catch-up reaches at least that far, so
        nothing falls between them; ids already sent are skipped. Live batches are the
        tail's own, shared with the process's other watchers. `cut_off`, if given, is set
        as soon as the caller falls `limit` changes behind (see `until_cut_off`).
        """
        limit = limit or self._ctx.settings.watch_queue_limit
        async with self._tails.subscribe(flight_id, limit, cut_off) as subscription:
            while True:
                async with self._ctx.uow() as uow:
                    rows = await uow.events.for_flight(flight_id, after, BATCH)
                    # (read after the rows: a prune that took some of them shows here)
                    pruned = await uow.events.pruned_through()
                if pruned > after:  # pruned while catching up: resuming gets a snapshot
                    raise SlowConsumer(f"the changes after event {after} were pruned")
                if rows:
                    after = rows[-1][0]
                    yield ChangeBatch(SeatChange(*row) for row in rows)
                if len(rows) < BATCH:
                    break
            while True:
                for batch in await subscription.next_batches():
                    fresh = batch.after(after)
                    if fresh:
                        after = fresh.changes[-1].event_id
                        yield fresh
