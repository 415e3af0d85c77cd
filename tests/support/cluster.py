"""`lastseat cluster` for tests: up in a folder of its own under var/, down (every process
checked gone by pid, every namespace and link gone) on the way out; and buyers that retry
with the same Idempotency-Key through the firewall while the cluster fails over."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import ssl
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest

from lastseat.client.errors import ApiError
from lastseat.client.http import HttpClient
from lastseat.client.ws import watch
from lastseat.cluster import network
from lastseat.cluster.patroni import leader, patroni_bin, postmaster_pid
from lastseat.cluster.state import ClusterState, Paths, live_processes, read_state
from lastseat.cluster.topology import (
    APP_ROLE,
    DATABASE,
    POSTGRES_PORT,
    Host,
    Topology,
    topology,
)
from lastseat.config import PROJECT_ROOT
from lastseat.stack.ports import free_ports
from lastseat.stack.processes import alive
from lastseat.stack.tls import ca_path
from tests.support.commands import lastseat
from tests.support.interfaces import interfaces_may_change
from tests.support.passengers import passengers_json
from tests.support.servers import server_env

UP_SECONDS = 180.0
RETRYABLE = frozenset({502, 503, 504})
T = TypeVar("T")


def require_a_cluster_host() -> None:
    """The cluster needs root (namespaces), etcd, HAProxy and Patroni's venv. Missing, the
    test fails: `make test` runs as root after scripts/setup, and a skipped test proves
    nothing. (Another cluster may be up: the test's picks a free prefix and /24.)"""
    if os.geteuid() != 0:
        pytest.fail("lastseat cluster needs root (network namespaces)")
    for program in ("etcd", "haproxy", "ip", "setpriv"):
        if shutil.which(program) is None:
            pytest.fail(f"{program} is missing (scripts/setup installs it)")
    if not Path(patroni_bin()).exists():
        pytest.fail("Patroni's venv is missing (scripts/setup makes it)")


def free_prefix_and_network() -> tuple[str, str]:
    """A name prefix and a /24 no namespace, link or address on this machine uses (so a
    test's cluster coexists with `make cluster` and with other tests' clusters)."""
    names, networks = network.in_use()
    rng = random.Random()
    for _ in range(200):
        prefix = f"t{rng.randrange(36**3):03x}-"[:6]
        net = f"10.{rng.randrange(100, 250)}.{rng.randrange(0, 256)}"
        if net not in networks and not any(n.startswith(prefix) for n in names):
            return prefix, net
    raise RuntimeError("no free prefix and /24 found")


@dataclass
class Cluster:
    env: dict[str, str]
    folder: Path
    https_port: int
    shape: Topology

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"  # the site certificate names 127.0.0.1

    @property
    def ca(self) -> Path:
        return ca_path(self.folder / "edge")

    def client(self, token: str | None = None) -> HttpClient:
        """The HTTP API client, through the firewall (TLS to the cluster's own CA)."""
        transport = httpx.AsyncHTTPTransport(
            verify=ssl.create_default_context(cafile=str(self.ca)), retries=0
        )
        return HttpClient(self.url, token=token, timeout=30, transport=transport)

    def state(self) -> ClusterState:
        state = read_state(self.folder)
        assert state is not None
        return state

    def pid(self, name: str) -> int:
        [pid] = [p["pid"] for p in self.state()["processes"] if p["name"] == name]
        return pid

    def primary(self) -> Host | None:
        return leader(self.shape)

    def secrets(self) -> dict[str, str]:
        found: dict[str, str] = json.loads(Paths(self.folder).secrets.read_text())
        return found

    def kill_database_host(self, host: Host) -> None:
        """kill -9 the host's Patroni and its PostgreSQL (the postmaster)."""
        postmaster = postmaster_pid(Paths(self.folder).node(host))
        os.kill(self.pid(f"{host.name}-patroni"), signal.SIGKILL)
        if postmaster is not None:
            os.kill(postmaster, signal.SIGKILL)

    async def connect(self, host: Host) -> Any:
        """asyncpg to the app's database on `host`, as the app's role."""
        return await asyncpg.connect(
            host=host.address,
            port=POSTGRES_PORT,
            user=APP_ROLE,
            password=self.secrets()["app"],
            database=DATABASE,
            timeout=5,
        )


@contextlib.contextmanager
def running_cluster(
    app_hosts: int = 2, flights: int = 2, folder_prefix: str = "test-cluster-"
) -> Iterator[Cluster]:
    """`lastseat cluster up` with edge tiers on free ports, a free name prefix and /24, in
    var/test-cluster-*; then `cluster down --purge`, and a check that nothing it started
    is left."""
    require_a_cluster_host()
    with interfaces_may_change():
        yield from _running_cluster(app_hosts, flights, folder_prefix)


def _running_cluster(app_hosts: int, flights: int, folder_prefix: str) -> Iterator[Cluster]:
    prefix, net = free_prefix_and_network()
    (PROJECT_ROOT / "var").mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=folder_prefix, dir=PROJECT_ROOT / "var"))
    folder.chmod(0o755)  # Patroni (user postgres) and nginx's workers (nobody) reach in
    dns, doh, https, http, proxy, proxy_grpc, grpc_port, sandbox = free_ports(8)
    env = server_env(
        "postgresql+asyncpg://set-by-the-cluster@127.0.0.1/none",
        LASTSEAT_DNS_PORT=str(dns),
        LASTSEAT_DOH_PORT=str(doh),
        LASTSEAT_HTTPS_PORT=str(https),
        LASTSEAT_HTTP_PORT=str(http),
        LASTSEAT_PROXY_PORT=str(proxy),
        LASTSEAT_PROXY_GRPC_PORT=str(proxy_grpc),
        LASTSEAT_GRPC_PORT=str(grpc_port),
        LASTSEAT_SANDBOX_PORT=str(sandbox),
        LASTSEAT_LOG_LEVEL="warning",
        LASTSEAT_DB_CONNECT_TIMEOUT_SECONDS="2",
        # every buyer comes from one address here: the address limits are tested elsewhere
        LASTSEAT_HOLDS_PER_ADDRESS="1000000",
        LASTSEAT_HOLDS_PER_CUSTOMER="1000000",
        LASTSEAT_SIGNUPS_PER_ADDRESS="1000000",
        LASTSEAT_RATE_LIMIT_PER_SECOND="1000",
        LASTSEAT_RATE_LIMIT_BURST="2000",
        LASTSEAT_CLUSTER_PREFIX=prefix,
        LASTSEAT_CLUSTER_NETWORK=net,
    )
    shape = topology(app_hosts, prefix=prefix, network=net)
    cluster = Cluster(env, folder, https, shape)
    argv = ["--folder", str(folder)]
    try:
        up = lastseat(
            env,
            "cluster", "up", *argv, "--app-hosts", str(app_hosts), "--flights", str(flights),
            timeout=UP_SECONDS,
        )  # fmt: skip
        assert up.returncode == 0, up.stdout + up.stderr
        yield cluster
    finally:
        state = read_state(folder)
        started = [p["pid"] for p in state["processes"]] if state else []
        down = lastseat(env, "cluster", "down", *argv, "--purge", timeout=120)
        print(down.stdout)
        left = [pid for pid in started if alive(pid)]
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        namespaces = {n for n in network.namespaces() if n.startswith(prefix)}
        shutil.rmtree(folder, ignore_errors=True)
        assert down.returncode == 0, down.stdout + down.stderr
        assert not left, f"processes outlived `cluster down`: {left}"
        assert not namespaces and not network.link_exists(shape.bridge), namespaces


