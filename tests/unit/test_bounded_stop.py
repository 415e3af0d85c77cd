"""Each step of a server's stop has a deadline that holds, whatever the step does."""

from __future__ import annotations

import asyncio
import contextlib

from lastseat.entrypoints.stopping import where, within


async def _swallows_cancellation(started: asyncio.Event, released: asyncio.Event) -> None:
    started.set()
    while not released.is_set():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(3600)


async def test_a_step_that_ignores_cancellation_is_cut_at_its_deadline() -> None:
    """asyncio.timeout would wait for it for ever: it cancels, then awaits the step."""
    started, released = asyncio.Event(), asyncio.Event()
    step = asyncio.ensure_future(_swallows_cancellation(started, released))
    await started.wait()
    assert await within(0.05, step, "stubborn") == "cut"
    assert not step.done()
    assert "_swallows_cancellation" in where(step)
    released.set()  # let it end, not to leave it in the tests' loop
    step.cancel()
    await asyncio.wait({step}, timeout=5)
    assert step.done()


async def test_a_step_that_raises_is_failed_and_one_that_returns_is_done() -> None:
    async def raises() -> None:
        raise RuntimeError("flush failed")

    async def returns() -> None:
        await asyncio.sleep(0)

    assert await within(5, raises(), "raises") == "failed"
    assert await within(5, returns(), "returns") == "done"
