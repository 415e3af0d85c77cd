"""A hot flight: a herd of buyers goes for one flight's seats at once, on PostgreSQL.

500 buyers (each its own account and client address) start together on ONE flight of 400
seats, as at the opening of a popular sale. Each reads the seat map, holds 1-4 free seats
(on a 409 it tries others from the free seats the refusal lists, a bounded number of
times, and stops when the refusal says the flight is sold out), then pays (POST /bookings
with the sandbox's `tok_ok`). Two app servers, the payment sandbox and the mailer run as
`lastseat up` runs them (`start_booking_tiers` in bench/run.py).

Reported: bookings/s on the flight, seats/s, time to sell out, p50/p99 of each step,
refusals by kind, errors (any 5xx is a bug), and what the database holds at the end: no
more than 400 seats booked and no seat in two bookings (0 oversold).

There is no measured ceiling here: the figure set next to it is a hosted ticketing
product's published rate, ~25 orders/s per event, quoted as context only.

    .venv/bin/python bench/hot_flight.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import orjson
from contract import median_run
from rich.console import Console
from rich.table import Table
from run import Process, prepare, start_booking_tiers, tear_down

from lastseat.bootstrap import build_services
from lastseat.config import Settings, default_pool_size
from lastseat.domain.flights import Cabin, Layout
from lastseat.domain.money import Money
from lastseat.services.catalog import NewFlight
from lastseat.stack.ports import free_port
from lastseat.stack.postgres import PostgresServer, find_or_start
from lastseat.stack.trace import METRIC

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
console = Console(width=140)
STEPS = ("map", "hold", "book")
JSON = {"Content-Type": "application/json"}
PUBLISHED_ORDERS_PER_S = 25.0  # a hosted ticketing product's published rate per event
TARGET_PER_S = 100.0


def layout(seats: int) -> Layout:
    """One economy cabin of eight abreast, rounded up to whole rows."""
    rows = -(-seats // 8)
    return Layout((Cabin("economy", 1, rows, "ABCDEFGH", Money(15_000, "EUR"), aisle_after="D"),))


async def create_flight(pg: PostgresServer, database: str, seats: int) -> int:
    settings = Settings(_env_file=None, database_url=pg.sqlalchemy_url(database))
    services = build_services(settings)
    try:
        now = services.catalog.now()
        departs = (now + timedelta(days=30)).replace(microsecond=0)
        flight = await services.catalog.create_flight(
            NewFlight("LS900", "LHR", "JFK", departs, layout(seats), departs + timedelta(hours=8))
        )
    finally:
        await services.close()
    return flight.id


@dataclass
class Tally:
    """What the herd saw; times are per step, in ms."""

    times: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    # What the app server says of each answer (Server-Timing): its own time, and the
    # part of it spent in database statements; the rest of `times` is queueing before it.
    app_times: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    db_times: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    refusals: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    booked_seats: int = 0
    bookings: int = 0
    last_booking_at: float = 0.0
    gave_up: Counter[str] = field(default_factory=Counter)
    waits: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


def problem_code(answer: Answer) -> str:
    """The problem's type (`database-busy`), else the start of the body."""
    try:
        return str(answer.json()["type"]).rsplit(":", 1)[-1]
    except (ValueError, KeyError, TypeError):
        return answer.body[:80].decode(errors="replace")


