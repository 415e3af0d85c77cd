"""Fast JSON responses (orjson) and RFC 9457 problem documents."""

from __future__ import annotations

from typing import Any

import orjson
from prometheus_client import Counter
from starlette.responses import Response

from lastseat.domain.errors import PROBLEM_TYPE_BASE


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def created(body: dict[str, Any], replayed: bool, count: Counter) -> JSON:
    """201 for a create that takes an Idempotency-Key: `count` counts it once, and a replay
    says it is one."""
    if replayed:
        return JSON(body, status_code=201, headers={"Idempotent-Replayed": "true"})
    count.inc()
    return JSON(body, status_code=201)


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> Response:
    body = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        **extensions,
    }
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/problem+json",
        headers=headers,
    )
