"""docs/deployment.md shows the configuration `lastseat cluster config` prints: the same
code as `cluster up` writes with, so the page cannot drift from what runs."""

from __future__ import annotations

import re

import pytest

from lastseat.cluster.topology import topology
from lastseat.config import PROJECT_ROOT
from tests.support.commands import lastseat

PAGE = PROJECT_ROOT / "docs" / "deployment.md"


@pytest.mark.parametrize(
    "args",
    [
        ("etcd", "--host", "db1", "--folder", "/var/lib/lastseat"),
        ("patroni", "--host", "db1", "--folder", "/var/lib/lastseat"),
        ("haproxy", "--host", "app1"),
        ("app-env", "--host", "app1"),
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


def test_two_clusters_differ_in_every_name_and_address() -> None:
    default, other = topology(9, 9), topology(9, 9, prefix="t1a2b-", network="10.201.3")
    names = {h.namespace for h in default.hosts} | {default.bridge}
    names |= {h.veth for h in default.hosts} | {h.peer for h in default.hosts}
    others = {h.namespace for h in other.hosts} | {other.bridge}
    others |= {h.veth for h in other.hosts} | {h.peer for h in other.hosts}
    assert not names & others
    assert max(len(n) for n in names | others) <= 15  # Linux's limit for a link's name
    assert default.bridge == "ls-br0" and default.gateway == "10.77.0.1"
    assert other.gateway == "10.201.3.1" and other.subnet == "10.201.3.0/24"
    assert {h.address for h in other.hosts} <= {f"10.201.3.{i}" for i in range(2, 255)}


@pytest.mark.parametrize(
    ("prefix", "network"),
    [
        ("toolong-", "10.1.2"),
        ("Ls-", "10.1.2"),
        ("ls-", "8.8.8"),
        ("ls-", "10.1"),
        ("ls-", "10.1.256"),
    ],
)
def test_a_prefix_or_network_that_would_collide_or_leak_is_refused(
    prefix: str, network: str
) -> None:
    with pytest.raises(ValueError):
        topology(prefix=prefix, network=network)


def test_the_patroni_config_allows_only_the_clusters_own_network() -> None:
    printed = lastseat(
        {"LASTSEAT_CLUSTER_NETWORK": "10.201.3"}, "cluster", "config", "patroni", timeout=60
    ).stdout
    assert "host all all 10.201.3.0/24 scram-sha-256" in printed
    assert '"10.201.3.11:8008"' in printed
