"""Which app hosts the proxy balances over: an unready host is taken out while another is
ready; when none is ready (a database failover) none is, and a state changes only after
two answers in a row."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from lastseat.cluster.balancing import ReadinessView, taken_out
from lastseat.config import PROJECT_ROOT, Settings
from lastseat.stack.nginx import write_proxy


def test_an_unready_host_is_taken_out_while_another_is_ready() -> None:
    assert taken_out({"app1": False, "app2": True}) == {"app1"}
    assert taken_out({"app1": True, "app2": True}) == set()


def test_no_host_is_taken_out_when_none_is_ready() -> None:
    assert taken_out({"app1": False, "app2": False}) == set()


def test_a_host_changes_state_after_two_answers_in_a_row() -> None:
    view = ReadinessView(["app1", "app2"])
    assert not view.observe({"app1": False, "app2": True})
    assert not view.observe({"app1": True, "app2": True})  # one lost answer: no change
    assert not view.observe({"app1": False, "app2": True})
    assert view.observe({"app1": False, "app2": True})
    assert view.taken_out() == {"app1"}
    assert not view.observe({"app1": True, "app2": True})
    assert view.observe({"app1": True, "app2": True})
    assert view.taken_out() == set()


def test_the_proxy_marks_a_taken_out_hosts_servers_down() -> None:
    (PROJECT_ROOT / "var").mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="test-balancing-", dir=PROJECT_ROOT / "var"))
    folder.chmod(0o755)
    try:
        conf = write_proxy(
            Settings(_env_file=None, stack_dir=folder),
            app_servers=["10.9.0.21:3001", "10.9.0.22:3001"],
            grpc_servers=["10.9.0.21:3051", "10.9.0.22:3051"],
            down_hosts={"10.9.0.21"},
        ).read_text()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert "server 10.9.0.21:3001 max_fails=1 fail_timeout=5s down;" in conf
    assert "server 10.9.0.21:3051 max_fails=1 fail_timeout=5s down;" in conf
    assert "server 10.9.0.22:3001 max_fails=1 fail_timeout=5s;" in conf
    assert "server 10.9.0.22:3051 max_fails=1 fail_timeout=5s;" in conf
