"""Structured logging: JSON lines through structlog, with secrets scrubbed by key name."""

from __future__ import annotations

import atexit
import functools
import logging
import sys
import threading
import time
from collections.abc import MutableMapping
from contextvars import ContextVar
from typing import Any, TextIO, cast

import orjson
import structlog

SENSITIVE_KEYS = ("password", "token", "authorization", "secret", "cookie", "key")

# The current request's id. One variable read per log line: structlog's merge_contextvars
# walks every context variable in the task, which costs more than the rest of the line.
REQUEST_ID: ContextVar[str | None] = ContextVar("lastseat_request_id", default=None)


def _add_request_id(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    request_id = REQUEST_ID.get()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


@functools.lru_cache(maxsize=1_024)
def _sensitive(name: str) -> bool:
    # Cached: log lines use a small, fixed set of field names, and this runs for each field
    # of every line (the access log writes one per request).
    lowered = name.lower()
    return name != "event" and any(word in lowered for word in SENSITIVE_KEYS)


def _scrub(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    # Defence in depth: nothing logs these on purpose, and nothing can by accident.
    for name in [name for name in event if _sensitive(name)]:
        event[name] = "[redacted]"
    return event


def _orjson_dumps(value: Any, **_: Any) -> str:
    return orjson.dumps(value, default=str).decode()


# The process's buffered sinks, for a server ending itself with os._exit (no atexit then).
_SINKS: list[BufferedSink] = []
EXIT_DRAIN_SECONDS = 2.0


class BufferedSink:
    """Log lines collected in memory and written at most every `interval` seconds, the way
    nginx's `access_log ... buffer= flush=` does: one write per interval instead of one per
    request (the access log writes a line per request; a write each costs ~30% of the
    seat-map throughput). A crash loses at most `interval` seconds of lines; a normal exit
    loses none (flushed at exit)."""

    def __init__(self, stream: TextIO, interval: float, limit: int = 64 * 1024) -> None:
        self._stream = stream
        self._interval = interval
        self._limit = limit
        self._parts: list[str] = []
        self._size = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        _SINKS.append(self)
        # Bounded: the flush thread may hold the lock in a write that blocks (a pipe nobody
        # reads); the exit then loses the last lines instead of hanging on them.
        atexit.register(self.drain, EXIT_DRAIN_SECONDS)

    def write(self, text: str) -> int:
        with self._lock:
            self._parts.append(text)
            self._size += len(text)
            full = self._size >= self._limit
        if full:
            self.drain()
        elif self._thread is None:
            self._thread = threading.Thread(target=self._flush_forever, daemon=True)
            self._thread.start()
        return len(text)

    def flush(self) -> None:
        """print(..., flush=True) lands here: the timer flushes instead."""

    def drain(self, timeout: float = -1) -> bool:
        """Write what is buffered; False if the lock was not had within `timeout` s."""
        if not self._lock.acquire(timeout=timeout):
            return False
        try:
            text = "".join(self._parts)
            self._parts.clear()
            self._size = 0
            if text:
                self._stream.write(text)
                self._stream.flush()
        finally:
            self._lock.release()
        return True

    def _flush_forever(self) -> None:
        while True:
            time.sleep(self._interval)
            self.drain()


def drain_logs(timeout: float) -> None:
    """Write every buffered log line now, waiting at most `timeout` s for each sink."""
    for sink in _SINKS:
        sink.drain(timeout)


class JsonLinesHandler(logging.StreamHandler[TextIO]):
    """Where the standard library's loggers write (uvicorn's, asyncio's, grpc's and every
    other library's): the same renderer and stream as structlog's own lines, so a
    traceback is a field of one JSON line, never loose text between them."""

    def handleError(self, record: logging.LogRecord) -> None:
        # logging's own handleError prints "--- Logging error ---" and a plain traceback:
        # a record that cannot be formatted (bad arguments) becomes a JSON line instead.
        line = {
            "event": "logging_error",
            "level": "error",
            "logger": record.name,
            "error": repr(sys.exc_info()[1]),
        }
        try:
            self.stream.write(_orjson_dumps(line) + "\n")
        except Exception:  # noqa: S110 - nowhere left to report it; never raise from logging
            pass


def configure_logging(level: str = "info", json: bool = True, flush_seconds: float = 0.0) -> None:
    numeric = logging.getLevelNamesMapping()[level.upper()]
    renderer: Any = (
        structlog.processors.JSONRenderer(serializer=_orjson_dumps)
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    stream = (
        cast(TextIO, BufferedSink(sys.stdout, flush_seconds)) if flush_seconds > 0 else sys.stdout
    )
    shared: list[Any] = [
        _add_request_id,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _scrub,
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=True,
    )
    handler = JsonLinesHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    for earlier in [h for h in root.handlers if isinstance(h, JsonLinesHandler)]:
        root.removeHandler(earlier)  # configured again (each app made): one handler only
    root.addHandler(handler)
    root.setLevel(numeric)


def log_uncaught() -> None:
    """For a server process: what Python itself would print as plain text on stderr (an
    uncaught exception, in the main thread or another, an exception it can only ignore,
    a warning) goes to the log as a JSON line instead. Not done by configure_logging,
    which also runs inside test processes whose own hooks these would replace."""
    log = structlog.get_logger("lastseat.uncaught")

    def on_exception(kind: type[BaseException], value: BaseException, tb: Any) -> None:
        log.critical("uncaught_exception", exc_info=(kind, value, tb))

    def on_thread_exception(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or args.exc_type is SystemExit:
            return
        log.error(
            "uncaught_thread_exception",
            thread=getattr(args.thread, "name", None),
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )

    def on_unraisable(unraisable: Any) -> None:
        log.error(
            "unraisable_exception",
            message=unraisable.err_msg,
            object=repr(unraisable.object),
            exc_info=(unraisable.exc_type, unraisable.exc_value, unraisable.exc_traceback),
        )

    sys.excepthook = on_exception
    threading.excepthook = on_thread_exception
    sys.unraisablehook = on_unraisable
    logging.captureWarnings(True)