class Buyer:
    def __init__(
        self, client: aiohttp.ClientSession, token: str, number: int, flight: int, args: Any
    ) -> None:
        self._client = client
        self._flight = flight
        self._args = args
        self._rng = random.Random(number)
        # Every buyer its own address, as a real herd has: the app server believes the
        # X-Forwarded-For of a request from loopback (its proxy tier).
        address = f"10.{number // 65536}.{number // 256 % 256}.{number % 256}"
        self._headers = {"Authorization": f"Bearer {token}", "X-Forwarded-For": address}

    async def _call(
        self, tally: Tally, step: str, method: str, path: str, body: Any = None
    ) -> Answer | None:
        headers = self._headers
        data = None
        if method == "POST":
            headers = {**headers, "Idempotency-Key": uuid.uuid4().hex, **JSON}
            data = orjson.dumps(body)
        started = time.monotonic()
        try:
            async with self._client.request(method, path, data=data, headers=headers) as got:
                response = Answer(got.status, await got.read())
                timing = got.headers.get("Server-Timing", "")
        except (aiohttp.ClientError, TimeoutError) as exc:
            tally.errors[f"{step}: {type(exc).__name__}"] += 1
            return None
        tally.times[step].append((time.monotonic() - started) * 1000)
        spent = dict(METRIC.findall(timing))
        if "app" in spent:
            tally.app_times[step].append(float(spent["app"]))
            tally.db_times[step].append(float(spent.get("db", 0.0)))
        if response.status_code >= 500:
            tally.errors[f"{step}: {response.status_code} {problem_code(response)}"] += 1
            # A 503 (the database busy a moment) is the caller's to retry, if it will.
            return response if response.status_code == 503 else None
        return response

    async def run(self, go: asyncio.Event, tally: Tally, began: list[float]) -> None:
        await go.wait()
        want = self._rng.randint(1, 4)
        if self._args.pick == "best":
            await self._chosen_for_them(want, tally, began)
        else:
            await self._from_the_map(want, tally, began)

    async def _chosen_for_them(self, want: int, tally: Tally, began: list[float]) -> None:
        """The group asks for `want` seats together (best-available): no map to read, no
        seat to guess; a refusal means there is no room for the group."""
        body = {"flight_id": self._flight, "count": want, "cabin": "economy"}
        held = await self._call(tally, "hold", "POST", "/api/v1/holds", body)
        if held is not None:
            await self._pay_if_held(held, tally, began)

    async def _pay_if_held(self, held: Answer, tally: Tally, began: list[float]) -> None:
        """Pay for a group's hold; a refusal ends the group (sold out, or no room)."""
        if held.status_code == 409 and "available" in (refusal := held.json()):
            tally.gave_up["sold out" if refusal["sold_out"] else "no room for the group"] += 1
            return
        if held.status_code != 201:
            tally.refusals[f"hold {held.status_code} {held.json().get('title', '')}"] += 1
            return
        await self._pay(held, tally, began)

    async def _pay(self, held: Answer, tally: Tally, began: list[float]) -> None:
        hold = held.json()
        payment = {
            "hold_id": hold["id"],
            "payment": {"token": "tok_ok"},
            "passengers": [
                {"seat": seat, "given_name": "Hot", "family_name": "Buyer"}
                for seat in hold["seats"]
            ],
        }
        booked = await self._call(tally, "book", "POST", "/api/v1/bookings", payment)
        if booked is None:
            return
        if booked.status_code != 201:
            tally.refusals[f"book {booked.status_code} {booked.json().get('title', '')}"] += 1
            return
        tally.bookings += 1
        tally.booked_seats += len(hold["seats"])
        tally.last_booking_at = time.monotonic() - began[0]

    async def _from_the_map(self, want: int, tally: Tally, began: list[float]) -> None:
        answer = await self._call(tally, "map", "GET", f"/api/v1/flights/{self._flight}/seats")
        if answer is None or answer.status_code != 200:
            if answer is not None:
                tally.refusals[f"map {answer.status_code}"] += 1
            return
        free = [s["seat"] for s in answer.json()["seats"] if s["status"] == "available"]
        for _ in range(self._args.attempts):
            if not free:
                tally.gave_up["sold out"] += 1
                return
            seats = self._rng.sample(free, min(want, len(free)))
            body = {"flight_id": self._flight, "seats": seats}
            held = await self._call(tally, "hold", "POST", "/api/v1/holds", body)
            if held is None:
                return
            if held.status_code == 409 and "available" in (refusal := held.json()):
                tally.refusals["hold 409 seats taken"] += 1
                free = refusal["available"]  # the seats free now: no map to reread
                continue
            if held.status_code != 201:
                tally.refusals[f"hold {held.status_code} {held.json().get('title', '')}"] += 1
                return
            await self._pay(held, tally, began)
            return
        tally.gave_up["attempts spent"] += 1


