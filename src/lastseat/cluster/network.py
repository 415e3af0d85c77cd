"""The hosts' network on one machine: a bridge in the root namespace (the edge's address
on it), one network namespace per host with a veth whose far end is the host's eth0.

Only names starting with `ls-` and addresses in the cluster's own /24 are made or removed.
Interfaces appearing and vanishing disturb some programs (Chromium aborts): this runs only
on `cluster up` and `cluster down`.
"""

from __future__ import annotations

import subprocess

from lastseat.cluster.topology import BRIDGE, GATEWAY, PREFIX_LENGTH, Host, Topology


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


def netns_argv(host: Host, argv: list[str]) -> list[str]:
    """`argv` run inside `host`'s namespace (`ip netns exec` execs it: the pid is argv's)."""
    return ["ip", "netns", "exec", host.namespace, *argv]


def namespaces() -> set[str]:
    listed = _ip("netns", "list", check=False).stdout
    return {line.split()[0] for line in listed.splitlines() if line.strip()}


def link_exists(name: str) -> bool:
    return _ip("link", "show", name, check=False).returncode == 0


def up(topology: Topology) -> None:
    """Make the bridge and each host's namespace and link (what exists already is kept)."""
    if not link_exists(BRIDGE):
        _ip("link", "add", BRIDGE, "type", "bridge")
        _ip("addr", "add", f"{GATEWAY}/{PREFIX_LENGTH}", "dev", BRIDGE)
    _ip("link", "set", BRIDGE, "up")
    present = namespaces()
    for host in topology.hosts:
        if host.namespace not in present:
            _ip("netns", "add", host.namespace)
        if not link_exists(host.veth):
            peer = f"ls-{host.name}-n"
            _ip("link", "add", host.veth, "type", "veth", "peer", "name", peer)
            _ip("link", "set", peer, "netns", host.namespace)
            inside = ["-n", host.namespace]
            _ip(*inside, "link", "set", peer, "name", "eth0")
            _ip(*inside, "addr", "add", f"{host.address}/{PREFIX_LENGTH}", "dev", "eth0")
            _ip(*inside, "link", "set", "eth0", "up")
            _ip(*inside, "link", "set", "lo", "up")
            _ip(*inside, "route", "add", "default", "via", GATEWAY)
            _ip("link", "set", host.veth, "master", BRIDGE)
            _ip("link", "set", host.veth, "up")


def down(topology: Topology) -> None:
    """Remove every namespace, link and the bridge `up` made (the namespaces' processes
    must be stopped first)."""
    present = namespaces()
    for host in topology.hosts:
        if host.namespace in present:
            _ip("netns", "del", host.namespace, check=False)
        if link_exists(host.veth):
            _ip("link", "del", host.veth, check=False)
    if link_exists(BRIDGE):
        _ip("link", "del", BRIDGE, check=False)


def set_link(host: Host, state: str) -> None:
    """Cut (`down`) or restore (`up`) a host's link to every other host."""
    _ip("link", "set", host.veth, state)
