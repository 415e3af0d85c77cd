"""A watcher's queue is bounded: past the limit it is cut off and its backlog freed.
Batches are shared between watchers: each is encoded once, and trimmed only when a
watcher has already had some of its changes."""

from __future__ import annotations

import asyncio

import pytest

from lastseat.services.watching import (
    ChangeBatch,
    SeatChange,
    SlowConsumer,
    Subscription,
    until_cut_off,
)


def changes(first: int, count: int) -> ChangeBatch:
    return ChangeBatch(
        SeatChange(first + i, "1A", ("held", "available")[i % 2]) for i in range(count)
    )


def ids(batches: list[ChangeBatch]) -> list[int]:
    return [c.event_id for batch in batches for c in batch]


async def test_a_reader_that_keeps_up_gets_every_change_in_order() -> None:
    subscription = Subscription(limit=10)
    subscription.offer(changes(1, 6))
    assert ids(await subscription.next_batches()) == [1, 2, 3, 4, 5, 6]
    subscription.offer(changes(7, 4))
    subscription.offer(changes(11, 6))
    assert ids(await subscription.next_batches()) == list(range(7, 17))
    assert subscription.high_water == 10 and not subscription.overflowed


async def test_a_reader_that_falls_behind_is_cut_off_with_its_backlog_freed() -> None:
    subscription = Subscription(limit=10)
    for first in range(1, 1_000, 7):  # far more than the limit, never read
        subscription.offer(changes(first, 7))
        assert subscription.pending <= subscription.limit
    assert subscription.overflowed and subscription.pending == 0
    assert subscription.high_water <= 10
    with pytest.raises(SlowConsumer):
        await subscription.next_batches()


def test_a_batch_is_encoded_once_however_many_watchers_ask() -> None:
    batch = changes(1, 3)
    calls: list[int] = []

    def encode(items: tuple[SeatChange, ...]) -> list[int]:
        calls.append(len(items))
        return [c.event_id for c in items]

    first = batch.encoded(encode)
    assert all(batch.encoded(encode) is first for _ in range(1_000))
    assert calls == [3] and first == [1, 2, 3]


def test_a_batch_past_a_position_is_shared_whole_or_trimmed_to_what_is_new() -> None:
    batch = changes(5, 4)  # 5..8
    assert batch.after(4) is batch
    assert [c.event_id for c in batch.after(6)] == [7, 8]
    assert len(batch.after(8)) == 0


async def test_a_reader_blocked_on_its_socket_is_cut_off_at_once() -> None:
    subscription = Subscription(limit=10)
    socket_full = asyncio.Event()  # never set: a send that waits for a client not reading

    async def send_forever() -> None:
        await subscription.next_batches()
        await socket_full.wait()

    subscription.offer(changes(1, 5))
    sending = asyncio.ensure_future(until_cut_off(send_forever(), subscription.cut_off))
    await asyncio.sleep(0)  # the sender takes its batch and blocks
    assert not sending.done()
    subscription.offer(changes(6, 6))
    subscription.offer(changes(12, 6))  # 12 queued: past the limit
    with pytest.raises(SlowConsumer):
        await sending