async def all_at_once(buyers: Sequence[Buyer], tally: Tally, seconds: float) -> None:
    """Every buyer started at one instant (`go`), and each one still at it after
    `seconds` stopped and counted as an error, as is any that failed."""
    go, began = asyncio.Event(), [0.0]
    tasks = [asyncio.create_task(buyer.run(go, tally, began)) for buyer in buyers]
    await asyncio.sleep(0.5)  # every task waiting on the start
    began[0] = time.monotonic()
    go.set()
    done, pending = await asyncio.wait(tasks, timeout=seconds)
    for task in pending:  # bounded: those still at it at the limit are reported so
        task.cancel()
        tally.errors["unfinished at the time limit"] += 1
    for task in done:
        if task.exception() is not None:
            tally.errors[f"buyer: {task.exception()!r}"[:160]] += 1


async def herd(
    base: str, tokens: list[str], flight: int, args: argparse.Namespace, pg: PostgresServer
) -> Tally:
    tally = Tally()
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_waits(pg, args.database, stop))
    # aiohttp, not httpx: with one pool of 500 connections httpx spent ~20 ms of the
    # bench's CPU per request, and the herd measured the client (98% CPU) instead of
    # the servers (8% each).
    connector = aiohttp.TCPConnector(limit=args.buyers)
    timeout = aiohttp.ClientTimeout(total=args.seconds)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as client:
        buyers = [Buyer(client, tokens[i], i, flight, args) for i in range(args.buyers)]
        await all_at_once(buyers, tally, args.seconds)
    stop.set()
    tally.waits = await sampler
    return tally


async def oversold(pg: PostgresServer, database: str, flight: int) -> dict[str, int]:
    """What the database says was sold: seats booked, seats in two live bookings."""
    conn = await asyncpg.connect(pg.dsn(database))
    try:
        booked = await conn.fetchval(
            "SELECT count(*) FROM seats WHERE flight_id = $1 AND status = 'booked'", flight
        )
        doubled = await conn.fetchval(
            "SELECT count(*) FROM (SELECT seat FROM booking_seats WHERE flight_id = $1"
            " AND active GROUP BY seat HAVING count(*) > 1) AS twice",
            flight,
        )
        bookings = await conn.fetchval(
            "SELECT count(*) FROM bookings WHERE flight_id = $1 AND status = 'confirmed'", flight
        )
        in_bookings = await conn.fetchval(
            "SELECT count(*) FROM booking_seats WHERE flight_id = $1 AND active", flight
        )
    finally:
        await conn.close()
    return {
        "seats_booked": int(booked),
        "seats_in_two_bookings": int(doubled),
        "bookings_confirmed": int(bookings),
        "booking_seats": int(in_bookings),
    }


async def sample_waits(pg: PostgresServer, database: str, stop: asyncio.Event) -> Counter[str]:
    """What the database's sessions wait on during the herd, sampled every 50 ms: which
    lock or I/O a hot flight queues behind, or (idle in transaction) which statement the
    app sent last before it kept the transaction waiting. Idle sessions are not counted."""
    seen: Counter[str] = Counter()
    conn = await asyncpg.connect(pg.dsn(database))
    try:
        while not stop.is_set():
            rows = await conn.fetch(
                "SELECT state || ', ' || coalesce(wait_event_type || ':' || wait_event, 'on CPU')"
                " || ', ' || left(regexp_replace(query, '\\s+', ' ', 'g'), 48) AS waiting,"
                " count(*) FROM pg_stat_activity WHERE datname = $1 AND state <> 'idle'"
                " AND pid <> pg_backend_pid() GROUP BY 1",
                database,
            )
            for row in rows:
                seen[row[0]] += row[1]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.05)
    finally:
        await conn.close()
    return seen


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def step_stats(tally: Tally) -> dict[str, dict[str, Any]]:
    """Each step's count and latencies (ms): as the client saw them, and the app's own
    time and its database part, from Server-Timing."""
    return {
        step: {
            "count": len(times),
            "p50_ms": percentile(times, 0.50),
            "p99_ms": percentile(times, 0.99),
            "app_p50_ms": percentile(tally.app_times[step], 0.50),
            "app_p99_ms": percentile(tally.app_times[step], 0.99),
            "db_p50_ms": percentile(tally.db_times[step], 0.50),
        }
        for step, times in tally.times.items()
    }


