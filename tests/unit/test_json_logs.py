"""Whatever logs, and whatever it logs, the log is JSON lines: the standard library's loggers
(uvicorn's, asyncio's) go through the same renderer as lastseat's own, tracebacks included."""

from __future__ import annotations

import asyncio
import gc
import io
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from lastseat.entrypoints.logs import JsonLinesHandler, configure_logging


@pytest.fixture
def log_stream(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stream)
    configure_logging("info", json=True, flush_seconds=0)
    yield stream
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, JsonLinesHandler)]:
        root.removeHandler(handler)
    structlog.reset_defaults()


def json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    text = stream.getvalue()
    assert text.endswith("\n"), text
    lines = [json.loads(line) for line in text.splitlines()]  # each line one JSON object
    assert all(isinstance(line, dict) for line in lines)
    return lines


def test_an_exception_uvicorn_logs_is_one_json_line_with_its_traceback(
    log_stream: io.StringIO,
) -> None:
    try:
        raise RuntimeError("boom in the app")
    except RuntimeError:
        # what uvicorn does with an exception that escapes the application
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    [line] = json_lines(log_stream)
    assert line["event"] == "Exception in ASGI application"
    assert line["logger"] == "uvicorn.error" and line["level"] == "error"
    assert "Traceback" in line["exception"] and "RuntimeError: boom in the app" in line["exception"]
    assert line["timestamp"]


def test_a_task_exception_never_retrieved_is_a_json_line(log_stream: io.StringIO) -> None:
    async def fail() -> None:
        raise ValueError("nobody awaited me")

    async def main() -> None:
        task = asyncio.get_running_loop().create_task(fail())
        await asyncio.sleep(0.01)
        del task
        gc.collect()  # asyncio reports the exception when the task is collected

    asyncio.run(main())
    lines = json_lines(log_stream)
    [line] = [line for line in lines if line.get("logger") == "asyncio"]
    assert line["event"].startswith("Task exception was never retrieved")
    assert "ValueError: nobody awaited me" in line["exception"]


def test_a_record_that_cannot_be_formatted_is_still_a_json_line(
    log_stream: io.StringIO,
) -> None:
    # Straight to our handler: pytest's own capturing handler would raise on this record.
    [handler] = [h for h in logging.getLogger().handlers if isinstance(h, JsonLinesHandler)]
    handler.handle(
        logging.LogRecord("some.library", logging.ERROR, __file__, 1, "%s and %s", ("one",), None)
    )
    [line] = json_lines(log_stream)
    assert line["event"] == "logging_error" and line["logger"] == "some.library"
    assert "TypeError" in line["error"]


def test_library_lines_and_lastseat_lines_share_the_stream_and_the_scrubbing(
    log_stream: io.StringIO,
) -> None:
    structlog.get_logger("lastseat.test").warning("own_line", payment_token="tok_secret")
    logging.getLogger("uvicorn.error").warning("Invalid HTTP request received.")
    logging.getLogger("quiet.library").debug("below the level: not written")
    own, library = json_lines(log_stream)
    assert own["event"] == "own_line" and own["payment_token"] == "[redacted]"
    assert library["event"] == "Invalid HTTP request received." and library["level"] == "warning"


def test_configured_twice_writes_each_line_once(
    log_stream: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdout", log_stream)
    configure_logging("info", json=True, flush_seconds=0)  # each app made configures again
    logging.getLogger("uvicorn.error").warning("once")
    assert [line["event"] for line in json_lines(log_stream)] == ["once"]
