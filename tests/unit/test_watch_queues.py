"""A watcher's queue is bounded: past the limit it is cut off and its backlog freed."""

from __future__ import annotations

import pytest

from lastseat.services.watching import SeatChange, SlowConsumer, Subscription


def changes(first: int, count: int) -> list[SeatChange]:
    return [SeatChange(first + i, "1A", ("held", "available")[i % 2]) for i in range(count)]


async def test_a_reader_that_keeps_up_gets_every_change_in_order() -> None:
    subscription = Subscription(limit=10)
    subscription.offer(changes(1, 6))
    assert [c.event_id for c in await subscription.next_batch()] == [1, 2, 3, 4, 5, 6]
    subscription.offer(changes(7, 10))
    assert [c.event_id for c in await subscription.next_batch()] == list(range(7, 17))
    assert subscription.high_water == 10 and not subscription.overflowed


async def test_a_reader_that_falls_behind_is_cut_off_with_its_backlog_freed() -> None:
    subscription = Subscription(limit=10)
    for first in range(1, 1_000, 7):  # far more than the limit, never read
        subscription.offer(changes(first, 7))
        assert subscription.pending <= subscription.limit
    assert subscription.overflowed and subscription.pending == 0
    assert subscription.high_water <= 10
    with pytest.raises(SlowConsumer):
        await subscription.next_batch()
