"""Sale day: 5,000 travellers arrive within 10 s for one flight of 400 seats, with the
waiting room on and off (docs/waiting-room.md), on PostgreSQL.

Each traveller (its own account and client address) arrives at a random moment of the
first 10 s and wants 1-4 seats together (best-available, as the web client's "Find seats
together" asks).

- Room off: it asks for its seats at once; a 503 or 429 is retried after its Retry-After
  (at most 5 times, as a patient client would); a refusal that says "sold out" ends it.
- Room on: the sale opens as the first arrive (pace `--rate` a minute, `--cap` active). The
  traveller joins the line, asks for its place again when the answer says
  (`poll_after_seconds`), and once admitted holds its seats with the admission and pays.
  A place that says the flight is sold out ends it.

Reported for each: seats sold (never more than the flight has), time to sell out, p50/p99
of each step, errors by kind, and for the room: admissions per minute as the database
recorded them (the most in any 60 s), 5xx seen by admitted travellers (none allowed), the
wait in line, and the room's own cost per request: the app's time for a join and for a
place read (Server-Timing).

    .venv/bin/python bench/sale_day.py [--quick] [--room on|off|both]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from hot_flight import (
    Buyer,
    Tally,
    all_at_once,
    one_flight,
    oversold,
    percentile,
    step_rows,
    step_stats,
)
from rich.console import Console
from rich.table import Table

from lastseat.bootstrap import build_services
from lastseat.config import Settings
from lastseat.domain.waiting_room import Sale
from lastseat.stack.postgres import PostgresServer, find_or_start

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
console = Console(width=140)
STEPS = ("join", "place", "hold", "book")
RETRIES = 5
# How long before the first arrival the sale is opened, so every app server knows of it
# (they re-read sales at most once a second).
SALE_LEAD_SECONDS = 2.0


class Traveller(Buyer):
    """A buyer of hot_flight.py on a sale day: seats together, through the room or not."""

    def __init__(self, *args: Any, arrives_in: float, room: bool) -> None:
        super().__init__(*args)
        self._arrives_in = arrives_in
        self._room = room
        self.admitted_after: float | None = None  # seconds in line

    async def run(self, go: asyncio.Event, tally: Tally, began: list[float]) -> None:
        await go.wait()
        await asyncio.sleep(self._arrives_in)
        want = self._rng.randint(1, 4)
        admission = await self._wait_for_turn(tally) if self._room else None
        if self._room and admission is None:
            return
        body: dict[str, Any] = {"flight_id": self._flight, "count": want, "cabin": "economy"}
        if admission is not None:
            body["admission"] = admission
        for _ in range(RETRIES + 1):
            held = await self._call(tally, "hold", "POST", "/api/v1/holds", body)
            if held is None:
                return
            if held.status_code in (429, 503):
                tally.refusals[f"hold {held.status_code}"] += 1
                # Their Retry-After is 1 s (a busy database); spread, as clients' clocks are.
                await asyncio.sleep(1.0 + self._rng.random())
                continue
            break
        else:
            tally.gave_up["retries spent"] += 1
            return
        await self._pay_if_held(held, tally, began)

    async def _wait_for_turn(self, tally: Tally) -> str | None:
        """Join, then ask again when told to, until admitted: a 503 is asked again after a
        moment, as the web page does (joining is idempotent: the place is kept)."""
        arrived = time.monotonic()
        path = f"/api/v1/flights/{self._flight}/queue"
        answer = await self._call(tally, "join", "POST", path, {})
        busy = 0
        while answer is not None and answer.status_code == 503 and busy < RETRIES:
            busy += 1
            await asyncio.sleep(1.0 + self._rng.random())
            answer = await self._call(tally, "join", "POST", path, {})
        while answer is not None and answer.status_code in (200, 201, 503):
            if answer.status_code == 503:
                await asyncio.sleep(1.0 + self._rng.random())
                answer = await self._call(tally, "place", "GET", path)
                continue
            place = answer.json()
            if place["state"] == "admitted":
                self.admitted_after = time.monotonic() - arrived
                return str(place["admission"]["token"])
            if place["sold_out"]:
                tally.gave_up["sold out while waiting"] += 1
                return None
            await asyncio.sleep(place["poll_after_seconds"])
            answer = await self._call(tally, "place", "GET", path)
        if answer is not None:
            tally.refusals[f"line {answer.status_code}"] += 1
        return None


async def open_sale(pg: PostgresServer, database: str, flight: int, args: Any) -> datetime:
    """The sale, opening SALE_LEAD_SECONDS from now: when the first travellers arrive."""
    settings = Settings(_env_file=None, database_url=pg.sqlalchemy_url(database))
    services = build_services(settings)
    opens_at = datetime.now(UTC) + timedelta(seconds=SALE_LEAD_SECONDS)
    try:
        await services.waiting_room.open_sale(
            Sale(flight, opens_at, args.rate, args.cap, timedelta(minutes=10))
        )
    finally:
        await services.close()
    return opens_at


async def admissions(pg: PostgresServer, database: str, flight: int) -> dict[str, Any]:
    """Admissions as the database recorded them: how many, over how long, the most in
    any 60 s (the pace's bound is the rate plus a second's worth)."""
    conn = await asyncpg.connect(pg.dsn(database))
    try:
        times = [
            row[0]
            for row in await conn.fetch(
                "SELECT admitted_at FROM sale_places WHERE flight_id = $1"
                " AND admitted_at IS NOT NULL ORDER BY admitted_at",
                flight,
            )
        ]
        waiting = await conn.fetchval(
            "SELECT count(*) FROM sale_places WHERE flight_id = $1 AND admitted_at IS NULL",
            flight,
        )
    finally:
        await conn.close()
    most, first = 0, 0
    for last, moment in enumerate(times):
        while moment - times[first] >= timedelta(seconds=60):
            first += 1
        most = max(most, last - first + 1)
    span = (times[-1] - times[0]).total_seconds() if len(times) > 1 else 0.0
    return {
        "admitted": len(times),
        "still_waiting": int(waiting),
        "admitting_seconds": span,
        "most_in_any_60_s": most,
    }


async def crowd(
    base: str, tokens: list[str], flight: int, args: argparse.Namespace, room: bool
) -> tuple[Tally, list[float]]:
    tally = Tally(
        times={s: [] for s in STEPS},
        app_times={s: [] for s in STEPS},
        db_times={s: [] for s in STEPS},
    )
    rng = random.Random(7)
    connector = aiohttp.TCPConnector(limit=args.connections)
    timeout = aiohttp.ClientTimeout(total=args.seconds)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as client:
        travellers = [
            Traveller(
                client,
                tokens[i],
                i,
                flight,
                args,
                arrives_in=rng.uniform(0, args.arrival_seconds),
                room=room,
            )
            for i in range(args.travellers)
        ]
        await all_at_once(travellers, tally, args.seconds)
    waits = [t.admitted_after for t in travellers if t.admitted_after is not None]
    return tally, waits


def sell(room: bool, args: argparse.Namespace, pg: PostgresServer) -> dict[str, Any]:
    """One sale day on one flight, with tiers and a database of its own."""
    name = "room on" if room else "room off"
    with one_flight(pg, "sale", args.travellers, args.seats, args.workers) as scene:
        if room:
            asyncio.run(open_sale(pg, scene.database, scene.flight, args))
            time.sleep(SALE_LEAD_SECONDS)
        console.print(
            f"{name}: {args.travellers} travellers arrive within {args.arrival_seconds:.0f} s"
            f" for {args.seats} seats"
        )
        tally, waits = asyncio.run(crowd(scene.base, scene.tokens, scene.flight, args, room))
        sold = asyncio.run(oversold(pg, scene.database, scene.flight))
        admitted = asyncio.run(admissions(pg, scene.database, scene.flight)) if room else None
    return report(name, tally, waits, sold, admitted, args)


def report(
    name: str,
    tally: Tally,
    waits: list[float],
    sold: dict[str, int],
    admitted: dict[str, Any] | None,
    args: argparse.Namespace,
) -> dict[str, Any]:
    span = tally.last_booking_at or float("nan")
    steps = step_stats(tally)
    # Those let in (holds and payments) must see none; those waiting may meet a 503 in
    # the first rush, and ask again (their place is kept).
    admitted_errors = sum(
        n for kind, n in tally.errors.items() if kind.startswith(("hold: 5", "book: 5"))
    )
    waiting_errors = sum(
        n for kind, n in tally.errors.items() if kind.startswith(("join: 5", "place: 5"))
    )
    results: dict[str, Any] = {
        "room": name,
        "bookings": tally.bookings,
        "seats_booked_by_travellers": tally.booked_seats,
        "sold_out": sold["seats_booked"] == args.seats,
        "seconds_to_last_booking": span,
        "steps": steps,
        "errors": dict(tally.errors),
        "server_errors_after_admission": admitted_errors,
        "server_errors_while_waiting": waiting_errors,
        "refusals": dict(tally.refusals),
        "gave_up": dict(tally.gave_up),
        "database": sold,
        "oversold": max(0, sold["seats_booked"] - args.seats) + sold["seats_in_two_bookings"],
        "admissions": admitted,
        "wait_in_line_p50_s": percentile(waits, 0.50),
        "wait_in_line_p99_s": percentile(waits, 0.99),
    }
    table = Table(title=f"sale day, {name}: {args.travellers} travellers, {args.seats} seats")
    for column in ("measure", "value"):
        table.add_column(column)
    table.add_row("seats sold (database)", f"{sold['seats_booked']} of {args.seats}")
    table.add_row("bookings", str(tally.bookings))
    table.add_row("time to last booking (s)", f"{span:.1f}, sold out: {results['sold_out']}")
    step_rows(table, steps)
    if admitted is not None:
        table.add_row("admissions (database)", json.dumps(admitted))
        table.add_row(
            "wait in line p50 / p99 (s)",
            f"{results['wait_in_line_p50_s']} / {results['wait_in_line_p99_s']}",
        )
    table.add_row("errors (5xx and transport)", json.dumps(dict(tally.errors)) or "none")
    table.add_row("refusals", json.dumps(dict(tally.refusals)))
    table.add_row("gave up", json.dumps(dict(tally.gave_up)))
    console.print(table)
    return results


def measures(days: dict[str, dict[str, Any]], args: argparse.Namespace) -> list[dict[str, Any]]:
    """The sale-day rows of `make bench`'s report: with the room on, no 5xx, nothing
    oversold, and admissions at the pace set."""
    on = days["on"]
    pace_bound = args.rate + max(1, -(-args.rate // 60))
    return [
        {
            "name": "sale day, room on: 5xx seen by admitted travellers",
            "value": float(on["server_errors_after_admission"]),
            "unit": "answers",
            "ceiling_name": None,
            "ceiling": None,
            "ratio": None,
            "target": "0",
            "met": on["server_errors_after_admission"] == 0,
        },
        {
            "name": "sale day, room on: most admitted in any 60 s",
            "value": float(on["admissions"]["most_in_any_60_s"]),
            "unit": "travellers",
            "ceiling_name": None,
            "ceiling": None,
            "ratio": None,
            "target": f"<= {pace_bound} (the pace set, {args.rate}/min, and a second's worth)",
            "met": on["admissions"]["most_in_any_60_s"] <= pace_bound,
        },
        {
            "name": "sale day, seats oversold (room on / off)",
            "value": float(on["oversold"] + days["off"]["oversold"]),
            "unit": "seats",
            "ceiling_name": None,
            "ceiling": None,
            "ratio": None,
            "target": "0",
            "met": on["oversold"] + days["off"]["oversold"] == 0,
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1,000 travellers, 96 seats")
    parser.add_argument("--travellers", type=int, default=5_000)
    parser.add_argument("--arrival-seconds", type=float, default=10.0)
    parser.add_argument("--seats", type=int, default=400)
    parser.add_argument("--rate", type=int, default=1_200, help="admissions a minute")
    parser.add_argument("--cap", type=int, default=200, help="admitted and not done at once")
    parser.add_argument("--seconds", type=float, default=240, help="each day's time limit")
    parser.add_argument("--connections", type=int, default=1_000, help="the client's pool")
    parser.add_argument("--workers", type=int, default=2, help="app server processes")
    parser.add_argument("--room", choices=("both", "on", "off"), default="both")
    args = parser.parse_args()
    if args.quick:
        args.travellers, args.seats, args.arrival_seconds, args.seconds = 1_000, 96, 5.0, 90
    args.attempts, args.pick = 1, "best"  # what hot_flight's Buyer reads
    pg = find_or_start()
    rooms = ("on", "off") if args.room == "both" else (args.room,)
    days = {room: sell(room == "on", args, pg) for room in rooms}
    results = {
        "travellers": args.travellers,
        "arrival_seconds": args.arrival_seconds,
        "seats": args.seats,
        "rate_per_minute": args.rate,
        "cap": args.cap,
        "workers": args.workers,
        **days,
        "measures": measures(days, args) if len(days) == 2 else [],
    }
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "sale_day.json").write_text(json.dumps(results, indent=2))
    console.print(f"results written to {out / 'sale_day.json'}")


if __name__ == "__main__":
    main()
