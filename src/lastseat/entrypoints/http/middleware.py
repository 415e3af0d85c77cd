"""Pure ASGI middleware: request ids, access logs, metrics, Server-Timing, body limits.

Written as raw ASGI (not BaseHTTPMiddleware) because it runs on every request.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lastseat.browser_policy import BASE_HEADERS, CSP_APP, HSTS
from lastseat.entrypoints.http.metrics import Metrics
from lastseat.entrypoints.http.responses import problem
from lastseat.entrypoints.logs import REQUEST_ID
from lastseat.timing import db_seconds, end_tally, start_tally

VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
access_log = structlog.get_logger("lastseat.access")


def header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value  # type: ignore[no-any-return]
    return None


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = header(scope, b"x-request-id")
        given = raw.decode("latin-1") if raw else ""
        request_id = given if VALID_REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                elapsed_ms = (time.perf_counter() - started) * 1000
                timing = f"app;dur={elapsed_ms:.1f}"
                db = db_seconds()
                if db:
                    timing += f", db;dur={db * 1000:.1f}"
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                headers.append((b"server-timing", timing.encode()))
                message = {**message, "headers": headers}
            await send(message)

        bound = REQUEST_ID.set(request_id)
        tally = start_tally()
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            end_tally(tally)
            elapsed = time.perf_counter() - started
            route: Any = scope.get("route")
            template = getattr(route, "path_format", None) or "unmatched"
            method = scope["method"]
            self.metrics.observe_request(method, template, status, elapsed)
            access_log.info(
                "request",
                method=method,
                route=template,
                path=scope["path"],
                status=status,
                duration_ms=round(elapsed * 1000, 2),
            )
            REQUEST_ID.reset(bound)


class SecurityHeadersMiddleware:
    """Headers that tell browsers to refuse framing, sniffing, leaking referrers and HTTP."""

    def __init__(self, app: ASGIApp, tls: bool) -> None:
        self.app = app
        base = [(name.lower().encode(), value.encode()) for name, value in BASE_HEADERS]
        if tls:
            base.append((b"strict-transport-security", HSTS.encode()))
        self._headers = [*base, (b"content-security-policy", CSP_APP.encode())]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._headers

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


class StrictCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, except that an origin not on the list gets no CORS header at all
    (Starlette still sends its credentials, expose and allow lists to every origin, on its
    preflight refusals too)."""

    def preflight_response(self, request_headers: Headers) -> Response:
        if not self.is_allowed_origin(request_headers["origin"]):
            return problem(
                400,
                "cors-origin-refused",
                "Origin not allowed",
                "this origin may not call the API from a browser",
                headers={"Vary": "Origin"},
            )
        return super().preflight_response(request_headers)

    async def simple_response(
        self, scope: Scope, receive: Receive, send: Send, request_headers: Headers
    ) -> None:
        origin = request_headers.get("origin")
        if origin is None or not self.is_allowed_origin(origin):
            await self.app(scope, receive, send)
            return
        await super().simple_response(scope, receive, send, request_headers)


class HeadAsGetMiddleware:
    """HEAD is GET without the body (RFC 9110, 9.3.2): every GET route answers it with
    the status and headers GET would have, Content-Length included. FastAPI routes only
    the methods they declare, so without this a HEAD of an existing resource got 404."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headless(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headless)


class BodyLimitMiddleware:
    """Refuse bodies over the limit with 413 before the app reads them into memory."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # An HTTPException passes through FastAPI's body parsing untouched.
                    raise HTTPException(413, self._detail)
            return message

        await self.app(scope, limited_receive, send)

    @property
    def _detail(self) -> str:
        return f"request bodies are limited to {self.max_bytes} bytes"

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            413,
            "request-body-too-large",
            "Request body too large",
            self._detail,
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)
