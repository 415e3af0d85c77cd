"""uvicorn's supervisor kills a worker that does not answer its ping in time; a worker
still importing on a busy machine cannot answer, so the time is ours to give (config)."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn

from lastseat.entrypoints.cli import servers
from tests.support.databases import make_settings


def test_workers_get_the_configured_time_to_answer_their_supervisor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: dict[str, Any] = {}
    settings = make_settings("sqlite+aiosqlite://", worker_healthcheck_seconds=45)
    monkeypatch.setattr(servers, "get_settings", lambda: settings)
    monkeypatch.setattr(servers, "server_logging", lambda _settings: None)
    monkeypatch.setattr(uvicorn, "run", lambda _app, **options: started.update(options))
    servers.serve(workers=2)
    assert started["workers"] == 2
    assert started["timeout_worker_healthcheck"] == 45
