"""The edge tiers' timeouts, derived from the app's own bounds: the proxy gives up on a
hung app server and tries the next one before the firewall gives up on the proxy."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from lastseat.config import PROJECT_ROOT, Settings
from lastseat.stack.edge_timeouts import CONNECT_SECONDS, edge_timeouts
from lastseat.stack.nginx import write_proxy


def test_the_firewall_waits_for_one_try_and_a_retry_at_the_proxy() -> None:
    timeouts = edge_timeouts(Settings(_env_file=None))
    # a unary call at its longest: pool wait 5 + database command 30 + payment 5, and 1
    assert timeouts.unary_seconds == 41
    assert timeouts.retries_seconds == 2 * (CONNECT_SECONDS + timeouts.unary_seconds)
    assert timeouts.firewall_seconds > timeouts.retries_seconds


def test_the_proxys_timeouts_follow_the_apps_own() -> None:
    short = Settings(
        _env_file=None,
        pool_timeout_seconds=1,
        db_command_timeout_seconds=2,
        db_statement_timeout_seconds=1,
        payments_timeout_seconds=1,
    )
    assert edge_timeouts(short).unary_seconds == 5


def test_only_the_streams_wait_an_hour() -> None:
    # (under var/: the folder must be traversable by nginx's workers, as the stack's is)
    (PROJECT_ROOT / "var").mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="test-edge-timeouts-", dir=PROJECT_ROOT / "var"))
    folder.chmod(0o755)
    try:
        conf = write_proxy(Settings(_env_file=None, stack_dir=folder)).read_text()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert "proxy_read_timeout 41s;" in conf and "grpc_read_timeout 41s;" in conf
    watch = conf.index("location = /lastseat.v1.Booking/WatchFlight")
    assert conf.index("grpc_read_timeout 1h;", watch) < conf.index("}", watch)
    assert conf.count("grpc_read_timeout 1h;") == 1
