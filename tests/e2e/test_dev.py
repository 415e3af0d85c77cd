"""`lastseat dev`: HTTP, gRPC, the payment sandbox and the mail catcher come up, it says
so only once they answer, and all stop with it."""

from __future__ import annotations

import os
import re
import signal
import smtplib
import subprocess
import time
from pathlib import Path

import httpx

from lastseat.stack.ports import free_port
from lastseat.stack.processes import alive, lastseat_argv
from tests.support.servers import AppServer, grpc_serving, server_env

STARTUP_SECONDS = 60.0


def test_dev_says_it_is_up_once_it_serves_and_leaves_nothing_behind(tmp_path: Path) -> None:
    http_port, grpc_port, sandbox_port = free_port(), free_port(), free_port()
    mail_port = free_port()
    env = server_env(
        f"sqlite+aiosqlite:///{tmp_path / 'up.db'}",
        LASTSEAT_PAYMENTS_URL=f"http://127.0.0.1:{sandbox_port}",
        LASTSEAT_SANDBOX_LEDGER=str(tmp_path / "ledger.jsonl"),
        LASTSEAT_MAIL_CATCHER_PORT=str(mail_port),
        LASTSEAT_MAIL_DIR=str(tmp_path / "mail"),
    )
    log = tmp_path / "up.log"
    with log.open("wb") as sink:
        up = subprocess.Popen(
            lastseat_argv(
                "dev", "--port", str(http_port), "--grpc-port", str(grpc_port), "--flights", "3"
            ),
            env={**env, "COLUMNS": "200"},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    children: list[int] = []
    try:
        grpc_server = AppServer(env, log, port=grpc_port)
        deadline = time.monotonic() + STARTUP_SECONDS
        while "lastseat is up" not in log.read_text():
            assert up.poll() is None, log.read_text()
            assert time.monotonic() < deadline, (
                f"not up within {STARTUP_SECONDS}s: {log.read_text()}"
            )
            time.sleep(0.1)
        # Said only once every server answers: no retry here.
        assert httpx.get(f"http://127.0.0.1:{http_port}/readyz", timeout=5).status_code == 200
        assert grpc_serving(grpc_server)
        flights = httpx.get(f"http://127.0.0.1:{http_port}/api/v1/flights").json()["items"]
        assert len(flights) == 3
        assert httpx.get(f"http://127.0.0.1:{sandbox_port}/healthz").status_code == 200
        with smtplib.SMTP("127.0.0.1", mail_port, timeout=5) as catcher:
            assert catcher.noop()[0] == 250  # the app's mail has somewhere to go
        children = [int(pid) for pid in re.findall(r"\(pid (\d+)\)", log.read_text())]
        assert len(children) == 4  # sandbox, mail catcher, gRPC and app servers
        # gRPC's check starts threads in `dev`: no child may be forked after it (dev.py)
        started = re.findall(r"^(.+?) on .* \(pid \d+\)$", log.read_text(), re.MULTILINE)
        assert started[-1] == "gRPC server", started
    finally:
        up.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            up.wait(timeout=30)
        except subprocess.TimeoutExpired:
            up.kill()
            up.wait(timeout=5)
    for _ in range(100):  # the children end with their parent
        if not any(alive(pid) for pid in children):
            break
        time.sleep(0.1)
    leftover = [pid for pid in children if alive(pid)]
    for pid in leftover:
        os.kill(pid, signal.SIGKILL)
    assert not leftover, "a child of `dev` outlived it"
