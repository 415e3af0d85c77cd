"""`lastseat cluster`: a booking through firewall, proxy, an app host and the primary; then
the primary's PostgreSQL and Patroni killed (-9) under a stream of retrying buyers, and
nothing acknowledged lost, no seat sold twice, no buyer left without an answer, and a
WebSocket watcher given every seat change exactly once across the failover."""

from __future__ import annotations

import asyncio
import itertools
import random
import shutil
import ssl
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from lastseat.adapters.db.repositories import postgres
from lastseat.client.errors import ApiError
from lastseat.client.grpc import GrpcClient
from lastseat.client.http import HttpClient
from lastseat.cluster import network
from lastseat.cluster.topology import APP_PORT, Host
from tests.support.cluster import (
    ASTRAY_SQL,
    BOOKINGS_SQL,
    DOUBLES_SQL,
    Buyer,
    Cluster,
    Ledger,
    Watcher,
    available_seats,
    free_prefix_and_network,
    running_cluster,
)
from tests.support.commands import lastseat
from tests.support.passengers import passengers_json
from tests.support.waiting import eventually

BUYERS = 6
BEFORE_KILL = 8  # bookings acknowledged before the kill
AFTER_FAILOVER = 8  # and after the new primary takes over
FAILOVER_SECONDS = 60.0  # bound on waiting for the new primary's first bookings
HTTP_CLIENT_ADDRESS = "127.0.0.7"  # a loopback address of its own, unlike the gRPC client's


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with running_cluster(app_hosts=2, flights=2) as up:
        yield up


async def test_a_booking_goes_through_every_tier_to_the_primary(cluster: Cluster) -> None:
    primary = cluster.primary()
    assert primary is not None
    async with cluster.client() as client:
        await client.signup("first@example.com", "first-password-1")
        await client.login("first@example.com", "first-password-1")
        [flight, *_] = await client.flights()
        seats = await client.seat_map(flight["id"])
        seat = next(s["seat"] for s in seats["seats"] if s["status"] == "available")
        hold = await client.hold(flight["id"], [seat])
        booking = await client.book(hold["id"], "tok_ok", passengers=passengers_json([seat]))
    assert booking["seats"] == [seat]
    # the proxy balanced the API over the app hosts, not loopback servers
    async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=cluster.ca)) as plain:
        upstreams = {
            (await plain.get(cluster.url + "/api/v1/flights")).headers["x-upstream"]
            for _ in range(4)
        }
    assert upstreams == {f"{h.address}:{APP_PORT}" for h in cluster.shape.app_hosts}
    conn = await cluster.connect(primary)
    try:
        status = await conn.fetchval(
            "SELECT status FROM bookings WHERE id::text = $1", booking["id"]
        )
    finally:
        await conn.close()
    assert status == "confirmed"


@pytest.mark.runs_after("tests/cluster/test_cluster.py::test_a_booking_goes")
async def test_app_hosts_serve_seat_maps_from_a_replica(cluster: Cluster) -> None:
    """Each app host reads seat maps from a streaming replica (HAProxy's 5001), and what
    it serves from there shows a booking once the replica has it."""
    pending = set(cluster.shape.app_hosts)
    deadline = time.monotonic() + 60
    async with cluster.client() as client, httpx.AsyncClient(timeout=10) as plain:
        await client.signup("replica@example.com", "replica-password-1")
        await client.login("replica@example.com", "replica-password-1")
        [flight, *_] = await client.flights()
        seats = await client.seat_map(flight["id"])
        seat, spare = [s["seat"] for s in seats["seats"] if s["status"] == "available"][:2]
        hold = await client.hold(flight["id"], [seat])
        await client.book(hold["id"], "tok_ok", passengers=passengers_json([seat]))
        while pending:
            assert time.monotonic() < deadline, f"no seat map from a replica on {pending}"
            # a change drops the app hosts' cached maps: their next read is a database's
            await client.release((await client.hold(flight["id"], [spare]))["id"])
            for host in sorted(pending, key=lambda h: h.name):
                before = (await replica_reads(plain, host))["served"]
                statuses = await app_seat_map(plain, host, flight["id"])
                served = (await replica_reads(plain, host))["served"] > before
                if served and statuses.get(seat) == "booked":
                    pending.discard(host)
            await asyncio.sleep(0.1)


