"""Structured logging: JSON lines through structlog, with secrets scrubbed by key name."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import MutableMapping
from contextvars import ContextVar
from typing import Any

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


def configure_logging(level: str = "info", json: bool = True) -> None:
    numeric = logging.getLevelNamesMapping()[level.upper()]
    renderer: Any = (
        structlog.processors.JSONRenderer(serializer=_orjson_dumps)
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            _add_request_id,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _scrub,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )
