"""What runs where: the database hosts (etcd, Patroni and PostgreSQL on each), the app hosts
(a local HAProxy to the primary, the app and gRPC servers) and the ports every one uses.

On one machine each host is a network namespace with one address on a private /24, bridged
to the root namespace (the edge: firewall, proxy, DNS, the payment sandbox). On real
machines the same addresses are the hosts' own (docs/deployment.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "ls-"  # the default start of every namespace's and link's name
NETWORK = "10.77.0"  # the default /24: its first three octets
SUBNET = f"{NETWORK}.0/24"
GATEWAY = f"{NETWORK}.1"  # the root namespace's address on the bridge: the edge tiers
BRIDGE = f"{PREFIX}br0"
PREFIX_LENGTH = 24
PREFIX_MAX = 6  # "<prefix>app9-h" stays within Linux's 15 characters for a link's name

ETCD_CLIENT_PORT = 2379
ETCD_PEER_PORT = 2380
PATRONI_PORT = 8008
POSTGRES_PORT = 5432
HAPROXY_PRIMARY_PORT = 5000  # on each app host's loopback: the current primary
HAPROXY_REPLICAS_PORT = 5001  # on each app host's loopback: any streaming replica
HAPROXY_STATS_PORT = 7000  # on each app host's address: HAProxy's own view, read-only
APP_PORT = 3001
GRPC_PORT = 3051

SCOPE = "lastseat"  # Patroni's cluster name (its keys in etcd are under /lastseat/)
DATABASE = "lastseat"
APP_ROLE = "lastseat"


@dataclass(frozen=True)
class Host:
    name: str  # db1, app1, ...: the namespace is <prefix><name>
    address: str
    role: str  # "db" or "app"
    prefix: str = PREFIX

    @property
    def namespace(self) -> str:
        return f"{self.prefix}{self.name}"

    @property
    def veth(self) -> str:
        """The root side of the host's link (the host side is its eth0)."""
        return f"{self.prefix}{self.name}-h"

    @property
    def peer(self) -> str:
        """The host side of its link before it moves into the namespace as eth0."""
        return f"{self.prefix}{self.name}-n"


@dataclass(frozen=True)
class Topology:
    db_hosts: tuple[Host, ...]
    app_hosts: tuple[Host, ...]
    prefix: str = PREFIX
    network: str = NETWORK  # the /24's first three octets

    @property
    def subnet(self) -> str:
        return f"{self.network}.0/{PREFIX_LENGTH}"

    @property
    def gateway(self) -> str:
        """The root namespace's address on the bridge: the edge tiers."""
        return f"{self.network}.1"

    @property
    def bridge(self) -> str:
        return f"{self.prefix}br0"

    @property
    def hosts(self) -> tuple[Host, ...]:
        return (*self.db_hosts, *self.app_hosts)

    def host(self, name: str) -> Host:
        for host in self.hosts:
            if host.name == name:
                return host
        raise KeyError(name)

    @property
    def app_upstreams(self) -> list[str]:
        return [f"{h.address}:{APP_PORT}" for h in self.app_hosts]

    @property
    def grpc_upstreams(self) -> list[str]:
        return [f"{h.address}:{GRPC_PORT}" for h in self.app_hosts]


def check_prefix(prefix: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9]*-?", prefix) or len(prefix) > PREFIX_MAX:
        raise ValueError(
            f"a prefix is lowercase letters and digits (and a final -), at most {PREFIX_MAX}"
        )
    return prefix


def check_network(network: str) -> str:
    """`network` is a private /24's first three octets: 10.x.y, 172.16-31.y or 192.168.y."""
    parts = network.split(".")
    if len(parts) != 3 or not all(p.isdigit() and int(p) <= 255 for p in parts):
        raise ValueError(f"{network!r}: the /24's first three octets, as 10.77.0")
    first, second = int(parts[0]), int(parts[1])
    if not (first == 10 or (first == 172 and 16 <= second <= 31) or (first, second) == (192, 168)):
        raise ValueError(f"{network}.0/24 is not a private network")
    return network


def topology(
    app_hosts: int = 2, db_hosts: int = 3, prefix: str = PREFIX, network: str = NETWORK
) -> Topology:
    """db1.. at <network>.11.., app1.. at <network>.21.. (at most 9 of each); namespaces
    and links named <prefix><host>, the bridge <prefix>br0."""
    if not 1 <= app_hosts <= 9 or not 1 <= db_hosts <= 9:
        raise ValueError("between 1 and 9 app hosts and database hosts")
    check_prefix(prefix)
    check_network(network)
    return Topology(
        tuple(Host(f"db{i}", f"{network}.{10 + i}", "db", prefix) for i in range(1, db_hosts + 1)),
        tuple(
            Host(f"app{i}", f"{network}.{20 + i}", "app", prefix) for i in range(1, app_hosts + 1)
        ),
        prefix,
        network,
    )
