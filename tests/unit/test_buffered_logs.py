"""Log lines are written in batches, and none is lost or cut."""

from __future__ import annotations

import io
import threading
import time

from lastseat.entrypoints.logs import BufferedSink


def test_lines_wait_for_the_batch_and_all_arrive_whole() -> None:
    stream = io.StringIO()
    sink = BufferedSink(stream, interval=3600, limit=1_000)
    for i in range(5):
        print(f'{{"line": {i}}}', file=sink, flush=True)  # as structlog writes
    assert stream.getvalue() == ""  # flush=True does not force a write per line
    sink.drain()
    assert stream.getvalue().splitlines() == [f'{{"line": {i}}}' for i in range(5)]


def test_a_full_buffer_is_written_at_once() -> None:
    stream = io.StringIO()
    sink = BufferedSink(stream, interval=3600, limit=100)
    for _ in range(10):
        print("x" * 20, file=sink)
    assert len(stream.getvalue()) >= 100


def test_the_timer_writes_what_waits() -> None:
    stream = io.StringIO()
    sink = BufferedSink(stream, interval=0.05)
    print("late line", file=sink)
    for _ in range(100):  # bounded: at most 5 s
        if stream.getvalue():
            break
        time.sleep(0.05)
    assert stream.getvalue() == "late line\n"


class _BlockedStream(io.StringIO):
    """A stream whose write blocks until let go, as stdout does on a pipe nobody reads."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def write(self, text: str) -> int:
        self.entered.set()
        self.release.wait(timeout=60)
        return super().write(text)


def test_a_drain_at_exit_gives_up_on_a_write_that_blocks() -> None:
    """The exit's drain must not hang the process on the flush thread's blocked write."""
    stream = _BlockedStream()
    sink = BufferedSink(stream, interval=3600)
    print("first", file=sink)
    writer = threading.Thread(target=sink.drain, daemon=True)
    writer.start()
    assert stream.entered.wait(timeout=10)
    try:
        assert sink.drain(timeout=0.1) is False
    finally:
        stream.release.set()
        writer.join(timeout=10)
    assert sink.drain(timeout=10) is True
    assert stream.getvalue().splitlines() == ["first"]
