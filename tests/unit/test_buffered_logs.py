"""Log lines are written in batches, and none is lost or cut."""

from __future__ import annotations

import io
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
