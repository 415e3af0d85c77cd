"""The chaos harness: retrying buyers, with churn, over several app servers on PostgreSQL,
while app servers, the payment provider and PostgreSQL itself are killed and started again;
then an audit of every promise about seats and money.

Everything runs on loopback: a private PostgreSQL cluster (so restarting it disturbs no one),
the payment sandbox with its ledger on disk, and `lastseat serve` processes on free ports.
Clients pick a server at random for each attempt and retry with the same Idempotency-Key on
a lost connection or a 503, as a careful client of a payment-taking API does.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import sqlalchemy as sa

from lastseat.adapters.db.database import engine_of
from lastseat.adapters.db.tables import booking_seats, bookings, idempotency_keys, seats
from lastseat.bootstrap import build_services
from lastseat.domain.users import Role
from lastseat.payments_sandbox.journal import Journal
from lastseat.stack.postgres import PostgresServer, start_private_cluster
from tests.support.databases import create_pg_database, make_settings, migrated
from tests.support.flights import flight_body
from tests.support.passengers import passengers_json
from tests.support.servers import AppServer, server_env

RETRYABLE = frozenset({502, 503, 504})
_UNSETTLED = sa.or_(
    sa.and_(bookings.c.status == "confirmed", bookings.c.payment_status == "authorized"),
    sa.and_(
        bookings.c.status == "cancelled",
        bookings.c.payment_status.in_(["authorized", "captured"]),
    ),
)
ADMIN = ("chaos-admin@example.com", "chaos-admin-password")


@dataclass
class Plan:
    seconds: float = 90.0
    buyers: int = 24
    app_servers: int = 3
    flights: int = 8
    chaos_every: float = 4.0  # seconds between faults, on average
    cancel_share: float = 0.3
    seed: int = 7


@dataclass
class Ledger:
    """What the clients were told, to check against what the system kept."""

    booked: dict[str, tuple[int, frozenset[str]]] = field(default_factory=dict)  # id -> seats
    cancelled: set[str] = field(default_factory=set)
    refused_keys: set[tuple[str, str]] = field(default_factory=set)  # (user id, key): a 4xx
    unanswered: int = 0  # gave up retrying: the outcome is unknown to the client
    answers: Counter[int] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)


class Cluster:
    """The processes chaos plays with, restartable by a thread while buyers run."""

    def __init__(self, folder: Path, plan: Plan) -> None:
        self.folder = folder
        self.plan = plan
        self.postgres: PostgresServer = start_private_cluster()
        self.database_url = ""
        self.sandbox: AppServer | None = None
        self.servers: list[AppServer] = []
        self.ledger_path = folder / "sandbox-ledger.jsonl"

    async def start(self) -> None:
        self.database_url = self.postgres.sqlalchemy_url(await create_pg_database(self.postgres))
        await migrated(self.database_url)
        self.sandbox = AppServer(
            server_env(self.database_url, LASTSEAT_SANDBOX_LEDGER=str(self.ledger_path)),
            self.folder / "sandbox.log",
            command="payments-sandbox",
            ready_path="/healthz",
        ).start()
        env = server_env(
            self.database_url,
            LASTSEAT_PAYMENTS_URL=self.sandbox.url,
            LASTSEAT_PAYMENTS_SETTLE_INTERVAL_SECONDS="1",
            LASTSEAT_PAYMENTS_SETTLE_RETRY_SECONDS="0.5",
            LASTSEAT_PAYMENTS_SETTLE_MAX_RETRY_SECONDS="4",
            LASTSEAT_PAYMENTS_SETTLE_LEASE_SECONDS="15",
            LASTSEAT_PAYMENTS_SETTLE_MAX_ATTEMPTS="1000",
            LASTSEAT_DB_CONNECT_TIMEOUT_SECONDS="2",
            # busy shoppers, not spinners: the abuse limits have tests of their own
            LASTSEAT_HOLDS_PER_CUSTOMER="1000000",
            LASTSEAT_LOG_LEVEL="warning",
        )
        self.servers = [
            AppServer(env, self.folder / f"app-{i}.log").start()
            for i in range(self.plan.app_servers)
        ]

    def kill(self, server: AppServer) -> None:
        if server.process is not None:
            os.kill(server.process.pid, signal.SIGKILL)
            server.process.wait()
            server.process = None

    def revive(self, server: AppServer) -> None:
        for _ in range(3):  # the database may be restarting too: readiness waits for it
            try:
                server.start()
                return
            except RuntimeError:
                server.process = None
                time.sleep(1)
        server.start()

    def stop(self) -> None:
        for server in [*self.servers, *([self.sandbox] if self.sandbox else [])]:
            server.stop()
        self.postgres.stop()


def inflict(cluster: Cluster, ledger: Ledger, stop: threading.Event, rng: random.Random) -> None:
    """Faults, one at a time, until `stop`: kill -9 an app server, the provider, or restart
    PostgreSQL (fast or immediate); each comes back after a moment."""
    while not stop.wait(rng.uniform(0.5, 1.5) * cluster.plan.chaos_every):
        roll = rng.random()
        if roll < 0.55:
            victim = rng.choice(cluster.servers)
            cluster.kill(victim)
            time.sleep(rng.uniform(0.2, 1.5))
            cluster.revive(victim)
            ledger.faults["app server kill -9"] += 1
        elif roll < 0.8 and cluster.sandbox is not None:
            cluster.kill(cluster.sandbox)
            time.sleep(rng.uniform(0.2, 1.5))
            cluster.revive(cluster.sandbox)
            ledger.faults["payment provider kill -9"] += 1
        else:
            mode = rng.choice(["fast", "immediate"])
            cluster.postgres.restart(mode)
            ledger.faults[f"PostgreSQL restart ({mode})"] += 1


class Buyer:
    def __init__(self, n: int, cluster: Cluster, ledger: Ledger, rng: random.Random) -> None:
        self.n = n
        self.cluster = cluster
        self.ledger = ledger
        self.rng = rng
        self.headers: dict[str, str] = {}
        self.user_id = ""
        self.mine: list[str] = []

    async def call(
        self, client: httpx.AsyncClient, method: str, path: str, body: Any = None, key: str = ""
    ) -> httpx.Response | None:
        """One request, retried (same key) on a lost connection or a 5xx, for a minute."""
        headers = dict(self.headers)
        if key:
            headers["Idempotency-Key"] = key
        delay = 0.2
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            server = self.rng.choice(self.cluster.servers)
            try:
                response = await client.request(
                    method, server.url + path, json=body, headers=headers
                )
            except httpx.TransportError:
                response = None
            if response is not None:
                self.ledger.answers[response.status_code] += 1
                if response.status_code not in RETRYABLE:
                    return response
            await asyncio.sleep(delay * self.rng.uniform(0.5, 1.5))
            delay = min(delay * 2, 2.0)
        self.ledger.unanswered += 1
        return None

    async def sign_in(self, client: httpx.AsyncClient) -> None:
        creds = {"email": f"buyer-{self.n}@example.com", "password": f"buyer-password-{self.n}"}
        await self.call(client, "POST", "/api/v1/auth/signup", creds)
        login = await self.call(client, "POST", "/api/v1/auth/login", creds)
        assert login is not None and login.status_code == 200, login
        self.headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        me = await self.call(client, "GET", "/api/v1/me")
        assert me is not None
        self.user_id = me.json()["id"]

    async def shop(self, client: httpx.AsyncClient, flights: list[int], until: float) -> None:
        while time.monotonic() < until:
            if self.mine and self.rng.random() < self.cluster.plan.cancel_share:
                await self.cancel(client, self.mine.pop(self.rng.randrange(len(self.mine))))
            else:
                await self.buy(client, self.rng.choice(flights))

    async def buy(self, client: httpx.AsyncClient, flight_id: int) -> None:
        rows = self.rng.sample(range(3, 31), 1)[0]
        wanted = sorted({f"{rows}{self.rng.choice('ABCDEF')}" for _ in range(2)})
        key = f"hold-{uuid.uuid4()}"
        body = {"flight_id": flight_id, "seats": wanted}
        held = await self.call(client, "POST", "/api/v1/holds", body, key)
        if held is None or held.status_code != 201:
            if held is not None:
                self.ledger.refused_keys.add((self.user_id, key))
            return
        key = f"book-{uuid.uuid4()}"
        body = {
            "hold_id": held.json()["id"],
            "payment": {"token": "tok_ok"},
            "passengers": passengers_json(held.json()["seats"]),
        }
        booked = await self.call(client, "POST", "/api/v1/bookings", body, key)
        if booked is None:
            return
        if booked.status_code != 201:
            self.ledger.refused_keys.add((self.user_id, key))
            return
        booking = booked.json()
        self.ledger.booked[booking["id"]] = (flight_id, frozenset(booking["seats"]))
        self.mine.append(booking["id"])

    async def cancel(self, client: httpx.AsyncClient, booking_id: str) -> None:
        done = await self.call(client, "POST", f"/api/v1/bookings/{booking_id}/cancel")
        if done is not None and done.status_code == 200:
            self.ledger.cancelled.add(booking_id)


async def _flights(cluster: Cluster) -> list[int]:
    services = build_services(make_settings(cluster.database_url))
    try:
        await services.accounts.ensure_user(*ADMIN, Role.ADMIN)
    finally:
        await services.close()
    async with httpx.AsyncClient(timeout=30) as client:
        server = cluster.servers[0].url
        login = await client.post(
            server + "/api/v1/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]}
        )
        admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
        made = []
        first = datetime(2030, 2, 1, 9, tzinfo=UTC)
        for n in range(cluster.plan.flights):
            departs = (first + timedelta(days=n)).isoformat().replace("+00:00", "Z")
            body = flight_body(departs_at=departs, code=f"LS{800 + n}")
            created = await client.post(server + "/api/v1/admin/flights", json=body, headers=admin)
            assert created.status_code == 201, created.text
            made.append(created.json()["id"])
        return [int(f) for f in made]


@dataclass
class Audit:
    rows: list[tuple[str, int | str, bool]]  # what, how many, holds

    @property
    def passed(self) -> bool:
        return all(ok for _, _, ok in self.rows)

    def table(self) -> str:
        width = max(len(what) for what, _, _ in self.rows)
        return "\n".join(
            f"{what:<{width}}  {value!s:>8}  {'ok' if ok else 'VIOLATED'}"
            for what, value, ok in self.rows
        )


async def _settled(cluster: Cluster, seconds: float = 120.0) -> int:
    """Wait for settlement to finish every unsettled booking; how many are left."""
    services = build_services(make_settings(cluster.database_url))
    try:
        deadline = time.monotonic() + seconds
        while True:
            async with engine_of(services.database).connect() as conn:
                left = int(
                    (await conn.execute(sa.select(sa.func.count()).where(_UNSETTLED))).scalar_one()
                )
            if left == 0 or time.monotonic() > deadline:
                return left
            await asyncio.sleep(1)
    finally:
        await services.close()


async def audit(cluster: Cluster, ledger: Ledger) -> Audit:
    left = await _settled(cluster)
    services = build_services(make_settings(cluster.database_url))
    unsettled_detail: list[str] = []
    try:
        async with engine_of(services.database).connect() as conn:
            stored = {
                str(row.id): row
                for row in await conn.execute(
                    sa.select(
                        bookings.c.id,
                        bookings.c.status,
                        bookings.c.flight_id,
                        bookings.c.seats,
                        bookings.c.payment_id,
                        bookings.c.payment_status,
                        bookings.c.total_amount,
                    )
                )
            }
            live_seats = Counter(
                (row.flight_id, row.seat)
                for row in await conn.execute(
                    sa.select(booking_seats.c.flight_id, booking_seats.c.seat).where(
                        booking_seats.c.active
                    )
                )
            )
            booked_rows = {
                (row.flight_id, row.seat): str(row.booking_id)
                for row in await conn.execute(
                    sa.select(seats.c.flight_id, seats.c.seat, seats.c.booking_id).where(
                        seats.c.status == "booked"
                    )
                )
            }
            unsettled_detail = [
                f"{row.id} {row.status}/{row.payment_status} {row.payment_id}"
                f" tries={row.settle_attempts} after={row.settle_after} error={row.settle_error}"
                for row in await conn.execute(
                    sa.select(
                        bookings.c.id,
                        bookings.c.status,
                        bookings.c.payment_status,
                        bookings.c.payment_id,
                        bookings.c.settle_attempts,
                        bookings.c.settle_after,
                        bookings.c.settle_error,
                    ).where(_UNSETTLED)
                )
            ]
            keys = {
                (str(row.user_id), row.key)
                for row in await conn.execute(
                    sa.select(idempotency_keys.c.user_id, idempotency_keys.c.key)
                )
            }
    finally:
        await services.close()
    provider: dict[str, dict[str, Any]] = {}
    for record in Journal(cluster.ledger_path).records():
        if "authorization" in record:
            provider[record["authorization"]["id"]] = record["authorization"]
    confirmed = {i: r for i, r in stored.items() if r.status == "confirmed"}
    cancelled = {i: r for i, r in stored.items() if r.status == "cancelled"}
    by_payment = {r.payment_id: r for r in stored.values()}
    oversold = sum(1 for n in live_seats.values() if n > 1)
    seat_mismatch = sum(
        1
        for place, booking_id in booked_rows.items()
        if booking_id not in confirmed or place[1] not in confirmed[booking_id].seats
    ) + sum(
        1
        for booking_id, row in confirmed.items()
        for seat in row.seats
        if booked_rows.get((row.flight_id, seat)) != booking_id
    )
    acked_missing = sum(
        1
        for booking_id, (flight, wanted) in ledger.booked.items()
        if booking_id not in stored
        or stored[booking_id].flight_id != flight
        or frozenset(stored[booking_id].seats) != wanted
        or (booking_id not in ledger.cancelled and stored[booking_id].status != "confirmed")
    )
    told_cancelled_but_not = sum(1 for b in ledger.cancelled if b not in cancelled)
    refused_but_made = len(ledger.refused_keys & keys)
    not_captured = sum(
        1
        for r in confirmed.values()
        if provider.get(r.payment_id, {}).get("status") != "captured"
        or provider[r.payment_id]["captured"] != r.total_amount
    )
    not_paid_back = sum(
        1
        for r in cancelled.values()
        if provider.get(r.payment_id, {}).get("status") not in ("voided", "refunded")
    )
    charged_without_booking = sum(
        1
        for auth_id, auth in provider.items()
        if auth["status"] == "captured"
        and (auth_id not in by_payment or by_payment[auth_id].status != "confirmed")
    )
    lapsed = sum(
        1
        for auth_id, a in provider.items()
        if auth_id not in by_payment and a["status"] == "authorized"
    )
    rows: list[tuple[str, int | str, bool]] = [
        ("faults: " + ", ".join(f"{k} x{v}" for k, v in sorted(ledger.faults.items())), "", True),
        ("answers: " + ", ".join(f"{k}: {v}" for k, v in sorted(ledger.answers.items())), "", True),
        ("500 answers", ledger.answers[500], ledger.answers[500] == 0),
        ("requests given up (outcome unknown to the client)", ledger.unanswered, True),
        ("bookings acknowledged to clients", len(ledger.booked), len(ledger.booked) > 0),
        ("cancellations acknowledged to clients", len(ledger.cancelled), True),
        ("seats sold twice", oversold, oversold == 0),
        ("seat rows disagreeing with bookings", seat_mismatch, seat_mismatch == 0),
        ("acknowledged bookings missing or changed", acked_missing, acked_missing == 0),
        (
            "acknowledged cancellations not cancelled",
            told_cancelled_but_not,
            told_cancelled_but_not == 0,
        ),
        (
            "holds or bookings made though the client was told no",
            refused_but_made,
            refused_but_made == 0,
        ),
        ("bookings left unsettled after settlement ran", left, left == 0),
        ("confirmed bookings not captured exactly once", not_captured, not_captured == 0),
        ("cancelled bookings not voided or refunded", not_paid_back, not_paid_back == 0),
        ("charges without a booking", charged_without_booking, charged_without_booking == 0),
        ("authorizations never booked, left to lapse (no charge)", lapsed, True),
    ]
    for line in unsettled_detail[:10]:
        auth = provider.get(line.split()[2], {})
        rows.append((f"  unsettled: {line} provider={auth.get('status')}", "", False))
    return Audit(rows)


async def run(plan: Plan, folder: Path) -> Audit:
    rng = random.Random(plan.seed)
    cluster = Cluster(folder, plan)
    ledger = Ledger()
    try:
        await cluster.start()
        flights = await _flights(cluster)
        async with httpx.AsyncClient(timeout=15) as client:
            buyers = [
                Buyer(n, cluster, ledger, random.Random(rng.random())) for n in range(plan.buyers)
            ]
            await asyncio.gather(*(b.sign_in(client) for b in buyers))
            stop = threading.Event()
            chaos = threading.Thread(target=inflict, args=(cluster, ledger, stop, rng), daemon=True)
            chaos.start()
            until = time.monotonic() + plan.seconds
            try:
                await asyncio.gather(*(b.shop(client, flights, until) for b in buyers))
            finally:
                stop.set()
                await asyncio.to_thread(chaos.join)
            for server in [*cluster.servers, cluster.sandbox]:  # everything up for the audit
                if server is not None and server.process is None:
                    cluster.revive(server)
        return await audit(cluster, ledger)
    finally:
        cluster.stop()


def dumps(audit: Audit) -> str:
    return orjson.dumps([list(row) for row in audit.rows]).decode()
