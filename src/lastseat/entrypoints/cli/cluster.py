"""`lastseat cluster up / down / status / config`: app hosts and a highly available
PostgreSQL (etcd, Patroni, HAProxy), with network namespaces standing in for hosts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lastseat.cluster import configs
from lastseat.cluster import network as cluster_network
from lastseat.cluster.launcher import Launcher
from lastseat.cluster.patroni import members
from lastseat.cluster.readiness_watch import ReadinessWatch, read_status
from lastseat.cluster.state import DEFAULT_FOLDER, Paths, live_processes, read_state, state_topology
from lastseat.cluster.stopping import stop_cluster
from lastseat.cluster.topology import NETWORK, PREFIX, check_network, check_prefix, topology
from lastseat.entrypoints.cli.groups import command_group
from lastseat.entrypoints.cli.running import console
from lastseat.entrypoints.cli.servers import refuse_development_secrets
from lastseat.entrypoints.cli.starting import first_start_secrets
from lastseat.entrypoints.cli.wording import listed
from lastseat.stack.processes import still_runs

cluster_app = command_group("App hosts and a highly available PostgreSQL, as namespaces.")

Folder = Annotated[
    Path, typer.Option(help="where the cluster's configs, data, logs and state.json are")
]
AppHosts = Annotated[int, typer.Option(min=1, max=9, help="app hosts")]
DbHosts = Annotated[int, typer.Option(min=1, max=9, help="database hosts")]


def _prefix(value: str) -> str:
    try:
        return check_prefix(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _network(value: str) -> str:
    try:
        return check_network(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


Prefix = Annotated[
    str,
    typer.Option(
        envvar="LASTSEAT_CLUSTER_PREFIX",
        callback=_prefix,
        help="start of the namespaces' and links' names (the bridge is <prefix>br0)",
    ),
]
Network = Annotated[
    str,
    typer.Option(
        envvar="LASTSEAT_CLUSTER_NETWORK",
        callback=_network,
        help="the private /24 the hosts are on, as its first three octets",
    ),
]


@cluster_app.command("up")
def up(
    folder: Folder = DEFAULT_FOLDER,
    app_hosts: AppHosts = 2,
    db_hosts: DbHosts = 3,
    flights: Annotated[int, typer.Option(metavar="N", help="sample flights if none")] = 50,
    prefix: Prefix = PREFIX,
    network: Network = NETWORK,
) -> None:
    """Start the cluster and return once every tier answers (`cluster down` stops it)."""
    state = read_state(folder)
    if state is not None and live_processes(state):
        console.print(f"[red]a cluster is up already[/red] ({Paths(folder).state})")
        raise typer.Exit(1)
    settings = first_start_secrets()
    refuse_development_secrets(settings, tls=True)
    launcher = Launcher(settings, folder, app_hosts, db_hosts, console.print, prefix, network)
    try:
        launcher.start(flights)
    except RuntimeError as exc:
        console.print(f"[red]could not start the cluster[/red]: {exc}")
        raise typer.Exit(1) from None
    site = f"https://{settings.site_domain}:{settings.https_port}"
    console.print(f"lastseat cluster is up: {site}/api/v1/flights")


@cluster_app.command("down")
def down(
    folder: Folder = DEFAULT_FOLDER,
    purge: Annotated[bool, typer.Option(help="also delete the data, configs and logs")] = False,
    force: Annotated[
        bool,
        typer.Option(
            help="with no state file in --folder, remove the namespaces, links and bridge of "
            "--prefix left behind (refused while any process runs in them)"
        ),
    ] = False,
    prefix: Prefix = PREFIX,
    network: Network = NETWORK,
) -> None:
    """Stop every process of the cluster by pid and remove the namespaces and bridge it
    made. With no state file it refuses: --force removes those of --prefix, if nothing
    runs in them (a live cluster is stopped from its own --folder)."""
    state = read_state(folder)
    if state is None:
        # every host a cluster of this prefix may have (at most 9 of each)
        shape = topology(9, 9, prefix=prefix, network=network)
        if not force:
            console.print(
                f"[red]no cluster state in {folder}[/red]: nothing stopped. A cluster is "
                "stopped from its own --folder; `--force` removes a left-behind network of "
                f"--prefix {prefix}"
            )
            raise typer.Exit(1)
        left = cluster_network.existing(shape)
        running = cluster_network.occupants(
            [h.namespace for h in shape.hosts if h.namespace in left]
        )
        if running:
            console.print(
                f"[red]processes run in {', '.join(left)}[/red] (pids "
                f"{', '.join(map(str, running))}): a live cluster, stopped from its own "
                "--folder; nothing removed"
            )
            raise typer.Exit(1)
    else:
        shape = state_topology(state)
    stop_cluster(folder, shape, state, console.print)
    if purge:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    console.print("stopped" if state else f"no cluster state; removed {prefix}'s leftover network")


@cluster_app.command("status")
def status(folder: Folder = DEFAULT_FOLDER) -> None:
    """Each process (up or down, pid) and Patroni's view: who is primary, replicas' lag."""
    state = read_state(folder)
    if state is None:
        console.print("no cluster is up")
        raise typer.Exit(1)
    table = Table("process", "host", "state", "pid")
    down_count = 0
    for record in state["processes"]:
        running = still_runs(record["pid"], record.get("started"))
        down_count += not running
        table.add_row(
            record["name"], record["host"], "up" if running else "[red]down[/red]",
            str(record["pid"]),
        )  # fmt: skip
    console.print(table)
    database = Table("member", "host", "role", "state", "timeline", "lag (bytes)")
    for member in members(state_topology(state)):
        database.add_row(
            str(member.get("name")), str(member.get("host")), str(member.get("role")),
            str(member.get("state")), str(member.get("timeline", "")), str(member.get("lag", "")),
        )  # fmt: skip
    console.print(database)
    console.print(_balancing_table(folder))
    if down_count:
        raise typer.Exit(1)


def _balancing_table(folder: Path) -> Table:
    """The readiness watcher's last view: each app host ready or not, balanced or not."""
    table = Table("app host", "ready", "balanced")
    seen = read_status(folder)
    if seen is None:
        table.add_row("(no readiness watcher status)", "", "")
        return table
    ready = seen.get("ready")
    out = seen.get("taken_out")
    assert isinstance(ready, dict) and isinstance(out, list)
    for name, is_ready in ready.items():
        table.add_row(
            name, "yes" if is_ready else "[red]no[/red]",
            "[red]taken out[/red]" if name in out else "yes",
        )  # fmt: skip
    return table