def still_running(cluster: Cluster) -> list[str]:
    state = cluster.state()
    return [p["name"] for p in live_processes(state)]


@dataclass
class Ledger:
    """What the buyers were told."""

    booked: dict[str, tuple[int, frozenset[str]]] = field(default_factory=dict)
    acked_at: list[float] = field(default_factory=list)  # monotonic, one per 201 booking
    refusals: Counter[str] = field(default_factory=Counter)  # clean 4xx, by problem
    retries: Counter[str] = field(default_factory=Counter)  # what was retried, by problem
    unanswered: int = 0  # gave up: never a final answer


async def retrying(ledger: Ledger, call: Callable[[], Awaitable[T]], seconds: float = 60) -> T:
    """`call` until it answers, retried (it reuses its Idempotency-Key) on a lost connection
    or a 502/503/504, for `seconds`; ApiError for a clean refusal."""
    delay = 0.1
    deadline = time.monotonic() + seconds
    while True:
        try:
            return await call()
        except httpx.TransportError as error:
            ledger.retries[type(error).__name__] += 1
        except ApiError as error:
            if error.status not in RETRYABLE:
                raise
            ledger.retries[f"{error.status} {error.problem}"] += 1
        if time.monotonic() > deadline:
            ledger.unanswered += 1
            raise TimeoutError("no answer in time")
        await asyncio.sleep(delay * random.uniform(0.5, 1.5))
        delay = min(delay * 2, 1.0)


