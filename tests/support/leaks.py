"""Every HTTP response any test receives is checked for the server's secrets as it arrives."""

from __future__ import annotations

from typing import Any

import httpx

from lastseat.config import Settings
from tests.support.servers import DATABASE_PASSWORD, PAYMENTS_KEY, server_env


def known_secrets() -> list[str]:
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    return [
        defaults.token_signing_key.get_secret_value(),
        defaults.payments_secret_key.get_secret_value(),
        server_env("")["LASTSEAT_TOKEN_SIGNING_KEY"],
        PAYMENTS_KEY,
        DATABASE_PASSWORD,
    ]


class ResponseScanner:
    """Wraps httpx's send methods; records any response whose body or headers hold a secret."""

    def __init__(self, secrets: list[str]) -> None:
        self.secrets = secrets
        self.leaks: list[str] = []
        self.checked = 0
        self._originals: dict[type[Any], Any] = {}

    def _check(self, request: httpx.Request, response: httpx.Response) -> None:
        if not response.is_closed or response.is_stream_consumed is False:
            return  # a streamed response the test reads itself
        self.checked += 1
        text = response.content.decode("utf-8", "replace") + str(response.headers)
        for secret in self.secrets:
            if secret in text:
                self.leaks.append(f"{request.method} {request.url}: a secret in the response")

    def install(self) -> None:
        scanner = self
        original_async = httpx.AsyncClient.send
        original_sync = httpx.Client.send
        self._originals = {httpx.AsyncClient: original_async, httpx.Client: original_sync}

        async def async_send(client: Any, request: httpx.Request, **kw: Any) -> httpx.Response:
            response = await original_async(client, request, **kw)
            if not kw.get("stream"):
                scanner._check(request, response)
            return response

        def sync_send(client: Any, request: httpx.Request, **kw: Any) -> httpx.Response:
            response = original_sync(client, request, **kw)
            if not kw.get("stream"):
                scanner._check(request, response)
            return response

        httpx.AsyncClient.send = async_send  # type: ignore[method-assign]
        httpx.Client.send = sync_send  # type: ignore[method-assign]

    def uninstall(self) -> None:
        for cls, original in self._originals.items():
            cls.send = original
