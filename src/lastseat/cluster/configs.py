"""The configuration every database and app host runs with, generated from the topology:
Patroni's YAML per database host, etcd's command line, HAProxy's config per app host.
`lastseat cluster config` prints them (docs/deployment.md shows that output)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lastseat.cluster.topology import (
    APP_ROLE,
    DATABASE,
    ETCD_CLIENT_PORT,
    ETCD_PEER_PORT,
    HAPROXY_PRIMARY_PORT,
    HAPROXY_REPLICAS_PORT,
    HAPROXY_STATS_PORT,
    PATRONI_PORT,
    POSTGRES_PORT,
    SCOPE,
    Host,
    Topology,
)

POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
MASK = "<secret>"

# Failover timing. Patroni's leader key lives for TTL seconds after the primary's Patroni
# last renewed it (20 s is Patroni's minimum): a primary whose Patroni dies is replaced
# within about TTL + LOOP_WAIT. LOOP_WAIT + 2 * RETRY_TIMEOUT must stay within TTL.
TTL = 20
LOOP_WAIT = 2
RETRY_TIMEOUT = 5
# A primary whose Patroni cannot renew the leader key (cut from etcd's majority) demotes
# itself within about LOOP_WAIT + RETRY_TIMEOUT, with a fast shutdown. That shutdown waits
# for each walsender to hand the shutdown checkpoint to its standby, which a partitioned
# primary cannot reach: PostgreSQL gives up on a standby only WAL_SENDER_TIMEOUT after its
# last reply (60 s by default: the old primary went on calling itself primary 43 s after a
# new one was elected). 10 s keeps detection + shutdown within TTL, so the old primary is
# down before the leader key expires and another is promoted; a live standby answers the
# walsender's keepalive (sent at half the timeout) long before.
WAL_SENDER_TIMEOUT = "10s"
# HAProxy asks each Patroni this often whether it is the primary; a server fails after
# FALL failed checks, and every session to it is cut at once (on-marked-down).
CHECK_INTERVAL_MS = 1000
FALL = 2
# The replicas port routes only to a running replica that Patroni reckons within this much
# WAL of the leader (as of the leader's last report to etcd: coarse). The app enforces its
# own, exact staleness bound on every read (adapters/db/replica.py); this keeps a replica
# that is far behind (rejoining, or rebuilding) from being tried at all.
REPLICA_MAX_LAG = "16MB"
# And only to one that streams: Patroni 4.1's /replica says running and within the lag,
# which a demoted old primary following nobody (not yet rewound) also is; its /readiness
# (200 on the leader too, hence both) asks pg_stat_wal_receiver for 'streaming'.
REPLICA_CHECKS = (f"/replica?lag={REPLICA_MAX_LAG}", f"/readiness?lag={REPLICA_MAX_LAG}")


def secrets_placeholder() -> dict[str, str]:
    return {name: MASK for name in ("superuser", "replication", "rewind", "app")}


def etcd_argv(topology: Topology, host: Host, data_dir: Path) -> list[str]:
    """etcd on a database host: clients on its address and loopback, peers on its address."""
    peers = ",".join(f"{h.name}=http://{h.address}:{ETCD_PEER_PORT}" for h in topology.db_hosts)
    return [
        "etcd",
        f"--name={host.name}",
        f"--data-dir={data_dir}",
        f"--listen-client-urls=http://{host.address}:{ETCD_CLIENT_PORT},"
        f"http://127.0.0.1:{ETCD_CLIENT_PORT}",
        f"--advertise-client-urls=http://{host.address}:{ETCD_CLIENT_PORT}",
        f"--listen-peer-urls=http://{host.address}:{ETCD_PEER_PORT}",
        f"--initial-advertise-peer-urls=http://{host.address}:{ETCD_PEER_PORT}",
        f"--initial-cluster={peers}",
        "--initial-cluster-state=new",
        f"--initial-cluster-token={SCOPE}-etcd",
        # A LAN: heartbeats every 100 ms, a new etcd leader after 1 s of silence.
        "--heartbeat-interval=100",
        "--election-timeout=1000",
        "--auto-compaction-mode=periodic",
        "--auto-compaction-retention=1h",
        "--enable-v2=false",
        "--logger=zap",
        "--log-level=warn",
    ]


def patroni_config(
    topology: Topology, host: Host, node_dir: Path, secrets: dict[str, str]
) -> dict[str, Any]:
    """Patroni's configuration for database host `host`, its files under `node_dir`."""
    return {
        "scope": SCOPE,
        "namespace": "/service/",
        "name": host.name,
        "log": {"level": "INFO"},
        "restapi": {
            "listen": f"{host.address}:{PATRONI_PORT}",
            "connect_address": f"{host.address}:{PATRONI_PORT}",
        },
        "etcd3": {"hosts": [f"{h.address}:{ETCD_CLIENT_PORT}" for h in topology.db_hosts]},
        "bootstrap": {
            "dcs": {
                "ttl": TTL,
                "loop_wait": LOOP_WAIT,
                "retry_timeout": RETRY_TIMEOUT,
                "maximum_lag_on_failover": 1048576,
                # A commit waits for any one standby (of two): one slow or cut standby
                # stalls nothing, and the new primary always has every acknowledged commit.
                "synchronous_mode": "quorum",
                "synchronous_node_count": 1,
                "postgresql": {
                    "use_pg_rewind": True,
                    "use_slots": True,
                    "parameters": {
                        "wal_level": "replica",
                        "hot_standby": "on",
                        "wal_log_hints": "on",
                        "max_connections": 200,
                        "max_wal_senders": 10,
                        "max_replication_slots": 10,
                        "wal_keep_size": "256MB",
                        "shared_buffers": "64MB",
                        "password_encryption": "scram-sha-256",
                        "wal_sender_timeout": WAL_SENDER_TIMEOUT,
                    },
                },
            },
            "initdb": [{"encoding": "UTF8"}, {"locale": "C.UTF-8"}, "data-checksums"],
        },
        "postgresql": {
            "listen": f"{host.address}:{POSTGRES_PORT}",
            "connect_address": f"{host.address}:{POSTGRES_PORT}",
            "data_dir": str(node_dir / "data"),
            "bin_dir": str(POSTGRES_BIN),
            "pgpass": str(node_dir / "pgpass"),
            "use_unix_socket": True,
            "authentication": {
                "superuser": {"username": "postgres", "password": secrets["superuser"]},
                "replication": {"username": "replicator", "password": secrets["replication"]},
                "rewind": {"username": "rewinder", "password": secrets["rewind"]},
            },
            "parameters": {"unix_socket_directories": str(node_dir / "run")},
            "pg_hba": [
                "local all all peer",
                f"host replication replicator {topology.subnet} scram-sha-256",
                f"host all all {topology.subnet} scram-sha-256",
            ],
        },
        "tags": {"nofailover": False, "noloadbalance": False, "clonefrom": False},
    }