class Buyer:
    """Signs up, then holds one or two seats and books them, again and again, each step
    retried with its own Idempotency-Key until it gets an answer."""

    def __init__(self, n: int, cluster: Cluster, ledger: Ledger, rng: random.Random) -> None:
        self.n = n
        self.cluster = cluster
        self.ledger = ledger
        self.rng = rng
        self.client = cluster.client()

    async def sign_in(self) -> None:
        email, password = f"buyer-{self.n}-{uuid.uuid4().hex[:6]}@example.com", "buyer-password-1"
        await retrying(self.ledger, lambda: self.client.signup(email, password))
        await retrying(self.ledger, lambda: self.client.login(email, password))

    async def shop(self, flights: dict[int, list[str]], until: Callable[[], bool]) -> None:
        while not until():
            flight_id = self.rng.choice(list(flights))
            wanted = self.rng.sample(flights[flight_id], self.rng.choice((1, 2)))
            hold_key, book_key = f"hold-{uuid.uuid4()}", f"book-{uuid.uuid4()}"
            try:
                hold = await retrying(
                    self.ledger, partial(self.client.hold, flight_id, wanted, hold_key)
                )
                book = partial(
                    self.client.book,
                    hold["id"],
                    "tok_ok",
                    None,
                    book_key,
                    passengers=passengers_json(hold["seats"]),
                )
                booking = await retrying(self.ledger, book)
            except ApiError as refusal:
                self.ledger.refusals[f"{refusal.status} {refusal.problem}"] += 1
                continue
            except TimeoutError:
                continue  # (counted as unanswered)
            self.ledger.booked[booking["id"]] = (flight_id, frozenset(booking["seats"]))
            self.ledger.acked_at.append(time.monotonic())

    async def close(self) -> None:
        await self.client.close()


async def available_seats(cluster: Cluster) -> dict[int, list[str]]:
    """Each flight's seats still available, for buyers to pick from."""
    async with cluster.client() as client:
        return {
            f["id"]: [
                s["seat"] for s in (await client.seat_map(f["id"]))["seats"]
                if s["status"] == "available"
            ]
            for f in await client.flights()
        }  # fmt: skip


# The audit's queries, on the primary of the moment.
BOOKINGS_SQL = (
    "SELECT b.id::text AS id, b.status, b.flight_id,"
    " array_agg(s.seat ORDER BY s.seat) FILTER (WHERE s.active) AS seats"
    " FROM bookings b LEFT JOIN booking_seats s ON s.booking_id = b.id"
    " GROUP BY b.id"
)
DOUBLES_SQL = (  # seats with more than one live booking
    "SELECT flight_id, seat, count(*) FROM booking_seats WHERE active"
    " GROUP BY flight_id, seat HAVING count(*) > 1"
)
ASTRAY_SQL = (  # a live booked seat whose seat row disagrees, or a booked seat row without one
    "SELECT s.flight_id, s.seat FROM booking_seats s JOIN seats t"
    " ON t.flight_id = s.flight_id AND t.seat = s.seat"
    " WHERE s.active AND (t.status <> 'booked' OR t.booking_id <> s.booking_id)"
    " UNION ALL"
    " SELECT t.flight_id, t.seat FROM seats t WHERE t.status = 'booked' AND NOT EXISTS"
    " (SELECT 1 FROM booking_seats s WHERE s.active AND s.flight_id = t.flight_id"
    " AND s.seat = t.seat)"
)


class Watcher:
    """A WebSocket watcher of one flight's seat map, through the firewall; after a lost
    connection it resumes from the last event it saw (lastseat.client.ws.watch), and each
    connection starts with a snapshot."""

    def __init__(self, cluster: Cluster, flight_id: int) -> None:
        self.cluster = cluster
        self.flight_id = flight_id
        self.snapshot: int | None = None  # the first snapshot's event id: seen from there
        self.snapshots = 0
        self.seen: list[tuple[int, str, str]] = []  # (event id, seat, status)
        self.upstream = ""  # the app host (address:port) its connection reached last

    @property
    def reconnects(self) -> int:
        return max(self.snapshots - 1, 0)

    async def run(self) -> None:
        async for message in watch(
            self.cluster.url,
            self.flight_id,
            ca=str(self.cluster.ca),
            retry_for=120,
            on_connect=self._connected,
        ):
            if message["type"] == "snapshot":
                self.snapshots += 1
                if self.snapshot is None:
                    self.snapshot = int(message["event_id"])
            elif message["type"] == "seat":
                self.seen.append((int(message["event_id"]), message["seat"], message["status"]))

    def _connected(self, headers: Mapping[str, str]) -> None:
        self.upstream = headers.get("x-upstream", "")

    async def changes(self, conn: Any) -> list[tuple[int, str, str]]:
        """The seat changes of the flight since the first snapshot, as the database (`conn`,
        on the primary) records them: what the watcher must have seen, each once, in order."""
        rows = await conn.fetch(
            "SELECT id, seat, status FROM events WHERE flight_id = $1 AND id > $2 ORDER BY id",
            self.flight_id,
            self.snapshot,
        )
        return [(int(row["id"]), row["seat"], row["status"]) for row in rows]