@cluster_app.command("watch-readiness", hidden=True)
def watch_readiness(folder: Folder = DEFAULT_FOLDER) -> None:
    """The edge's readiness watcher, which `cluster up` starts (cluster/readiness_watch.py)."""
    import asyncio

    from lastseat.config import get_settings

    def say(line: str) -> None:
        print(f"{datetime.now(UTC).isoformat(timespec='seconds')} {line}", flush=True)

    asyncio.run(ReadinessWatch(folder, get_settings(), say).run())


@cluster_app.command("rejoin")
def rejoin(
    host: Annotated[str, typer.Argument(help="the host (db1.., app1..)")],
    folder: Folder = DEFAULT_FOLDER,
) -> None:
    """Start again what was killed on a host. A database host: its Patroni, which rejoins as
    a replica (pg_rewind if its timeline diverged). An app host: its HAProxy, app and gRPC
    servers, and the edge balances onto it again. `cluster status` shows them."""
    from lastseat.config import get_settings

    try:
        pids = Launcher.resume(get_settings(), folder, console.print).rejoin(host)
    except (RuntimeError, KeyError) as exc:
        console.print(f"[red]could not restart {host}[/red]: {exc}")
        raise typer.Exit(1) from None
    console.print(f"{host} rejoined ({listed(pids, 'pid')})")


@cluster_app.command("config")
def config(
    what: Annotated[str, typer.Argument(help="patroni, haproxy, etcd or app-env")] = "patroni",
    host: Annotated[str, typer.Option(help="the host it is for (db1.., app1..)")] = "",
    folder: Folder = DEFAULT_FOLDER,
    app_hosts: AppHosts = 2,
    db_hosts: DbHosts = 3,
    network: Network = NETWORK,
) -> None:
    """Print a generated configuration, as `cluster up` writes it (passwords masked)."""
    shape = topology(app_hosts, db_hosts, network=network)
    paths = Paths(folder)
    if what == "patroni":
        node = shape.host(host or "db1")
        conf = configs.patroni_config(shape, node, paths.node(node), configs.secrets_placeholder())
        typer.echo(configs.to_yaml(conf), nl=False)
    elif what == "haproxy":
        typer.echo(configs.haproxy_config(shape, shape.host(host or "app1")), nl=False)
    elif what == "etcd":
        node = shape.host(host or "db1")
        typer.echo(" \\\n  ".join(configs.etcd_argv(shape, node, paths.node(node) / "etcd")))
    elif what == "app-env":
        env = configs.app_database_env(configs.secrets_placeholder())
        typer.echo("".join(f"{name}={value}\n" for name, value in env.items()), nl=False)
    else:
        console.print("one of: patroni, haproxy, etcd, app-env")
        raise typer.Exit(2)
