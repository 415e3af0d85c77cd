"""What runs where: the database hosts (etcd, Patroni and PostgreSQL on each), the app hosts
(a local HAProxy to the primary, the app and gRPC servers) and the ports every one uses.

On one machine each host is a network namespace with one address on a private /24, bridged
to the root namespace (the edge: firewall, proxy, DNS, the payment sandbox). On real
machines the same addresses are the hosts' own (docs/deployment.md).
"""

from __future__ import annotations

from dataclasses import dataclass

SUBNET = "10.77.0.0/24"
GATEWAY = "10.77.0.1"  # the root namespace's address on the bridge: the edge tiers
BRIDGE = "ls-br0"
PREFIX_LENGTH = 24

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
    name: str  # db1, app1, ...: the namespace is ls-<name>
    address: str
    role: str  # "db" or "app"

    @property
    def namespace(self) -> str:
        return f"ls-{self.name}"

    @property
    def veth(self) -> str:
        """The root side of the host's link (the host side is its eth0)."""
        return f"ls-{self.name}-h"


@dataclass(frozen=True)
class Topology:
    db_hosts: tuple[Host, ...]
    app_hosts: tuple[Host, ...]

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


def topology(app_hosts: int = 2, db_hosts: int = 3) -> Topology:
    """db1.. at 10.77.0.11.., app1.. at 10.77.0.21.. (at most 9 of each)."""
    if not 1 <= app_hosts <= 9 or not 1 <= db_hosts <= 9:
        raise ValueError("between 1 and 9 app hosts and database hosts")
    base = SUBNET.rsplit(".", 1)[0]
    return Topology(
        tuple(Host(f"db{i}", f"{base}.{10 + i}", "db") for i in range(1, db_hosts + 1)),
        tuple(Host(f"app{i}", f"{base}.{20 + i}", "app") for i in range(1, app_hosts + 1)),
    )
