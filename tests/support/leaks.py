"""Every HTTP response any test receives is checked for the server's secrets as it arrives."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from lastseat.config import Settings
from tests.support.servers import DATABASE_PASSWORD, PAYMENTS_KEY, server_env


def known_secrets() -> list[str]:
    defaults = Settings(_env_file=None)
    return [
        defaults.token_signing_key.get_secret_value(),
        defaults.payments_secret_key.get_secret_value(),
        server_env("")["LASTSEAT_TOKEN_SIGNING_KEY"],
        PAYMENTS_KEY,
        DATABASE_PASSWORD,
    ]


# Tests whose requests are hostile or random on purpose: not the project's own traffic.
NOT_OWN_TRAFFIC = ("test_attackers_view", "test_schema_fuzzing", "tests/stack/")
REPLAYED_HEADERS = ("content-type", "authorization", "idempotency-key", "x-csrf-token", "cookie")
MAX_RECORDED = 4_000
# Where each pytest process of a parallel `make test` saves what it recorded (Makefile).
RECORDINGS_ENV = "LASTSEAT_TEST_RECORDINGS"


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """A request the app accepted (2xx/3xx): legitimate traffic the firewall must pass."""

    method: str
    target: str  # path and query, as sent
    headers: tuple[tuple[str, str], ...]
    body: bytes
    test: str


class ResponseScanner:
    """Wraps httpx's send methods; records any response whose body or headers hold a secret."""

    def __init__(self, secrets: list[str]) -> None:
        self.secrets = secrets
        self.leaks: list[str] = []
        self.checked = 0
        self.accepted: dict[tuple[str, str, bytes], RecordedRequest] = {}
        self._originals: dict[type[Any], Any] = {}

    def _check(self, request: httpx.Request, response: httpx.Response) -> None:
        if not response.is_closed or response.is_stream_consumed is False:
            return  # a streamed response the test reads itself
        self.checked += 1
        text = response.content.decode("utf-8", "replace") + str(response.headers)
        for secret in self.secrets:
            if secret in text:
                self.leaks.append(f"{request.method} {request.url}: a secret in the response")
        self._record(request, response)

    def _record(self, request: httpx.Request, response: httpx.Response) -> None:
        test = os.environ.get("PYTEST_CURRENT_TEST", "")
        if not 200 <= response.status_code < 400 or len(self.accepted) >= MAX_RECORDED:
            return
        if not test or any(name in test for name in NOT_OWN_TRAFFIC):
            return
        if request.url.host not in ("127.0.0.1", "testserver", "localhost"):
            return
        target = request.url.raw_path.decode("ascii", "replace")
        if not target.startswith(("/api/", "/ws/")):
            return
        body = request.content
        key = (request.method, target, body)
        if key not in self.accepted:
            headers = tuple((n, v) for n, v in request.headers.items() if n in REPLAYED_HEADERS)
            self.accepted[key] = RecordedRequest(request.method, target, headers, body, test)

    def save(self, folder: Path, name: str) -> None:
        """What this process recorded, for a replay run by another process of the same
        `make test` (the suites run in parallel workers: tests/stack/test_firewall.py)."""
        folder.mkdir(parents=True, exist_ok=True)
        lines = [
            json.dumps({**asdict(item), "body": base64.b64encode(item.body).decode()})
            for item in self.accepted.values()
        ]
        (folder / f"{name}.jsonl").write_text("".join(line + "\n" for line in lines))

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

        # Patched for every client of the run; send's keyword-only options pass through **kw.
        httpx.AsyncClient.send = async_send  # type: ignore[method-assign, assignment]
        httpx.Client.send = sync_send  # type: ignore[method-assign, assignment]

    def uninstall(self) -> None:
        for cls, original in self._originals.items():
            cls.send = original


def recorded_by_others(folder: Path) -> dict[tuple[str, str, bytes], RecordedRequest]:
    """What every worker of this run saved (ResponseScanner.save), one copy of each."""
    found: dict[tuple[str, str, bytes], RecordedRequest] = {}
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            data = json.loads(line)
            body = base64.b64decode(data["body"])
            headers = tuple((name, value) for name, value in data["headers"])
            item = RecordedRequest(data["method"], data["target"], headers, body, data["test"])
            found.setdefault((item.method, item.target, body), item)
    return found