def step_rows(table: Table, steps: dict[str, dict[str, Any]]) -> None:
    for step, stats in steps.items():
        p50, p99 = stats["p50_ms"], stats["p99_ms"]
        if p50 is None or p99 is None:
            continue
        table.add_row(
            f"{step} p50 / p99 ms ({stats['count']})",
            f"{p50:.1f} / {p99:.1f}; in the app p50 {stats['app_p50_ms']} ms"
            f" (p99 {stats['app_p99_ms']}), of which database p50 {stats['db_p50_ms']} ms",
        )


def measures(
    herds: dict[str, dict[str, Any]], every: dict[str, list[dict[str, Any]]], seats: int
) -> list[dict[str, Any]]:
    """The target is on the herd that asks for seats together (best-available, as the
    web client's "Find N seats together" does); the herd that names seats from the map is
    the same sale bought seat by seat, reported next to it. The rate is the median herd's;
    the seats oversold are the most any herd of the kind oversold."""
    rows = []
    for pick, label in (("best", ""), ("named", ", seats named from the map")):
        rate = herds[pick]["bookings_per_s"]
        sold = max(
            (herd["database"] for herd in every[pick]),
            key=lambda d: max(0, d["seats_booked"] - seats) + d["seats_in_two_bookings"],
        )
        exact = sold["seats_booked"] <= seats and sold["seats_in_two_bookings"] == 0
        rows.append(
            {
                "name": f"hot flight bookings/s{label}",
                "value": rate,
                "unit": "bookings/s",
                "ceiling_name": (
                    "none measured; context: a hosted ticketing product's published"
                    f" ~{PUBLISHED_ORDERS_PER_S:.0f} orders/s per event (not measured here)"
                ),
                "ceiling": None,
                "ratio": None,
                "target": f">= {TARGET_PER_S:.0f}/s, 0 oversold",
                "met": rate >= TARGET_PER_S and exact,
            }
        )
        rows.append(
            {
                "name": f"hot flight seats oversold{label}",
                "value": float(
                    max(0, sold["seats_booked"] - seats) + sold["seats_in_two_bookings"]
                ),
                "unit": "seats",
                "ceiling_name": None,
                "ceiling": None,
                "ratio": None,
                "target": "0",
                "met": exact,
            }
        )
    return rows


@dataclass(frozen=True)
class Scene:
    """One flight on sale, with tiers and a database of its own: where to reach them."""

    base: str
    tokens: list[str]
    flight: int
    database: str


@contextlib.contextmanager
def one_flight(
    pg: PostgresServer, name: str, buyers: int, seats: int, workers: int, pool: int | None = None
) -> Iterator[Scene]:
    """`buyers` accounts and a flight of `seats` in a database of their own, and the tiers
    a booking crosses, as `lastseat up` runs them; all of it gone afterwards."""
    database = f"lastseat_{name}_{uuid.uuid4().hex[:8]}"
    workdir = Path(tempfile.mkdtemp(prefix=f"lastseat-{name}-"))
    processes: list[Process] = []
    try:
        data = asyncio.run(prepare(pg, database, 0, buyers))
        flight = asyncio.run(create_flight(pg, database, seats))
        port, sandbox_port = free_port(), free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("LASTSEAT_")},
            "LASTSEAT_ENV_FILE": "/dev/null/lastseat.env",
            "LASTSEAT_DATABASE_URL": pg.sqlalchemy_url(database),
            "LASTSEAT_PAYMENTS_URL": f"http://127.0.0.1:{sandbox_port}",
            "LASTSEAT_LOG_LEVEL": "warning",
            # As `lastseat up` runs them: the mailer draws and sends the tickets.
            "LASTSEAT_MAIL_SEND_IN_SERVERS": "false",
            **({"LASTSEAT_POOL_SIZE": str(pool)} if pool else {}),
        }
        start_booking_tiers(env, workdir, processes, port, sandbox_port, workers)
        yield Scene(f"http://127.0.0.1:{port}", data["tokens"].split(), flight, database)
    finally:
        tear_down(processes, pg, database, workdir)


