"""Development secrets never serve production: `up` writes random ones on first start, and
`serve` behind TLS refuses the known development values."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from dotenv import dotenv_values

from lastseat.config import Settings
from lastseat.stack.processes import lastseat_argv
from lastseat.stack.secrets import ensure_secrets
from tests.support.databases import migrated
from tests.support.servers import AppServer, server_env

SECRETS = ("LASTSEAT_TOKEN_SIGNING_KEY", "LASTSEAT_PAYMENTS_SECRET_KEY")


@pytest.fixture
def no_secrets_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*SECRETS, "LASTSEAT_ALLOW_DEV_SECRETS"):
        monkeypatch.delenv(name, raising=False)


def _settings(env_file: Path) -> Settings:
    return Settings(_env_file=env_file)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("no_secrets_in_environment")
def test_a_first_start_writes_two_random_secrets_once(tmp_path: Path) -> None:
    env_file = tmp_path / "var" / "lastseat.env"
    assert ensure_secrets(_settings(env_file), env_file) == list(SECRETS)
    assert _mode(env_file) == 0o600
    values = dotenv_values(env_file)
    assert set(values) == set(SECRETS)
    token_key, payments_key = (str(values[name]) for name in SECRETS)
    assert token_key != payments_key and min(len(token_key), len(payments_key)) >= 43
    settings = _settings(env_file)
    assert settings.development_secrets() == []  # read back: no development value is left
    assert settings.token_signing_key.get_secret_value() == token_key
    written = env_file.read_text()
    assert ensure_secrets(settings, env_file) == []  # a second start keeps them
    assert env_file.read_text() == written


@pytest.mark.usefixtures("no_secrets_in_environment")
def test_existing_lines_are_kept_and_the_file_made_private(tmp_path: Path) -> None:
    env_file = tmp_path / "lastseat.env"
    env_file.write_text(
        "LASTSEAT_HOLD_TTL_SECONDS=300\nLASTSEAT_TOKEN_SIGNING_KEY=operators-own-signing-key-0123456789"
    )
    env_file.chmod(0o644)
    assert ensure_secrets(_settings(env_file), env_file) == ["LASTSEAT_PAYMENTS_SECRET_KEY"]
    assert _mode(env_file) == 0o600
    values = dotenv_values(env_file)
    assert values["LASTSEAT_HOLD_TTL_SECONDS"] == "300"
    assert values["LASTSEAT_TOKEN_SIGNING_KEY"] == "operators-own-signing-key-0123456789"
    assert _settings(env_file).development_secrets() == []


def test_secrets_from_the_environment_write_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LASTSEAT_TOKEN_SIGNING_KEY", "from-the-environment-signing-key-0123456789")
    monkeypatch.setenv(
        "LASTSEAT_PAYMENTS_SECRET_KEY", "from-the-environment-payments-key-0123456789"
    )
    env_file = tmp_path / "nonexistent" / "lastseat.env"  # as the stack tests run `up`
    assert ensure_secrets(_settings(env_file), env_file) == []
    assert not env_file.parent.exists()


@pytest.mark.usefixtures("no_secrets_in_environment")
def test_a_development_machine_may_keep_the_development_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LASTSEAT_ALLOW_DEV_SECRETS", "true")
    env_file = tmp_path / "lastseat.env"
    assert ensure_secrets(_settings(env_file), env_file) == []
    assert not env_file.exists()


def _lastseat(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        lastseat_argv(*args),
        env={**env, "COLUMNS": "80"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_up_on_a_fresh_machine_writes_secrets_and_names_them(
    tmp_path: Path, taken_port: int
) -> None:
    env_file = tmp_path / "var" / "lastseat.env"
    env = server_env(
        f"sqlite+aiosqlite:///{tmp_path / 'up.db'}",
        LASTSEAT_ENV_FILE=str(env_file),
        # No tier starts: the stack folder is private (nginx's workers could not reach it)
        # and the payment sandbox, the first tier, would find its port taken.
        LASTSEAT_STACK_DIR=str(tmp_path / "stack"),
        LASTSEAT_PAYMENTS_URL=f"http://127.0.0.1:{taken_port}",
    )
    for name in SECRETS:
        del env[name]
    first = _lastseat(env, "up", "--flights", "1")
    said = " ".join(first.stderr.split())  # the console may wrap a long line
    assert first.returncode == 1 and "could not start the stack" in said
    values = dotenv_values(env_file)
    assert _mode(env_file) == 0o600 and set(values) == set(SECRETS)
    # (a long path may be wrapped anywhere, a space or none where the line broke)
    assert all(name in said for name in SECRETS) and str(env_file) in "".join(said.split())
    assert not any(str(value) in first.stdout + first.stderr for value in values.values())
    written = env_file.read_text()
    again = _lastseat(env, "up", "--flights", "1")
    assert again.returncode == 1 and "wrote" not in again.stderr
    assert env_file.read_text() == written


@pytest.fixture
async def serve_database(tmp_path: Path) -> str:
    return await migrated(f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}")


def test_serve_behind_tls_refuses_a_development_secret(serve_database: str) -> None:
    env = server_env(serve_database, LASTSEAT_COOKIE_SECURE="true")
    del env["LASTSEAT_TOKEN_SIGNING_KEY"]
    for command in ("serve", "serve-grpc"):
        refused = _lastseat(env, command, "--port", "1")  # never gets as far as listening
        assert refused.returncode == 2
        [line] = refused.stderr.splitlines()
        assert "LASTSEAT_TOKEN_SIGNING_KEY" in line and "LASTSEAT_PAYMENTS_SECRET_KEY" not in line
        assert "LASTSEAT_ALLOW_DEV_SECRETS" in line


@pytest.mark.parametrize("setting", ["allowed", "real secrets", "no TLS"])
def test_serve_starts_when_allowed_or_given_real_secrets(
    serve_database: str, tmp_path: Path, setting: str
) -> None:
    env = server_env(serve_database, LASTSEAT_COOKIE_SECURE="true")
    if setting != "real secrets":
        for name in SECRETS:
            del env[name]
    if setting == "allowed":
        env["LASTSEAT_ALLOW_DEV_SECRETS"] = "true"
    if setting == "no TLS":
        env["LASTSEAT_COOKIE_SECURE"] = "false"
    server = AppServer(env, tmp_path / "serve.log")
    try:
        server.start()  # ready: /readyz answers 200
    finally:
        server.stop()
    assert os.path.getsize(tmp_path / "serve.log") > 0
