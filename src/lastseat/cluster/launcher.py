"""`lastseat cluster up / down / status`: start the hosts' processes in order, each waited
for, and stop them again by pid.

Up: the network; etcd on every database host; Patroni (which initialises, starts and
replicates PostgreSQL) on every database host; the app's role, database, migrations and
sample flights on the elected primary; the payment sandbox at the edge; on each app host a
HAProxy, the app server and the gRPC server; then the edge's proxy (balancing across the app
hosts) and its readiness watcher (which takes an unready app host out), the firewall's log
tier, the firewall and DNS. Every process is recorded in <folder>/state.json (name, host,
pid, start time) as soon as it starts; `down` stops them in reverse (and any PostgreSQL a
killed Patroni left behind), then removes the network.

No process is restarted when it dies: Patroni looks after PostgreSQL, and on real hosts
systemd (or the like) restarts what dies (docs/deployment.md).
"""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import subprocess
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg

from lastseat.cluster import configs, network
from lastseat.cluster.patroni import leader, members, patroni_bin, postmaster_pid
from lastseat.cluster.readiness_watch import status_path
from lastseat.cluster.state import (
    DEFAULT_FOLDER,
    ClusterState,
    Paths,
    _write_state,
    cluster_secrets,
    read_state,
    state_topology,
)
from lastseat.cluster.stopping import is_postgres, stop_cluster
from lastseat.cluster.topology import (
    APP_PORT,
    APP_ROLE,
    DATABASE,
    ETCD_CLIENT_PORT,
    GRPC_PORT,
    HAPROXY_STATS_PORT,
    NETWORK,
    POSTGRES_PORT,
    PREFIX,
    Host,
    topology,
)
from lastseat.config import Settings
from lastseat.stack import nginx
from lastseat.stack.ports import port_open, reserve_udp_and_tcp_port
from lastseat.stack.processes import (
    READY_SECONDS,
    alive,
    lastseat_argv,
    started_at,
    still_runs,
    wait_ready,
)
from lastseat.stack.readiness import dns_answers, grpc_serving, http_ok
from lastseat.stack.supervisor import tier_env
from lastseat.stack.tls import certificates_folder, ensure_certificates

APP_HOST_PROCESSES = ("haproxy", "app", "grpc")
BOOTSTRAP_SECONDS = 120.0  # etcd, then Patroni's initdb, election and replicas' base backups


class ClusterConflict(RuntimeError):
    """What `up` would start over belongs to something else: nothing was touched."""


