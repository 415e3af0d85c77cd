"""The response scanner that guards the whole run sees responses and catches secrets."""

from __future__ import annotations

import httpx
from starlette.types import Receive, Scope, Send

from tests.support.leaks import ResponseScanner


def test_a_secret_in_a_body_or_header_is_caught() -> None:
    scanner = ResponseScanner(["canary-secret"])
    request = httpx.Request("GET", "http://t/x")
    clean = httpx.Response(200, content=b"nothing here", request=request)
    in_body = httpx.Response(200, content=b"...canary-secret...", request=request)
    in_header = httpx.Response(200, headers={"x-debug": "canary-secret"}, request=request)
    for response in (clean, in_body, in_header):
        response.read()
        scanner._check(request, response)
    assert scanner.checked == 3
    assert len(scanner.leaks) == 2


async def test_the_session_scanner_sees_in_process_responses(
    no_secret_in_any_response: ResponseScanner,
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    before = no_secret_in_any_response.checked
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/")).text == "ok"
    assert no_secret_in_any_response.checked == before + 1
