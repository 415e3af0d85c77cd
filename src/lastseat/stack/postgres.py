"""Find a PostgreSQL server for tests and benchmarks, or start a private one.

CI machines have one on 127.0.0.1:5432 (trust auth, user postgres). Elsewhere a private
cluster is made from the Debian binaries under a temporary folder (installing them if
root and missing), so PostgreSQL tests run instead of skipping.
"""

from __future__ import annotations

import asyncio
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from lastseat.stack.ports import free_port

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass
class PostgresServer:
    host: str
    port: int
    user: str
    data_dir: Path | None = None  # set when we started it and must stop it
    run_as: str | None = None

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"

    def sqlalchemy_url(self, database: str) -> str:
        return f"postgresql+asyncpg://{self.user}@{self.host}:{self.port}/{database}"

    def restart(self, mode: str = "fast") -> None:
        """Restart a cluster we started: "fast" ends sessions cleanly, "immediate" is a
        crash (recovery on start)."""
        if self.data_dir is None:
            raise RuntimeError("only a private cluster can be restarted")
        _run_as(
            self.run_as, [_bin("pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "restart"]
        )

    def restart_following_nobody(self) -> None:
        """Restart a cluster we started as a standby with no primary to stream from (as
        Patroni leaves a demoted primary before it rewinds it): in recovery, its replay
        position where its own history ended."""
        if self.data_dir is None:
            raise RuntimeError("only a private cluster can be restarted")
        ctl = [_bin("pg_ctl"), "-D", str(self.data_dir), "-w"]
        _run_as(self.run_as, [_bin("psql"), "-h", self.host, "-p", str(self.port), "-U",
                self.user, "-c", "ALTER SYSTEM SET primary_conninfo = ''"])  # fmt: skip
        _run_as(self.run_as, [*ctl, "-m", "fast", "stop"])
        _run_as(self.run_as, ["touch", str(self.data_dir / "standby.signal")])
        _run_as(self.run_as, [*ctl, "-o", self._options, "-l", str(self._log), "start"])

    @property
    def _options(self) -> str:
        assert self.data_dir is not None
        return _options(self.port, self.data_dir.parent)

    @property
    def _log(self) -> Path:
        assert self.data_dir is not None
        return self.data_dir.parent / "log"

    def stop(self) -> None:
        if self.data_dir is None:
            return
        _run_as(self.run_as, [_bin("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"])
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def _reachable(dsn: str) -> bool:
    async def probe() -> bool:
        try:
            conn = await asyncpg.connect(dsn, timeout=3)
        except (TimeoutError, OSError, asyncpg.PostgresError):
            return False
        await conn.close()
        return True

    # Run in a thread of its own: the caller may be inside a running event loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, probe()).result()


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        if os.geteuid() != 0:
            raise RuntimeError("PostgreSQL binaries are missing; run scripts/setup as root")
        subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql"], check=True)
        found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1]


def _run_as(user: str | None, argv: list[str]) -> None:
    if user is not None:
        argv = ["runuser", "-u", user, "--", *argv]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def start_private_cluster() -> PostgresServer:
    # initdb refuses to run as root, so a root caller runs it as the Debian postgres user.
    run_as = "postgres" if os.geteuid() == 0 else None
    base = _private_folder("lastseat-pg-", run_as)
    data_dir = base / "data"
    _run_as(run_as, [_bin("initdb"), "-D", str(data_dir), "-U", "postgres", "-A", "trust"])
    return _start(base, data_dir, run_as)


def start_private_replica(primary: PostgresServer) -> PostgresServer:
    """A hot standby streaming from a private cluster (`pg_basebackup -R`), on a port and
    in a folder of its own; `stop()` it like any private cluster."""
    if primary.data_dir is None:
        raise RuntimeError("only a private cluster is replicated")
    base = _private_folder("lastseat-pg-replica-", primary.run_as)
    data_dir = base / "data"
    backup = [_bin("pg_basebackup"), "-h", primary.host, "-p", str(primary.port)]
    backup += ["-U", primary.user, "-D", str(data_dir), "-R", "-X", "stream", "-c", "fast"]
    _run_as(primary.run_as, backup)
    return _start(base, data_dir, primary.run_as)


def _options(port: int, base: Path) -> str:
    return f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"


def _private_folder(prefix: str, run_as: str | None) -> Path:
    base = Path(tempfile.mkdtemp(prefix=prefix))
    if run_as is not None:
        pw = pwd.getpwnam(run_as)
        os.chown(base, pw.pw_uid, pw.pw_gid)
    return base


def _start(base: Path, data_dir: Path, run_as: str | None) -> PostgresServer:
    port = free_port()
    options = _options(port, base)
    _run_as(
        run_as,
        [
            _bin("pg_ctl"),
            "-D",
            str(data_dir),
            "-o",
            options,
            "-l",
            str(base / "log"),
            "-w",
            "start",
        ],
    )
    return PostgresServer("127.0.0.1", port, "postgres", data_dir=data_dir, run_as=run_as)


def find_or_start(private: bool = False) -> PostgresServer:
    """The local server on 127.0.0.1:5432 if it answers (unless `private`), else a new one."""
    if not private and _reachable(DEFAULT_DSN):
        return PostgresServer("127.0.0.1", 5432, "postgres")
    return start_private_cluster()