@pytest.mark.runs_after(
    "tests/cluster/test_cluster.py::test_a_booking_goes",
    "tests/cluster/test_cluster.py::test_app_hosts_serve_seat_maps",
)
async def test_no_acknowledged_booking_is_lost_when_the_primary_is_killed(
    cluster: Cluster,
) -> None:
    ledger = Ledger()
    rng = random.Random(16)
    flights = await available_seats(cluster)
    buyers = [Buyer(n, cluster, ledger, random.Random(rng.random())) for n in range(BUYERS)]
    await asyncio.gather(*(b.sign_in() for b in buyers))
    watched = min(flights)
    watcher = Watcher(cluster, watched)
    watching = asyncio.create_task(watcher.run())
    await _until(lambda: watcher.snapshot is not None, 30, "seat map snapshot")
    stop = asyncio.Event()
    shopping = [asyncio.create_task(b.shop(flights, stop.is_set)) for b in buyers]
    try:
        await _until(lambda: len(ledger.acked_at) >= BEFORE_KILL, 30, "bookings before the kill")
        old = cluster.primary()
        assert old is not None
        killed_at = time.monotonic()
        cluster.kill_database_host(old)

        def recovered() -> bool:
            after = [t for t in ledger.acked_at if t > killed_at]
            return len(after) >= AFTER_FAILOVER

        await _until(recovered, FAILOVER_SECONDS, "bookings after the failover")
    finally:
        stop.set()
        await asyncio.gather(*shopping, return_exceptions=True)
        for buyer in buyers:
            await buyer.close()
    # write unavailability: the longest wait between two acknowledged bookings after the
    # kill (a booking in flight at the kill may still be acknowledged at once)
    acks = sorted(ledger.acked_at)
    gaps = [(b - a, a) for a, b in itertools.pairwise(acks) if b > killed_at]
    unavailable, gap_began = max(gaps)
    new = cluster.primary()
    assert new is not None and new != old
    print(
        f"\nfailover: {old.name} -> {new.name}; no booking acknowledged for"
        f" {unavailable:.1f}s (from {gap_began - killed_at:+.1f}s after the kill);"
        f" {len(ledger.booked)} bookings, refusals {dict(ledger.refusals)},"
        f" retries {dict(ledger.retries)}"
    )

    assert ledger.unanswered == 0, "a buyer was left without an answer"
    # The app hosts stayed alive through the failover and answered 503 database-unavailable
    # (with Retry-After); the edge passed that on and never took them out of its pool,
    # which would have turned it into its own 502 ("no live upstreams").
    from_the_edge = [r for r in ledger.retries if r.split()[0] in {"502", "504"}]
    assert not from_the_edge, dict(ledger.retries)
    assert any(r.startswith("503 database-") for r in ledger.retries), dict(ledger.retries)
    assert all(400 <= int(r.split()[0]) < 500 for r in ledger.refusals), ledger.refusals
    conn = await cluster.connect(new)
    try:
        rows = await conn.fetch(BOOKINGS_SQL)
        doubles = await conn.fetch(DOUBLES_SQL)
        # the seat rows say booked, by the booking that holds them (and only those)
        astray = await conn.fetch(ASTRAY_SQL)
        changes = await watcher.changes(conn)
    finally:
        await conn.close()
    # the watcher, which lived through the failover, got every seat change exactly once
    try:
        await _until(
            lambda: bool(watcher.seen) and watcher.seen[-1][0] >= changes[-1][0],
            30,
            "the watcher catching up",
        )
    finally:
        watching.cancel()
        await asyncio.gather(watching, return_exceptions=True)
    assert changes, "no seat of the watched flight changed"
    assert watcher.seen == changes
    print(f"watcher: {len(changes)} seat changes of flight {watched}, each once, in order")
    stored = {row["id"]: row for row in rows}
    lost = [b for b in ledger.booked if b not in stored]
    assert not lost, f"acknowledged bookings missing on the new primary: {lost}"
    for booking_id, (flight_id, seats) in ledger.booked.items():
        row = stored[booking_id]
        assert row["status"] == "confirmed" and row["flight_id"] == flight_id
        assert frozenset(row["seats"]) == seats
    assert not doubles, f"seats booked twice: {doubles}"
    assert not astray, f"seat rows that disagree with their booking: {astray}"


async def _until(condition: object, seconds: float, what: str) -> None:
    assert callable(condition)
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"no {what} in {seconds:.0f}s"
        await asyncio.sleep(0.1)


async def test_the_app_hosts_count_each_client_by_its_own_address(cluster: Cluster) -> None:
    """The app and gRPC servers on the app hosts believe the X-Forwarded-For of the edge
    (LASTSEAT_TRUSTED_PROXIES): a per-address limit counts the client, not the edge."""
    context = ssl.create_default_context(cafile=str(cluster.ca))
    transport = httpx.AsyncHTTPTransport(verify=context, local_address=HTTP_CLIENT_ADDRESS)
    async with HttpClient(cluster.url, transport=transport) as over_http:
        with pytest.raises(ApiError):
            await over_http.find_booking("LSNONE", "Nobody")
    async with GrpcClient(f"127.0.0.1:{cluster.https_port}", ca=str(cluster.ca)) as over_grpc:
        with pytest.raises(ApiError):
            await over_grpc.find_booking("LSNONE", "Nobody")
    primary = cluster.primary()
    assert primary is not None
    conn = await cluster.connect(primary)
    try:
        counted = {
            row["key"].removeprefix("lookups-per-address:")
            for row in await conn.fetch(
                "SELECT key FROM throttles WHERE key LIKE 'lookups-per-address:%'"
            )
        }
    finally:
        await conn.close()
    # the HTTP client's own address, the gRPC client's (127.0.0.1), and never the edge's
    assert counted == {HTTP_CLIENT_ADDRESS, "127.0.0.1"}, counted


