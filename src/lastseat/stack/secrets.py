"""Secrets for a first start: random keys written once to the env file, never shown.

`lastseat up` serves over TLS; with the development keys (public in config.py) anyone could
forge the keyed hashes of session tokens or call the payment provider as us. Every process
of the stack reads the same env file, so the app servers and the payment sandbox agree.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from lastseat.config import Settings

SECRET_BYTES = 32


def ensure_secrets(settings: Settings, env_file: Path) -> list[str]:
    """Give each secret `settings` still has at its development value (set neither in the
    environment nor in `env_file`) a random value in `env_file`; the names written. (A
    secret set but weak is the operator's to replace: `up` and `serve` refuse it.)"""
    names = settings.unset_secrets()
    if not names or settings.allow_dev_secrets:
        return []
    env_file.parent.mkdir(parents=True, exist_ok=True)
    # Created 0600 by open itself, never world-readable even for an instant; lines already
    # in the file are kept (appended to).
    fd = os.open(env_file, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.fchmod(fd, 0o600)  # a file that existed before now holds secrets as well
        size = os.fstat(fd).st_size
        separator = "\n" if size and os.pread(fd, 1, size - 1) != b"\n" else ""
        lines = "".join(f"{name}={secrets.token_urlsafe(SECRET_BYTES)}\n" for name in names)
        os.write(fd, (separator + lines).encode())
    finally:
        os.close(fd)
    return names