def sell(pick: str, args: argparse.Namespace, pg: PostgresServer) -> dict[str, Any]:
    """One herd on one flight, with tiers and a database of its own."""
    args.pick = pick
    with one_flight(pg, "hot", args.buyers, args.seats, args.workers, args.pool) as scene:
        args.database = scene.database
        how = "ask for seats together" if pick == "best" else "name seats from the map"
        console.print(f"{args.buyers} buyers {how}, one flight of {args.seats} seats, all at once")
        tally = asyncio.run(herd(scene.base, scene.tokens, scene.flight, args, pg))
        sold = asyncio.run(oversold(pg, scene.database, scene.flight))

    span = tally.last_booking_at or float("nan")
    rate = tally.bookings / span if tally.bookings else 0.0
    steps = step_stats(tally)
    results = {
        "pick": pick,
        "bookings": tally.bookings,
        "seats_booked_by_herd": tally.booked_seats,
        "seconds_to_last_booking": span,
        "sold_out": sold["seats_booked"] == args.seats,
        "bookings_per_s": rate,
        "seats_per_s": tally.booked_seats / span if tally.bookings else 0.0,
        "steps": steps,
        "refusals": dict(tally.refusals),
        "gave_up": dict(tally.gave_up),
        "errors": dict(tally.errors),
        "database": sold,
        "database_waits_sampled": dict(tally.waits.most_common()),
    }
    table = Table(title=f"hot flight: {args.buyers} buyers {how}, {args.seats} seats")
    for column in ("measure", "value"):
        table.add_column(column)
    table.add_row("bookings/s on the flight", f"{rate:.1f}")
    table.add_row("seats/s", f"{results['seats_per_s']:.1f}")
    table.add_row("time to last booking (s)", f"{span:.2f}, sold out: {results['sold_out']}")
    step_rows(table, steps)
    table.add_row("refusals", json.dumps(dict(tally.refusals)))
    table.add_row("gave up", json.dumps(dict(tally.gave_up)))
    table.add_row("errors", json.dumps(dict(tally.errors)) or "none")
    table.add_row("database", json.dumps(sold))
    table.add_row("sessions waiting (samples)", json.dumps(dict(tally.waits.most_common(6))))
    console.print(table)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="120 buyers for 96 seats")
    parser.add_argument("--buyers", type=int, default=500)
    parser.add_argument("--seats", type=int, default=400)
    parser.add_argument("--attempts", type=int, default=6, help="holds tried per buyer")
    parser.add_argument("--seconds", type=float, default=120, help="the herd's time limit")
    parser.add_argument("--workers", type=int, default=2, help="app server processes")
    parser.add_argument("--pool", type=int, default=None, help="connections per app server")
    parser.add_argument(
        "--pick",
        choices=("both", "best", "named"),
        default="both",
        help="how buyers pick: seats chosen for them (best-available), named from the map",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="herds of each kind (the median reported)"
    )
    args = parser.parse_args()
    if args.quick:
        args.buyers, args.seats, args.seconds, args.rounds = 120, 96, 15, 1
    picks = ("best", "named") if args.pick == "both" else (args.pick,)
    pg = find_or_start()
    # Rounds of every herd in turn, so a spell of the machine's other load falls on each
    # kind alike; each kind's median herd is reported, and every herd is in the JSON.
    every: dict[str, list[dict[str, Any]]] = {pick: [] for pick in picks}
    for _ in range(args.rounds):
        for pick in picks:
            every[pick].append(sell(pick, args, pg))
    herds = {pick: median_run(every[pick], itemgetter("bookings_per_s")) for pick in picks}
    results = {
        "buyers": args.buyers,
        "seats": args.seats,
        "workers": args.workers,
        "pool_size": args.pool or default_pool_size(),  # (the servers get no LASTSEAT_POOL_SIZE)
        "rounds": args.rounds,
        **herds,
        "every_herd": every,
        "measures": measures(herds, every, args.seats) if len(herds) == 2 else [],
    }
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "hot_flight.json").write_text(json.dumps(results, indent=2))
    console.print(f"results written to {out / 'hot_flight.json'}")


if __name__ == "__main__":
    main()
