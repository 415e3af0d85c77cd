"""The `lastseat` command line on a fresh SQLite database, as an operator runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lastseat.adapters.db import migrate
from tests.support.servers import server_env


def lastseat(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lastseat.entrypoints.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_migrate_seed_accounts_and_discounts(tmp_path: Path) -> None:
    env = server_env(f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    assert f"revision {migrate.head_revision()}" in lastseat(env, "db", "migrate").stderr
    seeded = lastseat(env, "db", "seed", "--flights", "3")
    assert seeded.returncode == 0 and "created 3 flights" in seeded.stderr
    assert "created 0 flights" in lastseat(env, "db", "seed", "--flights", "3").stderr
    admin = lastseat(
        env, "admin", "create-user", "ops@example.com", "--password", "ops-pass-1", "--admin"
    )
    assert admin.returncode == 0 and "(admin)" in admin.stderr
    assert "ops-pass-1" not in admin.stdout + admin.stderr
    made = lastseat(
        env, "admin", "create-discount", "summer", "--kind", "percent", "--value", "1500"
    )
    assert made.returncode == 0 and "SUMMER" in made.stderr
    again = lastseat(env, "admin", "create-discount", "SUMMER", "--kind", "percent", "--value", "1")
    assert again.returncode == 1 and "already exists" in again.stderr
    weak = lastseat(env, "admin", "create-user", "x@example.com", "--password", "short")
    assert weak.returncode == 1 and "password" in weak.stderr
