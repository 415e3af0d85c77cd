"""A Chromium that finds lastseat the way DESIGN.md draws it: every name resolved over
lastseat's DNS-over-HTTPS endpoint (secure mode: no fallback to the system resolver, no
host-resolver mapping), the stack's local CA trusted through the browser's own NSS store.

`lastseat browser` opens one for a person; the browser tests start theirs headless from
the same profile pieces.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from lastseat.config import Settings

CHROMIUM = Path("/usr/bin/chromium")  # Debian's; nothing here downloads a browser
# Quiet and reproducible: no calls home, no updates, no sync, no first-run dialogs.
CHROMIUM_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
# What a headless run adds (Playwright passes --headless itself): no GPU, and no sandbox,
# which needs user namespaces that root in a container does not have.
HEADLESS_ARGS = ("--no-sandbox", "--disable-gpu", *CHROMIUM_ARGS)


def window_args() -> tuple[str, ...]:
    """What a run with a window adds: no sandbox for root, whom Chromium refuses to run
    sandboxed (and whose container seldom allows the user namespaces it needs)."""
    return (*CHROMIUM_ARGS, "--no-sandbox") if os.geteuid() == 0 else CHROMIUM_ARGS


def doh_template(settings: Settings) -> str:
    """The firewall's DoH endpoint, by address: a resolver cannot be found by a name it is
    itself the resolver for."""
    return f"https://{settings.site_address}:{settings.https_port}/dns-query{{?dns}}"


def trust_store(home: Path, ca: Path) -> Path:
    """An NSS store under `home` (where Chromium on Linux looks) that trusts `ca` for TLS
    servers. Nothing outside `home` changes: the system's trust store is left alone."""
    certutil = shutil.which("certutil")
    if certutil is None:
        raise RuntimeError("certutil is missing (Debian package libnss3-tools): run scripts/setup")
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True, exist_ok=True)
    db = f"sql:{nssdb}"
    if not (nssdb / "cert9.db").exists():
        subprocess.run([certutil, "-N", "-d", db, "--empty-password"], check=True, timeout=30)
    subprocess.run(
        [certutil, "-A", "-d", db, "-n", "lastseat local CA", "-t", "C,,", "-i", str(ca)],
        check=True,
        timeout=30,
    )
    return nssdb


def doh_profile(folder: Path, settings: Settings) -> Path:
    """A Chromium profile (user data dir) set to resolve every name over lastseat's DoH."""
    folder.mkdir(parents=True, exist_ok=True)
    state_file = folder / "Local State"
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    state["dns_over_https"] = {"mode": "secure", "templates": doh_template(settings)}
    state_file.write_text(json.dumps(state))
    return folder
