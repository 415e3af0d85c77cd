"""docs/deployment.md shows the configuration `lastseat cluster config` prints: the same
code as `cluster up` writes with, so the page cannot drift from what runs."""

from __future__ import annotations

import re

import pytest

from lastseat.config import PROJECT_ROOT
from tests.support.commands import lastseat

PAGE = PROJECT_ROOT / "docs" / "deployment.md"


@pytest.mark.parametrize(
    "args",
    [
        ("etcd", "--host", "db1", "--folder", "/var/lib/lastseat"),
        ("patroni", "--host", "db1", "--folder", "/var/lib/lastseat"),
        ("haproxy", "--host", "app1"),
    ],
    ids=lambda args: args[0],
)
def test_the_deployment_page_shows_what_the_cluster_writes(args: tuple[str, ...]) -> None:
    printed = lastseat({"COLUMNS": "200"}, "cluster", "config", *args, timeout=60)
    assert printed.returncode == 0, printed.stderr
    command = f"`lastseat cluster config {' '.join(args)}`"
    page = PAGE.read_text()
    assert command in page
    block = re.search(re.escape(command) + r".*?```[a-z]*\n(.*?)```", page, re.S)
    assert block is not None
    assert block.group(1).rstrip() == printed.stdout.rstrip()


def test_the_haproxy_config_cuts_sessions_to_a_primary_that_fails_its_checks() -> None:
    printed = lastseat({}, "cluster", "config", "haproxy", timeout=60).stdout
    assert "uri /primary" in printed and "on-marked-down shutdown-sessions" in printed


def test_patroni_runs_quorum_commit_with_pg_rewind() -> None:
    printed = lastseat({}, "cluster", "config", "patroni", timeout=60).stdout
    for line in ('synchronous_mode: "quorum"', "use_pg_rewind: true", "ttl: 20"):
        assert line in printed