def haproxy_config(topology: Topology, host: Host) -> str:
    """An app host's HAProxy: 127.0.0.1:5000 is whichever database host's Patroni says it
    is the primary; 5001 any running replica not far behind (the seat map's reads).
    Sessions to a server that stops being the primary are cut at once, so the app's pool
    reconnects to the new one."""
    servers = "\n".join(
        f"    server {h.name} {h.address}:{POSTGRES_PORT} check port {PATRONI_PORT}"
        for h in topology.db_hosts
    )
    replica_checks = "".join(
        f"    http-check connect\n    http-check send meth GET uri {uri}\n"
        "    http-check expect status 200\n"
        for uri in REPLICA_CHECKS
    )
    checks = (
        f"inter {CHECK_INTERVAL_MS}ms fastinter 500ms fall {FALL} rise 1"
        " on-marked-down shutdown-sessions"
    )
    return f"""# {host.name}'s way to PostgreSQL (generated by `lastseat cluster up`).
global
    maxconn 2000

defaults
    mode tcp
    timeout connect 2s
    timeout client 30m
    timeout server 30m
    timeout check 1s

listen primary
    bind 127.0.0.1:{HAPROXY_PRIMARY_PORT}
    option httpchk
    http-check send meth GET uri /primary
    http-check expect status 200
    default-server {checks}
{servers}

listen replicas
    bind 127.0.0.1:{HAPROXY_REPLICAS_PORT}
    balance roundrobin
    option httpchk
{replica_checks}    default-server {checks}
{servers}

listen stats
    bind {host.address}:{HAPROXY_STATS_PORT}
    mode http
    stats enable
    stats uri /
    stats refresh 5s
"""


def app_database_env(secrets: dict[str, str]) -> dict[str, str]:
    """What an app host's servers connect to, through the local HAProxy: the primary for
    everything, and a replica the seat map alone may be read from (within the staleness
    bound, LASTSEAT_REPLICA_MAX_STALENESS_SECONDS; else from the primary)."""
    return {
        "LASTSEAT_DATABASE_URL": _app_url(secrets, HAPROXY_PRIMARY_PORT),
        "LASTSEAT_REPLICA_DATABASE_URL": _app_url(secrets, HAPROXY_REPLICAS_PORT),
    }


def _app_url(secrets: dict[str, str], port: int) -> str:
    return f"postgresql+asyncpg://{APP_ROLE}:{secrets['app']}@127.0.0.1:{port}/{DATABASE}"


def to_yaml(value: Any, indent: int = 0) -> str:
    """A small YAML writer for the configs above (dicts, lists, scalars): block style, every
    string quoted as JSON (which YAML reads as is)."""
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return pad + "{}\n"
        lines = []
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}{key}:\n{to_yaml(item, indent + 1)}")
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}\n")
        return "".join(lines)
    if isinstance(value, list):
        lines = []
        for item in value:
            if isinstance(item, dict) and item:
                inner = to_yaml(item, indent + 1)
                lines.append(f"{pad}- {inner.lstrip()}")
            else:
                lines.append(f"{pad}- {_scalar(item)}\n")
        return "".join(lines)
    return pad + _scalar(value) + "\n"


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value)
    return json.dumps(str(value))