class Launcher:
    def __init__(
        self,
        settings: Settings,
        folder: Path = DEFAULT_FOLDER,
        app_hosts: int = 2,
        db_hosts: int = 3,
        say: Callable[[str], None] = print,
        prefix: str = PREFIX,
        network: str = NETWORK,
    ) -> None:
        self.settings = settings
        self.paths = Paths(folder)
        self.topology = topology(app_hosts, db_hosts, prefix, network)
        self.say = say
        self.state: ClusterState = {
            "launcher": os.getpid(),
            "app_hosts": app_hosts,
            "db_hosts": db_hosts,
            "prefix": prefix,
            "network": network,
            "processes": [],
            "owned": [],
        }
        self.edge = settings.model_copy(update={"stack_dir": self.paths.edge})
        self._postgres = pwd.getpwnam("postgres")

    # -- starting ------------------------------------------------------------------------

    def _spawn(
        self,
        name: str,
        host: str,
        argv: list[str],
        ready: Callable[[], bool] | None,
        env: dict[str, str] | None = None,
        seconds: float = READY_SECONDS,
    ) -> subprocess.Popen[bytes]:
        log = self.paths.logs / f"{name}.log"
        with log.open("ab") as sink:
            process = subprocess.Popen(
                argv,
                env=env if env is not None else dict(os.environ),
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # `up` returns; the processes stay, `down` stops them
            )
        self.state["processes"].append(
            {"name": name, "host": host, "pid": process.pid, "started": started_at(process.pid)}
        )
        _write_state(self.paths, self.state)
        if ready is not None:
            wait_ready(name, process, ready, log, seconds)
            self.say(f"  {name:<18} up (pid {process.pid})")
        return process

    def start(self, flights: int = 50) -> None:
        """Everything, in order; on failure, stop what started and raise."""
        began = time.monotonic()
        self.refuse_to_overlap()
        self.paths.logs.mkdir(parents=True, exist_ok=True)
        _write_state(self.paths, self.state)
        secrets_ = cluster_secrets(self.paths)
        try:
            network.up(self.topology, self._made)
            self.say(f"network: {len(self.topology.hosts)} hosts on {self.topology.bridge}")
            self._start_etcd()
            self._start_patroni(secrets_)
            primary = self._wait_for_primary()
            self.say(f"  primary: {primary.name} ({primary.address})")
            self._prepare_database(primary, secrets_, flights)
            self._start_sandbox()
            for host in self.topology.app_hosts:
                self._start_app_host(host, secrets_)
            self._start_edge()
        except BaseException:
            self.stop()
            raise
        self.say(f"cluster up in {time.monotonic() - began:.1f}s")

    def refuse_to_overlap(self) -> None:
        """Before anything is made: ClusterConflict if the prefix's namespaces or links, or
        the edge's ports, are taken (by another cluster: a start over them would reuse, and
        its cleanup remove, what that cluster runs in)."""
        taken = network.existing(self.topology)
        if taken:
            raise ClusterConflict(
                f"{', '.join(taken)} exist already (another cluster's, or left behind): "
                f"`lastseat cluster down --folder <its folder>` stops that cluster, or pick "
                f"another --prefix and --network"
            )
        busy = [port for port in self.edge_ports() if port_open(port)]
        if busy:
            raise ClusterConflict(
                f"edge port(s) {', '.join(map(str, busy))} taken: is `lastseat up` or another "
                "cluster running? (LASTSEAT_HTTPS_PORT and the like pick others)"
            )

    def edge_ports(self) -> list[int]:
        edge = self.edge
        return [
            edge.proxy_port, edge.proxy_grpc_port, edge.https_port, edge.http_port,
            edge.dns_port, edge.doh_port,
        ]  # fmt: skip

    def _made(self, name: str) -> None:
        self.state["owned"].append(name)
        _write_state(self.paths, self.state)

    def _start_etcd(self) -> None:
        started = []
        for host in self.topology.db_hosts:
            data = self.paths.node(host) / "etcd"
            data.parent.mkdir(parents=True, exist_ok=True)
            argv = network.netns_argv(host, configs.etcd_argv(self.topology, host, data))
            started.append((host, self._spawn(f"{host.name}-etcd", host.name, argv, None)))
        for host, process in started:  # each waits for a quorum of its peers to answer
            url = f"http://{host.address}:{ETCD_CLIENT_PORT}/health"
            wait_ready(f"{host.name}-etcd", process, http_ok(url), self._log(f"{host.name}-etcd"))
            self.say(f"  {host.name}-etcd{'':<11} up (pid {process.pid})")

    def _start_patroni(self, secrets_: dict[str, str]) -> None:
        for host in self.topology.db_hosts:
            self.start_patroni(host, secrets_)

    def start_patroni(self, host: Host, secrets_: dict[str, str]) -> subprocess.Popen[bytes]:
        """Patroni on `host`, as the postgres user (it starts PostgreSQL: on a host whose
        PostgreSQL was killed, it rejoins as a replica, with pg_rewind if it must)."""
        uid, gid = self._postgres.pw_uid, self._postgres.pw_gid
        node = self.paths.node(host)
        (node / "run").mkdir(parents=True, exist_ok=True)
        for path in (node, node / "run"):
            os.chown(path, uid, gid)
        (node / "run").chmod(0o700)
        conf = node / "patroni.yml"
        conf.write_text(
            configs.to_yaml(configs.patroni_config(self.topology, host, node, secrets_))
        )
        os.chown(conf, uid, gid)
        conf.chmod(0o600)
        argv = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--init-groups"]
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(node),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
        }
        argv = network.netns_argv(host, [*argv, patroni_bin(), str(conf)])
        return self._spawn(f"{host.name}-patroni", host.name, argv, None, env)

    @classmethod
    def resume(
        cls, settings: Settings, folder: Path, say: Callable[[str], None] = print
    ) -> Launcher:
        """A launcher for the cluster already up in `folder` (to start one of its processes
        again: it is added to state.json, which `down` stops by)."""
        state = read_state(folder)
        if state is None:
            raise RuntimeError(f"no cluster state in {folder}")
        shape = state_topology(state)
        launcher = cls(
            settings, folder, len(shape.app_hosts), len(shape.db_hosts), say, shape.prefix,
            shape.network,
        )  # fmt: skip
        launcher.state = state
        return launcher

    def restart_patroni(self, name: str) -> int:
        """Start Patroni again on database host `name` whose Patroni is not running (killed),
        after any PostgreSQL it left behind is gone; its pid."""
        host = self.topology.host(name)
        for record in self.state["processes"]:
            if record["name"] == f"{name}-patroni" and still_runs(
                record["pid"], record.get("started")
            ):
                raise RuntimeError(f"{name}'s Patroni runs already (pid {record['pid']})")
        left = postmaster_pid(self.paths.node(host))
        if left is not None and is_postgres(left):
            raise RuntimeError(f"{name}'s PostgreSQL (pid {left}) still runs")
        self.state["processes"] = [
            r for r in self.state["processes"] if r["name"] != f"{name}-patroni"
        ]
        return self.start_patroni(host, cluster_secrets(self.paths)).pid

    def rejoin(self, name: str) -> list[int]:
        """Start again what was killed on host `name`: a database host's Patroni, or an app
        host's HAProxy, app and gRPC servers; their pids (recorded in state.json)."""
        host = self.topology.host(name)
        if host.role == "db":
            return [self.restart_patroni(name)]
        return self.restart_app_host(host)

    def restart_app_host(self, host: Host) -> list[int]:
        """An app host's HAProxy, app and gRPC servers, started again once none of them runs
        (half a host would keep a port the new process needs); each waited for."""
        names = {f"{host.name}-{what}" for what in APP_HOST_PROCESSES}
        mine = [r for r in self.state["processes"] if r["name"] in names]
        for record in mine:
            if still_runs(record["pid"], record.get("started")):
                raise RuntimeError(f"{record['name']} runs already (pid {record['pid']})")
        self.state["processes"] = [r for r in self.state["processes"] if r not in mine]
        self._start_app_host(host, cluster_secrets(self.paths))
        return [r["pid"] for r in self.state["processes"] if r["name"] in names]

    def _wait_for_primary(self) -> Host:
        """A primary, and every database host's PostgreSQL running (replicas streaming)."""
        deadline = time.monotonic() + BOOTSTRAP_SECONDS
        while time.monotonic() < deadline:
            self._check_alive("-patroni")
            primary = leader(self.topology)
            running = [
                m for m in members(self.topology) if m.get("state") in {"running", "streaming"}
            ]
            if primary is not None and len(running) == len(self.topology.db_hosts):
                return primary
            time.sleep(0.5)
        raise RuntimeError(f"no primary with every replica in {BOOTSTRAP_SECONDS:.0f}s")

    def _check_alive(self, suffix: str) -> None:
        for record in self.state["processes"]:
            if record["name"].endswith(suffix) and not alive(record["pid"]):
                log = self._log(record["name"])
                raise RuntimeError(f"{record['name']} exited; see {log}")

    def _prepare_database(self, primary: Host, secrets_: dict[str, str], flights: int) -> None:
        """The app's role and database, the migrations and sample flights if none."""
        asyncio.run(_create_role_and_database(primary, secrets_))
        url = (
            f"postgresql+asyncpg://{APP_ROLE}:{secrets_['app']}@{primary.address}:"
            f"{POSTGRES_PORT}/{DATABASE}"
        )
        env = {**os.environ, "LASTSEAT_DATABASE_URL": url}
        for args in (("db", "migrate"), ("db", "seed", "--flights", str(flights))):
            if args[1] == "seed" and (flights == 0 or asyncio.run(_has_flights(primary, secrets_))):
                continue
            done = subprocess.run(
                lastseat_argv(*args), env=env, capture_output=True, text=True, check=False
            )
            if done.returncode != 0:
                raise RuntimeError(f"lastseat {' '.join(args)} failed: {done.stderr[-2000:]}")
        self.say(f"  database {DATABASE}: migrated, with sample flights")

    def _app_env(self, secrets_: dict[str, str]) -> dict[str, str]:
        gateway = self.topology.gateway
        return {
            **os.environ,
            **tier_env(self.settings),
            **configs.app_database_env(secrets_),
            "LASTSEAT_PAYMENTS_URL": f"http://{gateway}:{self.settings.sandbox_port}",
            # The app and gRPC servers believe X-Forwarded-For (the firewall's client
            # address) only from the proxy, which reaches the app hosts from the edge's
            # address: per-address limits count clients, not the edge.
            "LASTSEAT_TRUSTED_PROXIES": json.dumps([gateway]),
        }

    def _start_sandbox(self) -> None:
        port, gateway = self.settings.sandbox_port, self.topology.gateway
        argv = lastseat_argv("payments-sandbox", "--host", gateway, "--port", str(port))
        env = {**os.environ, "LASTSEAT_STACK_DIR": str(self.paths.edge)}
        self._spawn(
            "payments-sandbox", "edge", argv, http_ok(f"http://{gateway}:{port}/healthz"), env
        )

    def _start_app_host(self, host: Host, secrets_: dict[str, str]) -> None:
        conf = self.paths.node(host) / "haproxy.cfg"
        conf.parent.mkdir(parents=True, exist_ok=True)
        conf.write_text(configs.haproxy_config(self.topology, host))
        haproxy = network.netns_argv(host, ["haproxy", "-db", "-f", str(conf)])
        stats = http_ok(f"http://{host.address}:{HAPROXY_STATS_PORT}/")
        self._spawn(f"{host.name}-haproxy", host.name, haproxy, stats)
        env = self._app_env(secrets_)
        serve = lastseat_argv("serve", "--host", host.address, "--port", str(APP_PORT))
        grpc = lastseat_argv("serve-grpc", "--host", host.address, "--port", str(GRPC_PORT))
        app = self._spawn(f"{host.name}-app", host.name, network.netns_argv(host, serve), None, env)
        grpc_process = self._spawn(
            f"{host.name}-grpc", host.name, network.netns_argv(host, grpc), None, env
        )
        wait_ready(f"{host.name}-app", app, http_ok(f"http://{host.address}:{APP_PORT}/readyz"),
              self._log(f"{host.name}-app"))  # fmt: skip
        self.say(f"  {host.name}-app{'':<12} up (pid {app.pid})")
        target = f"{host.address}:{GRPC_PORT}"
        wait_ready(
            f"{host.name}-grpc", grpc_process, grpc_serving(target), self._log(f"{host.name}-grpc")
        )
        self.say(f"  {host.name}-grpc{'':<11} up (pid {grpc_process.pid})")

    def _start_edge(self) -> None:
        """The root namespace's tiers, as `lastseat up` runs them, balancing over the app
        hosts instead of loopback servers, and the watcher that takes an unready one out."""
        missing = nginx.missing_packages()
        if missing:
            raise RuntimeError("missing Debian packages: " + " ".join(missing))
        edge = self.edge
        certs = ensure_certificates(certificates_folder(edge.stack_dir), edge.site_domain)
        for port in (edge.proxy_port, edge.https_port, edge.dns_port):
            if port_open(port):
                raise RuntimeError(f"port {port} is taken: is `lastseat up` running?")
        proxy = nginx.write_proxy(
            edge, app_servers=self.topology.app_upstreams, grpc_servers=self.topology.grpc_upstreams
        )
        ready = http_ok(f"http://127.0.0.1:{edge.proxy_port}/readyz")
        self._spawn("proxy", "edge", nginx.nginx_command(proxy), ready)
        self._start_readiness_watch()
        waf_log_port, held = reserve_udp_and_tcp_port()
        folder = str(nginx.firewall_dir(edge))
        for sock in held:
            sock.close()
        argv = lastseat_argv("stack-waf-log", "--port", str(waf_log_port), "--folder", folder)
        self._spawn("waf-log", "edge", argv, partial(port_open, waf_log_port))
        firewall = nginx.write_firewall(edge, certs, waf_log_port)
        https = f"https://{edge.site_address}:{edge.https_port}"
        ready = http_ok(f"{https}/readyz", verify=str(certs.ca_cert))
        env = {**os.environ, **nginx.firewall_environment()}
        self._spawn("firewall", "edge", nginx.nginx_command(firewall), ready, env)
        env = {**os.environ, **tier_env(edge), "LASTSEAT_STACK_DIR": str(edge.stack_dir)}
        self._spawn("dns", "edge", lastseat_argv("stack-dns"), dns_answers(edge), env)

    def _start_readiness_watch(self) -> None:
        """The watcher that takes an unready app host out of the proxy's balancing
        (cluster/readiness_watch.py); ready once it has written its first status."""
        status = status_path(self.paths.folder)
        status.unlink(missing_ok=True)
        argv = lastseat_argv("cluster", "watch-readiness", "--folder", str(self.paths.folder))
        self._spawn("readiness-watch", "edge", argv, status.exists)

    def _log(self, name: str) -> Path:
        return self.paths.logs / f"{name}.log"

    # -- stopping ------------------------------------------------------------------------

    def stop(self) -> None:
        stop_cluster(self.paths.folder, self.topology, self.state, self.say)


async def _superuser(primary: Host, secrets_: dict[str, str], database: str) -> Any:
    return await asyncpg.connect(
        host=primary.address,
        port=POSTGRES_PORT,
        user="postgres",
        password=secrets_["superuser"],
        database=database,
        timeout=5,
    )


async def _create_role_and_database(primary: Host, secrets_: dict[str, str]) -> None:
    conn = await _superuser(primary, secrets_, "postgres")
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", APP_ROLE):
            password = secrets_["app"].replace("'", "''")
            await conn.execute(f"CREATE ROLE {APP_ROLE} LOGIN PASSWORD '{password}'")
        # pg_stat_wal_receiver shows a standby's status and timeline only to this role's
        # members: the seat map's replica reads need both (adapters/db/replica.py).
        await conn.execute(f"GRANT pg_read_all_stats TO {APP_ROLE}")
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE):
            await conn.execute(f"CREATE DATABASE {DATABASE} OWNER {APP_ROLE}")
    finally:
        await conn.close()


async def _has_flights(primary: Host, secrets_: dict[str, str]) -> bool:
    conn = await _superuser(primary, secrets_, DATABASE)
    try:
        return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM flights)"))
    finally:
        await conn.close()
