"""The hosts' network on one machine: a bridge in the root namespace (the edge's address
on it), one network namespace per host with a veth whose far end is the host's eth0.

Only names starting with the topology's prefix (`ls-` by default) and addresses in its own
/24 are made or removed; two clusters with different prefixes and /24s coexist.
Interfaces appearing and vanishing disturb some programs (Chromium aborts): this runs only
on `cluster up` and `cluster down`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable

from lastseat.cluster.topology import PREFIX_LENGTH, Host, Topology


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


def existing(topology: Topology) -> list[str]:
    """The topology's namespaces, links and bridge already on this machine (another
    cluster's, or one's left behind): `up` refuses to start over any of them."""
    present = namespaces()
    found = [h.namespace for h in topology.hosts if h.namespace in present]
    links = [h.veth for h in topology.hosts] + [topology.bridge]
    return found + [name for name in links if link_exists(name)]


def occupants(names: list[str]) -> list[int]:
    """Pids of processes inside these namespaces: a live cluster's (whoever's state)."""
    pids: list[int] = []
    for name in names:
        listed = _ip("netns", "pids", name, check=False).stdout
        pids += [int(word) for word in listed.split() if word.isdigit()]
    return pids


def up(topology: Topology, made: Callable[[str], None]) -> None:
    """Make the bridge and each host's namespace and link, none of which may exist yet
    (existing() is checked first); `made` is told each name as soon as it exists, so a
    failed start removes only what it made."""
    bridge = topology.bridge
    _ip("link", "add", bridge, "type", "bridge")
    made(bridge)
    _ip("addr", "add", f"{topology.gateway}/{PREFIX_LENGTH}", "dev", bridge)
    _ip("link", "set", bridge, "up")
    for host in topology.hosts:
        _ip("netns", "add", host.namespace)
        made(host.namespace)
        peer = host.peer
        _ip("link", "add", host.veth, "type", "veth", "peer", "name", peer)
        made(host.veth)
        _ip("link", "set", peer, "netns", host.namespace)
        inside = ["-n", host.namespace]
        _ip(*inside, "link", "set", peer, "name", "eth0")
        _ip(*inside, "addr", "add", f"{host.address}/{PREFIX_LENGTH}", "dev", "eth0")
        _ip(*inside, "link", "set", "eth0", "up")
        _ip(*inside, "link", "set", "lo", "up")
        _ip(*inside, "route", "add", "default", "via", topology.gateway)
        _ip("link", "set", host.veth, "master", bridge)
        _ip("link", "set", host.veth, "up")


def down(topology: Topology, owned: list[str] | None = None) -> None:
    """Remove the namespaces, links and bridge `up` made (`owned`: those of them a state
    file records; None: all of the topology's). The namespaces' processes must be stopped
    first."""
    keep = set(owned) if owned is not None else None
    present = namespaces()
    for host in topology.hosts:
        if host.namespace in present and (keep is None or host.namespace in keep):
            _ip("netns", "del", host.namespace, check=False)
        if (keep is None or host.veth in keep) and link_exists(host.veth):
            _ip("link", "del", host.veth, check=False)
    if (keep is None or topology.bridge in keep) and link_exists(topology.bridge):
        _ip("link", "del", topology.bridge, check=False)


def set_link(host: Host, state: str) -> None:
    """Cut (`down`) or restore (`up`) a host's link to every other host."""
    _ip("link", "set", host.veth, state)


def blackhole(host: Host, peers: list[Host], on: bool) -> None:
    """Inside `host`, drop (or stop dropping) what it sends to `peers`: with the same
    routes in the peers, a partial partition (others still reach `host`)."""
    for peer in peers:
        verb = "add" if on else "del"
        _ip("-n", host.namespace, "route", verb, "blackhole", f"{peer.address}/32", check=on)


def in_use() -> tuple[set[str], set[str]]:
    """The names (namespaces and links) and the /24s (first three octets of any IPv4
    address) present on this machine: a new cluster picks a prefix and /24 not among them."""
    names = namespaces()
    for line in _ip("-br", "link", check=False).stdout.splitlines():
        if line.strip():
            names.add(line.split()[0].split("@")[0])
    networks = set()
    for line in _ip("-br", "-4", "addr", check=False).stdout.splitlines():
        for word in line.split()[2:]:
            networks.add(word.split("/")[0].rsplit(".", 1)[0])
    return names, networks
