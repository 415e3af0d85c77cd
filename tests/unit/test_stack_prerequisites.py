"""Where the firewall's packages are missing, `up` says exactly what to install."""

from __future__ import annotations

from pathlib import Path

import pytest

from lastseat.config import Settings
from lastseat.stack import nginx
from lastseat.stack.supervisor import Supervisor


def test_missing_packages_are_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(nginx, "MODSECURITY_MODULE", tmp_path / "no-module.so")
    monkeypatch.setattr(nginx, "CRS_RULES", tmp_path / "no-rules")
    assert nginx.missing_packages() == ["libnginx-mod-http-modsecurity", "modsecurity-crs"]
    supervisor = Supervisor(Settings(_env_file=None, stack_dir=tmp_path / "stack"))
    with pytest.raises(RuntimeError) as refused:
        supervisor.start()
    message = str(refused.value)
    assert "libnginx-mod-http-modsecurity modsecurity-crs" in message
    assert "scripts/setup" in message


def test_the_installed_packages_are_all_there() -> None:
    assert nginx.missing_packages() == []  # scripts/setup installed them