@pytest.mark.runs_after("tests/cluster/test_cluster.py::test_no_acknowledged_booking_is_lost")
async def test_after_a_failover_app_hosts_serve_the_new_primarys_seat_maps(
    cluster: Cluster,
) -> None:
    """The seat feed was lost with the old primary and reconnected to the new one: every
    app host's seat map is the new primary's, and is served from memory again (a second
    read asks no database), so the caches were dropped and refilled, not kept stale."""
    primary = cluster.primary()
    assert primary is not None
    conn = await cluster.connect(primary)
    try:
        flights = [row["id"] for row in await conn.fetch("SELECT id FROM flights ORDER BY id")]
        expected = {}
        now = postgres.naive_utc(datetime.now(UTC))
        for flight_id in flights:
            rows = await conn.fetch(postgres.TAKEN, flight_id, now)
            expected[flight_id] = {row["seat"]: row["status"] for row in rows}
    finally:
        await conn.close()
    async with httpx.AsyncClient(timeout=10) as plain:
        for host in cluster.shape.app_hosts:
            for flight_id in flights:

                async def current_and_cached(host: Host = host, flight_id: int = flight_id) -> bool:
                    first = await app_seat_map(plain, host, flight_id)
                    reads = await replica_reads(plain, host)
                    second = await app_seat_map(plain, host, flight_id)
                    cached = await replica_reads(plain, host) == reads
                    return cached and first == second == expected[flight_id]

                what = f"{host.name}'s map of flight {flight_id}, as the new primary's"
                await eventually(current_and_cached, what, seconds=60, every=0.2)


async def app_seat_map(plain: httpx.AsyncClient, host: Host, flight_id: int) -> dict[str, str]:
    """The seats an app host's server (asked directly) shows held or booked."""
    answer = await plain.get(f"http://{host.address}:{APP_PORT}/api/v1/flights/{flight_id}/seats")
    answer.raise_for_status()
    return {s["seat"]: s["status"] for s in answer.json()["seats"] if s["status"] != "available"}


async def replica_reads(plain: httpx.AsyncClient, host: Host) -> dict[str, float]:
    """An app host's seat-map reads: served from the replica, and each fallback reason."""
    answer = await plain.get(f"http://{host.address}:{APP_PORT}/metrics")
    answer.raise_for_status()
    found = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            if sample.name == "lastseat_seat_map_replica_reads_total":
                found["served"] = sample.value
            elif sample.name == "lastseat_seat_map_replica_fallbacks_total":
                found[sample.labels["reason"]] = sample.value
    assert "served" in found, "the app host counts no replica reads"
    return found


async def test_a_second_up_over_a_running_clusters_network_is_refused_untouched(
    cluster: Cluster,
) -> None:
    """`up` in another folder with the same prefix and /24 refuses before making anything
    (it used to reuse the namespaces, fail, and remove them); a `down` in a folder with no
    state refuses too, even forced while processes run in the namespaces."""
    elsewhere = cluster.folder.with_name(cluster.folder.name + "-elsewhere")
    try:
        up = lastseat(cluster.env, "cluster", "up", "--folder", str(elsewhere), timeout=60)
        down = lastseat(cluster.env, "cluster", "down", "--folder", str(elsewhere))
        forced = lastseat(cluster.env, "cluster", "down", "--folder", str(elsewhere), "--force")
    finally:
        shutil.rmtree(elsewhere, ignore_errors=True)
    said = {name: " ".join(run.stdout.split()) for name, run in (("up", up), ("down", down),
            ("forced", forced))}  # fmt: skip
    assert up.returncode == 1 and cluster.shape.bridge in said["up"], said
    assert "cluster down --folder" in said["up"], said
    assert down.returncode == 1 and "no cluster state" in said["down"], said
    assert forced.returncode == 1 and "processes run in" in said["forced"], said
    assert network.existing(cluster.shape) == [
        *(h.namespace for h in cluster.shape.hosts),
        *(h.veth for h in cluster.shape.hosts),
        cluster.shape.bridge,
    ]
    async with cluster.client() as client:
        assert await client.flights()


def test_up_refuses_taken_edge_ports_before_making_a_network(cluster: Cluster) -> None:
    prefix, net = free_prefix_and_network()
    env = {**cluster.env, "LASTSEAT_CLUSTER_PREFIX": prefix, "LASTSEAT_CLUSTER_NETWORK": net}
    elsewhere = cluster.folder.with_name(cluster.folder.name + "-ports")
    try:
        up = lastseat(env, "cluster", "up", "--folder", str(elsewhere), timeout=60)
    finally:
        shutil.rmtree(elsewhere, ignore_errors=True)
    assert up.returncode == 1 and str(cluster.https_port) in " ".join(up.stdout.split())
    assert not {n for n in network.namespaces() if n.startswith(prefix)}
    assert not network.link_exists(f"{prefix}br0")
