"""One machine-wide lock between tests that add or flap network interfaces and tests that
drive Chromium.

Chromium aborts every request in flight with ERR_NETWORK_CHANGED when an interface appears,
vanishes or changes its link state, so a cluster (network namespaces, veths, a bridge, links
cut and restored) must not come up or down while a browser test runs, even one started by
another checkout on the same machine. Browser tests share the lock; a cluster holds it
alone for its whole life. A turnstile taken before either keeps a steady stream of browser
tests from starving a waiting cluster.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

LOCKS = Path(os.environ.get("LASTSEAT_INTERFACES_LOCK_DIR", "/run/lock"))
WAIT_SECONDS = 15 * 60  # the longest holder is `make chaos-cluster`, about six minutes
POLL_SECONDS = 0.2


def _take(fd: int, operation: int, what: str, wait_seconds: float) -> None:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(fd, operation | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"waited {wait_seconds:g} s for {what}: another test on this machine "
                    "has held it all that time"
                ) from None
            time.sleep(POLL_SECONDS)


@contextlib.contextmanager
def _locked(exclusive: bool, wait_seconds: float) -> Iterator[None]:
    LOCKS.mkdir(parents=True, exist_ok=True)
    turnstile = os.open(LOCKS / "lastseat-interfaces.turnstile", os.O_RDWR | os.O_CREAT, 0o666)
    lock = os.open(LOCKS / "lastseat-interfaces.lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        _take(turnstile, fcntl.LOCK_EX, "the interfaces turnstile", wait_seconds)
        try:
            mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
            _take(lock, mode, "the interfaces lock", wait_seconds)
        finally:
            if not exclusive:
                fcntl.flock(turnstile, fcntl.LOCK_UN)  # readers only pass through
        yield
    finally:
        os.close(lock)  # closing drops any lock held through it
        os.close(turnstile)


def interfaces_may_change(
    wait_seconds: float = WAIT_SECONDS,
) -> contextlib.AbstractContextManager[None]:
    """Held, alone, while this process creates, flaps or removes network interfaces."""
    return _locked(exclusive=True, wait_seconds=wait_seconds)


def interfaces_stay(wait_seconds: float = WAIT_SECONDS) -> contextlib.AbstractContextManager[None]:
    """Held, shared with other readers, while a browser runs."""
    return _locked(exclusive=False, wait_seconds=wait_seconds)


def main(argv: list[str]) -> int:
    """`python -m tests.support.interfaces COMMAND...`: run a command that brings a cluster
    up or down (or cuts links) by hand, holding the lock alone meanwhile."""
    if not argv:
        print("usage: python -m tests.support.interfaces COMMAND [ARGS...]")
        return 2
    with interfaces_may_change():
        return subprocess.run(argv, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
