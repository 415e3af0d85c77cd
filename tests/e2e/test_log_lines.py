"""A server's log is JSON lines and nothing else: hostile requests, uvicorn's own complaints,
and exceptions nothing handles (in the app, a task, a thread, the main thread) all
arrive as one JSON object per line, the traceback a field inside it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from lastseat.stack.ports import free_port
from tests.support.databases import migrated
from tests.support.passengers import passengers_json
from tests.support.servers import STARTUP_SECONDS, AppServer, server_env

# Requests no HTTP client library would send: the parser refuses them (uvicorn logs each).
MALFORMED = [
    b"GARBAGE\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\x01b\r\n\r\n",
    b"POST /api/v1/bookings HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n\r\n",
    b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
]

# An application that fails every way a server process can: run the way `lastseat serve`
# runs uvicorn (the same logging setup and uvicorn options), so what it logs is what a real
# server would.
FAILING_SERVER = """
import asyncio, sys, threading, warnings
import uvicorn
from lastseat.config import get_settings
from lastseat.entrypoints.cli.servers import server_logging, uvicorn_options

async def fail():
    raise ValueError("a task nobody awaited")

async def app(scope, receive, send):
    if scope["path"] == "/thread":
        threading.Thread(target=lambda: 1 / 0, name="doomed").start()
    elif scope["path"] == "/task":
        asyncio.get_running_loop().create_task(fail())  # dropped: never retrieved
    elif scope["path"] == "/warning":
        warnings.warn("a library complains", UserWarning)
    raise RuntimeError("unhandled in the application")

settings = get_settings()
server_logging(settings)
if sys.argv[1] == "crash":
    raise RuntimeError("unhandled before the server started")
port = int(sys.argv[1])
uvicorn.run(app, host="127.0.0.1", port=port, lifespan="off", **uvicorn_options(settings))
"""


def json_lines(path: Path) -> list[dict[str, Any]]:
    text = path.read_text()
    assert text.endswith("\n"), text[-500:]
    lines = [json.loads(line) for line in text.splitlines()]  # each line one JSON object
    assert all(isinstance(line, dict) for line in lines)
    return lines


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> str:
    return await migrated(f"sqlite+aiosqlite:///{tmp_path / 'lastseat.db'}")


@pytest.fixture
def app_server(sqlite_url: str, server_logs: Path) -> Iterator[AppServer]:
    env = server_env(sqlite_url, LASTSEAT_LOG_FLUSH_SECONDS="0.2")
    server = AppServer(env, server_logs / f"json-lines-{uuid.uuid4().hex[:8]}.log")
    try:
        yield server.start()
    finally:
        server.stop()


def _send_raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        return sock.recv(4096)


def test_hostile_requests_leave_only_json_lines_in_a_servers_log(app_server: AppServer) -> None:
    for request in MALFORMED:
        assert _send_raw(app_server.port, request).startswith(b"HTTP/1.1 400")
    base = app_server.url
    creds = {"email": "logs@example.com", "password": "logs-password-1"}
    assert httpx.post(base + "/api/v1/auth/signup", json=creds).status_code == 201
    token = httpx.post(base + "/api/v1/auth/login", json=creds).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    booking = httpx.post(
        base + "/api/v1/bookings",
        json={
            "hold_id": str(uuid.uuid4()),
            "payment": {"token": "tok_ok\r\nX-Injected: 1"},
            "passengers": passengers_json(["1A"]),
        },
        headers=auth,
    )
    assert booking.status_code == 422
    assert booking.headers["content-type"] == "application/problem+json"
    quote = httpx.get(
        base + f"/api/v1/holds/{uuid.uuid4()}/quote",
        params={"discount_code": "A\r\nX-Injected: 1"},
        headers=auth,
    )
    assert quote.status_code == 422
    app_server.stop()  # every buffered line written
    lines = json_lines(app_server.log_path)
    refused = [line for line in lines if line.get("logger") == "uvicorn.error"]
    assert len(refused) >= len(MALFORMED)
    assert all(line["event"].startswith("Invalid HTTP request") for line in refused)
    statuses = {(line.get("path"), line.get("status")) for line in lines}
    assert ("/api/v1/bookings", 422) in statuses


def _wait_until_answering(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited early"
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the server did not answer")


def _failing_server(sqlite_url: str, log_path: Path, argument: str) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-c", FAILING_SERVER, argument],
            env=server_env(sqlite_url, LASTSEAT_LOG_FLUSH_SECONDS="0.2"),
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def test_exceptions_nothing_handles_are_json_lines_with_their_tracebacks(
    sqlite_url: str, tmp_path: Path
) -> None:
    port = free_port()
    log_path = tmp_path / "failing.log"
    process = _failing_server(sqlite_url, log_path, str(port))
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_answering(base + "/", process)
        for path in ("/thread", "/task", "/warning"):
            assert httpx.get(base + path, timeout=5).status_code == 500
        time.sleep(0.5)  # the thread dies and the task is collected
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
    lines = json_lines(log_path)
    by_event: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        by_event.setdefault(line["event"].split("\n")[0], []).append(line)
    in_app = by_event["Exception in ASGI application"]
    assert len(in_app) == 4 and in_app[0]["logger"] == "uvicorn.error"
    assert "RuntimeError: unhandled in the application" in in_app[0]["exception"]
    [thread] = by_event["uncaught_thread_exception"]
    assert thread["thread"] == "doomed" and "ZeroDivisionError" in thread["exception"]
    [task] = by_event["Task exception was never retrieved"]
    assert task["logger"] == "asyncio" and "a task nobody awaited" in task["exception"]
    [warning] = [line for line in lines if line.get("logger") == "py.warnings"]
    assert "a library complains" in warning["event"]


def test_an_exception_that_ends_the_process_is_a_json_line(sqlite_url: str, tmp_path: Path) -> None:
    log_path = tmp_path / "crashed.log"
    assert _failing_server(sqlite_url, log_path, "crash").wait(timeout=STARTUP_SECONDS) == 1
    [line] = json_lines(log_path)
    assert line["event"] == "uncaught_exception" and line["level"] == "critical"
    assert "RuntimeError: unhandled before the server started" in line["exception"]
