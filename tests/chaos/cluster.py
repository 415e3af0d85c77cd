"""`make chaos-cluster`: faults of whole hosts on `lastseat cluster` (network namespaces on
this machine) under buyers that retry with the same Idempotency-Key, each scenario audited.

One cluster (its own name prefix and /24, so it coexists with any other) lives through the
scenarios in turn; buyers shop before, during and after each fault, and afterwards every
booking acknowledged so far must be on the current primary, no seat sold twice, and the seat
rows agree with the bookings. Not in `make test`: it takes several minutes (docs/chaos.md).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import signal
import ssl
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from lastseat.cluster import network
from lastseat.cluster.patroni import leader, members, postmaster_pid
from lastseat.cluster.state import Paths
from lastseat.cluster.topology import APP_PORT, PATRONI_PORT, Host
from tests.support.cluster import (
    ASTRAY_SQL,
    BOOKINGS_SQL,
    DOUBLES_SQL,
    Buyer,
    Cluster,
    Ledger,
    Watcher,
    available_seats,
    running_cluster,
)
from tests.support.commands import lastseat

SCENARIOS = ("kill-primary", "cut-primary", "partition-primary", "lose-standby", "kill-app-host")
RECOVERY_SECONDS = 120.0
STANDBY_ROLES = {"sync_standby", "quorum_standby", "replica"}


@dataclass
class Row:
    scenario: str
    fault: str = ""
    unavailable: float = 0.0  # longest gap between acknowledged bookings from the fault on
    acked: int = 0  # bookings acknowledged during the scenario
    lost: int = 0  # acknowledged (in any scenario so far) but not on the current primary
    doubles: int = 0  # seats with more than one live booking
    astray: int = 0  # seat rows that disagree with their booking
    given_up: int = 0  # requests a buyer stopped retrying, outcome unknown to it
    watched: int = 0  # seat changes of the watched flight during the scenario
    missed: int = 0  # of those, never delivered to the WebSocket watcher
    duplicated: int = 0  # deliveries beyond the first of one change (or any out of order)
    reconnects: int = 0  # the watcher's reconnections (each resumed from its last event)
    refusals: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        """Final answers that were neither a success nor a clean 4xx (a 500)."""
        return sum(n for what, n in self.refusals.items() if not what.startswith("4"))

    @property
    def passed(self) -> bool:
        return not (
            self.lost or self.doubles or self.astray or self.given_up or self.errors
            or self.missed or self.duplicated
        )  # fmt: skip


async def _until(condition: Callable[[], bool], seconds: float, what: str) -> float:
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > seconds:
            raise TimeoutError(f"no {what} in {seconds:.0f}s")
        await asyncio.sleep(0.2)
    return time.monotonic() - began


def _member(cluster: Cluster, host: Host) -> dict[str, Any]:
    for member in members(cluster.shape):
        if member.get("name") == host.name:
            return member
    return {}


def _streaming(cluster: Cluster, host: Host) -> bool:
    member = _member(cluster, host)
    return member.get("role") in STANDBY_ROLES and member.get("state") == "streaming"


def _roles(cluster: Cluster) -> str:
    return ", ".join(f"{m.get('name')} {m.get('role')}" for m in members(cluster.shape))


class Scenarios:
    def __init__(self, cluster: Cluster, buyers: int, seed: int) -> None:
        self.cluster = cluster
        self.rng = random.Random(seed)
        self.buyers = [
            Buyer(n, cluster, Ledger(), random.Random(self.rng.random())) for n in range(buyers)
        ]
        self.flights: dict[int, list[str]] = {}
        self.booked: dict[str, tuple[int, frozenset[str]]] = {}
        self.watcher: Watcher | None = None  # the running scenario's

    async def prepare(self) -> None:
        self.flights = await available_seats(self.cluster)
        await asyncio.gather(*(b.sign_in() for b in self.buyers))

    async def close(self) -> None:
        for buyer in self.buyers:
            await buyer.close()

    async def run(self, name: str, before: float = 5.0, after: float = 5.0) -> Row:
        fault: Callable[[Row, float], Awaitable[None]] = getattr(self, name.replace("-", "_"))
        row = Row(name)
        ledger = Ledger()
        for buyer in self.buyers:
            buyer.ledger = ledger
        watcher = self.watcher = Watcher(self.cluster, self.rng.choice(list(self.flights)))
        watching = asyncio.create_task(watcher.run())
        stop = asyncio.Event()
        shopping = [asyncio.create_task(b.shop(self.flights, stop.is_set)) for b in self.buyers]
        try:
            await _until(lambda: watcher.snapshot is not None, 30, "seat map snapshot")
            await asyncio.sleep(before)
            began = time.monotonic()
            await fault(row, began)
            await asyncio.sleep(after)
        finally:
            stop.set()
            await asyncio.gather(*shopping, return_exceptions=True)
            try:
                await self.audit_watcher(watcher, row)
            finally:
                watching.cancel()
                await asyncio.gather(watching, return_exceptions=True)
        acks = sorted(ledger.acked_at)
        gaps = [b - a for a, b in itertools.pairwise(acks) if b > began]
        row.unavailable = max(gaps, default=float("nan"))
        row.acked = len(ledger.booked)
        row.given_up = ledger.unanswered
        row.refusals = dict(ledger.refusals)
        self.booked.update(ledger.booked)
        await self.audit(row)
        print(f"  {name}: {row}", flush=True)
        return row

    async def audit_watcher(self, watcher: Watcher, row: Row) -> None:
        """Every seat change of the watched flight reached the watcher exactly once, in
        order, across the fault and its reconnections (once it has caught up)."""
        primary = await asyncio.to_thread(self.cluster.primary)
        if primary is None or watcher.snapshot is None:
            row.notes.append("watcher not audited: no primary or no snapshot")
            row.missed = -1
            return
        conn = await self.cluster.connect(primary)
        try:
            changes = await watcher.changes(conn)
        finally:
            await conn.close()
        last = changes[-1][0] if changes else 0
        try:
            await _until(
                lambda: not changes or (bool(watcher.seen) and watcher.seen[-1][0] >= last),
                30,
                "the watcher catching up",
            )
        except TimeoutError:
            pass  # counted below as missed
        seen = watcher.seen
        row.watched = len(changes)
        row.missed = len(set(changes) - set(seen))
        row.duplicated = len(seen) - len(set(seen))
        if seen != sorted(set(seen)):
            row.notes.append("the watcher got seat changes out of order")
            row.duplicated = max(row.duplicated, 1)  # (a failure all the same)
        row.reconnects = watcher.reconnects

    async def audit(self, row: Row) -> None:
        primary = await asyncio.to_thread(self.cluster.primary)
        if primary is None:
            row.notes.append("no primary to audit")
            row.lost = len(self.booked)
            return
        conn = await self.cluster.connect(primary)
        try:
            rows = await conn.fetch(BOOKINGS_SQL)
            doubles = await conn.fetch(DOUBLES_SQL)
            astray = await conn.fetch(ASTRAY_SQL)
        finally:
            await conn.close()
        stored = {r["id"]: r for r in rows}
        for booking_id, (flight_id, seats) in self.booked.items():
            found = stored.get(booking_id)
            if (
                found is None
                or found["status"] != "confirmed"
                or found["flight_id"] != flight_id
                or frozenset(found["seats"] or ()) != seats
            ):
                row.lost += 1
        row.doubles = len(doubles)
        row.astray = len(astray)

    # -- the faults ----------------------------------------------------------------------

    async def _new_primary(self, old: Host, row: Row, began: float) -> Host:
        def elsewhere() -> bool:
            now = leader(self.cluster.shape)
            return now is not None and now != old

        await _until(elsewhere, RECOVERY_SECONDS, "new primary")
        new = leader(self.cluster.shape)
        assert new is not None
        row.notes.append(f"{old.name} -> {new.name} in {time.monotonic() - began:.1f}s")
        return new

    def _log_size(self, host: Host) -> int:
        log = Paths(self.cluster.folder).logs / f"{host.name}-patroni.log"
        return log.stat().st_size if log.exists() else 0

    async def _rejoined(self, old: Host, row: Row, since: float, log_from: int) -> None:
        await _until(lambda: _streaming(self.cluster, old), RECOVERY_SECONDS, "rejoin")
        log = Paths(self.cluster.folder).logs / f"{old.name}-patroni.log"
        with log.open("rb") as source:
            source.seek(log_from)
            rewound = b"pg_rewind exit code=0" in source.read()
        row.notes.append(
            f"{old.name} streaming again as {_member(self.cluster, old).get('role')}"
            f" {time.monotonic() - since:.1f}s later{' (pg_rewind)' if rewound else ''}"
        )

    def _primary(self) -> Host:
        found = leader(self.cluster.shape)
        assert found is not None, "no primary before the fault"
        return found

    async def kill_primary(self, row: Row, began: float) -> None:
        old = self._primary()
        row.fault = f"kill -9 of {old.name}'s Patroni and PostgreSQL, then `cluster rejoin`"
        log_from = self._log_size(old)
        postmaster = postmaster_pid(Paths(self.cluster.folder).node(old))
        self.cluster.kill_database_host(old)
        await self._new_primary(old, row, began)
        if postmaster is not None:  # the postmaster's children exit when it is gone
            await _until(lambda: not _alive(postmaster), 30, "old postmaster gone")
        restarted = await self._rejoin(old)
        await self._rejoined(old, row, restarted, log_from)
        status = await asyncio.to_thread(
            lastseat,
            {**self.cluster.env, "COLUMNS": "160"},
            "cluster", "status", "--folder", str(self.cluster.folder),
            timeout=60,
        )  # fmt: skip
        print(status.stdout, flush=True)
        row.notes.append(f"roles after: {_roles(self.cluster)}")

    async def cut_primary(self, row: Row, began: float) -> None:
        old = self._primary()
        row.fault = f"{old.name}'s link down until a new primary writes, then up"
        log_from = self._log_size(old)
        network.set_link(old, "down")
        try:
            await self._new_primary(old, row, began)
            await self._writes_again(began)
        finally:
            network.set_link(old, "up")
        await self._rejoined(old, row, time.monotonic(), log_from)

    async def partition_primary(self, row: Row, began: float) -> None:
        old = self._primary()
        peers = [h for h in self.cluster.shape.db_hosts if h != old]
        row.fault = (
            f"{old.name} cut from its peers only (blackhole routes both ways; app hosts and"
            " the edge still reach it), healed after it stepped down"
        )
        log_from = self._log_size(old)
        network.blackhole(old, peers, on=True)
        for peer in peers:
            network.blackhole(peer, [old], on=True)
        stepping_down = asyncio.create_task(_stepped_down(old))
        try:
            await self._new_primary(old, row, began)
            stepped = await stepping_down
            row.notes.append(
                f"{old.name}'s own Patroni stopped calling it primary {stepped - began:.1f}s"
                " after the cut"
            )
            await self._writes_again(began)
        finally:
            stepping_down.cancel()  # (done by now, unless the scenario failed)
            network.blackhole(old, peers, on=False)
            for peer in peers:
                network.blackhole(peer, [old], on=False)
        await self._rejoined(old, row, time.monotonic(), log_from)

    async def lose_standby(self, row: Row, began: float) -> None:
        standby = next(
            (
                self.cluster.shape.host(m["name"])
                for m in members(self.cluster.shape)
                if m.get("role") in {"sync_standby", "quorum_standby"}
            ),
            None,
        )
        assert standby is not None, f"no synchronous standby: {_roles(self.cluster)}"
        row.fault = f"synchronous standby {standby.name}'s link down for 30 s"
        log_from = self._log_size(standby)
        network.set_link(standby, "down")
        try:
            await asyncio.sleep(30)
        finally:
            network.set_link(standby, "up")
        await self._rejoined(standby, row, time.monotonic(), log_from)

    async def kill_app_host(self, row: Row, began: float) -> None:
        # the one the watcher's WebSocket reached, so that it must reconnect and resume
        hosts = self.cluster.shape.app_hosts
        reached = self.watcher.upstream if self.watcher else ""
        host = next((h for h in hosts if reached == f"{h.address}:{APP_PORT}"), hosts[0])
        row.fault = (
            f"kill -9 of {host.name}'s app, gRPC server and HAProxy; 10 s later"
            f" `cluster rejoin {host.name}`"
        )
        for what in ("app", "grpc", "haproxy"):
            try:
                os.killpg(self.cluster.pid(f"{host.name}-{what}"), signal.SIGKILL)
            except ProcessLookupError:
                pass
        await self._writes_again(began)
        await asyncio.sleep(10)
        restarted = await self._rejoin(host)
        upstream = f"{host.address}:{APP_PORT}"
        spread = await self._edge_upstreams(upstream)
        row.notes.append(
            f"{host.name} back (rejoin) and served by the edge again"
            f" {time.monotonic() - restarted:.1f}s later; the next 40 reads: {spread}"
        )

    async def _rejoin(self, host: Host) -> float:
        """`lastseat cluster rejoin <host>`; when it began (monotonic)."""
        began = time.monotonic()
        done = await asyncio.to_thread(
            lastseat,
            self.cluster.env,
            "cluster", "rejoin", host.name, "--folder", str(self.cluster.folder),
            timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return began

    async def _edge_upstreams(self, wanted: str) -> dict[str, int]:
        """Reads through the edge until one is served by `wanted`; then how 40 more spread
        over the app hosts (the X-Upstream header the proxy sets)."""
        context = ssl.create_default_context(cafile=str(self.cluster.ca))
        async with httpx.AsyncClient(base_url=self.cluster.url, verify=context) as edge:

            async def served_by() -> str:
                answer = await edge.get("/api/v1/flights")
                return str(answer.headers.get("x-upstream", ""))

            deadline = time.monotonic() + RECOVERY_SECONDS
            while await served_by() != wanted:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the edge never balanced onto {wanted}")
                await asyncio.sleep(0.2)
            return dict(Counter([await served_by() for _ in range(40)]))

    async def _writes_again(self, since: float) -> None:
        def acked_after() -> bool:
            ledger = self.buyers[0].ledger
            return sum(t > since for t in ledger.acked_at) >= 5

        await _until(acked_after, RECOVERY_SECONDS, "bookings after the fault")


async def _stepped_down(host: Host) -> float:
    """When (monotonic) `host`'s own Patroni stops reporting the role primary, asked from
    the edge (which still reaches it) every 0.2 s."""
    deadline = time.monotonic() + RECOVERY_SECONDS
    async with httpx.AsyncClient(timeout=1) as patroni:
        while time.monotonic() < deadline:
            try:
                answer = await patroni.get(f"http://{host.address}:{PATRONI_PORT}/patroni")
                role = answer.json().get("role")
            except (httpx.HTTPError, ValueError):
                role = None  # no answer: not known to have stepped down
            if role is not None and role != "primary":
                return time.monotonic()
            await asyncio.sleep(0.2)
    raise TimeoutError(f"{host.name} still called itself primary after {RECOVERY_SECONDS:.0f}s")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def table(rows: list[Row]) -> str:
    lines = [
        "| scenario | write-unavailable (s) | acknowledged | lost | seats sold twice"
        " | seat rows astray | given up | 5xx answers | watched changes (missed / twice,"
        " reconnects) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r.scenario} | {r.unavailable:.1f} | {r.acked} | {r.lost} | {r.doubles}"
            f" | {r.astray} | {r.given_up} | {r.errors}"
            f" | {r.watched} ({r.missed} / {r.duplicated}, {r.reconnects}) |"
        )
    lines.append("")
    for r in rows:
        lines.append(f"- **{r.scenario}**: {r.fault}; {'; '.join(r.notes)}")
        if r.refusals:
            lines.append(f"  refusals: {r.refusals}")
    return "\n".join(lines)


async def _scenarios(names: list[str], buyers: int, seed: int, cluster: Cluster) -> list[Row]:
    runner = Scenarios(cluster, buyers, seed)
    await runner.prepare()
    rows = []
    try:
        for name in names:
            print(f"scenario {name} ({_roles(cluster)})", flush=True)
            try:
                rows.append(await runner.run(name))
            except (AssertionError, TimeoutError) as failure:
                row = Row(name, notes=[f"FAILED: {failure}"], lost=-1)
                rows.append(row)
                break
    finally:
        await runner.close()
    return rows


def run(names: list[str], buyers: int = 8, flights: int = 20, seed: int = 16) -> list[Row]:
    with running_cluster(app_hosts=2, flights=flights, folder_prefix="chaos-cluster-") as up:
        print(f"cluster up: {up.shape.prefix}* on {up.shape.subnet}, {up.folder}", flush=True)
        return asyncio.run(_scenarios(names, buyers, seed, up))
