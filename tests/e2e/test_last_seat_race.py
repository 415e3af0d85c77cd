"""Hundreds of clients over real HTTP, two app server processes: a seat is sold once."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import TypedDict
from uuid import UUID

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from lastseat.adapters.db.tables import holds, seats
from tests.support.over_http import make_flight, make_users
from tests.support.servers import AppServers

CLIENTS = 300
LIMITS = httpx.Limits(max_connections=CLIENTS + 10, max_keepalive_connections=CLIENTS + 10)


class HoldBody(TypedDict):
    flight_id: int
    seats: list[str]


async def _race(
    client: httpx.AsyncClient,
    app_servers: AppServers,
    users: list[dict[str, str]],
    bodies: list[HoldBody],
) -> list[httpx.Response]:
    start = asyncio.Event()

    async def attempt(i: int) -> httpx.Response:
        await start.wait()
        return await client.post(
            app_servers.url(i) + "/api/v1/holds", json=bodies[i], headers=users[i]
        )

    tasks = [asyncio.create_task(attempt(i)) for i in range(len(bodies))]
    await asyncio.sleep(0.2)  # every task is parked on the event: release them together
    start.set()
    return list(await asyncio.wait_for(asyncio.gather(*tasks), timeout=120))


async def _active_holds(database_url: str, flight_id: int) -> dict[UUID, list[str]]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.select(holds.c.id, holds.c.seats).where(
                    holds.c.flight_id == flight_id, holds.c.status == "active"
                )
            )
            found = {row[0]: list(row[1]) for row in rows}
            seat_rows = await conn.execute(
                sa.select(seats.c.seat, seats.c.hold_id).where(
                    seats.c.flight_id == flight_id, seats.c.status == "held"
                )
            )
            held_by = {row[0]: row[1] for row in seat_rows}
    finally:
        await engine.dispose()
    # every seat row agrees with the hold that claims it, and nothing else is held
    assert held_by == {seat: hold for hold, names in found.items() for seat in names}
    return found


async def test_300_clients_one_seat_exactly_one_wins(app_servers: AppServers) -> None:
    async with httpx.AsyncClient(limits=LIMITS, timeout=60) as client:
        users = await make_users(client, app_servers, "solo", CLIENTS)
        flight_id = await make_flight(client, app_servers, "LS300")
        bodies: list[HoldBody] = [{"flight_id": flight_id, "seats": ["15C"]}] * CLIENTS
        responses = await _race(client, app_servers, users, bodies)
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: CLIENTS - 1}, statuses
    for response in responses:
        if response.status_code == 409:
            assert response.json()["seats"] == ["15C"]
    winners = await _active_holds(app_servers.database_url, flight_id)
    assert list(winners.values()) == [["15C"]]
    assert {r.json()["id"] for r in responses if r.status_code == 201} == {str(h) for h in winners}


async def test_overlapping_multi_seat_holds_never_share_or_split(app_servers: AppServers) -> None:
    rng = random.Random(2027)
    row_seats = [f"{row}{letter}" for row in range(10, 13) for letter in "ABCDEF"]
    async with httpx.AsyncClient(limits=LIMITS, timeout=60) as client:
        users = await make_users(client, app_servers, "multi", CLIENTS)
        flight_id = await make_flight(client, app_servers, "LS301")
        bodies: list[HoldBody] = []
        for _ in range(CLIENTS):
            size = rng.randint(2, 4)
            first = rng.randrange(len(row_seats) - size)
            bodies.append({"flight_id": flight_id, "seats": row_seats[first : first + size]})
        responses = await _race(client, app_servers, users, bodies)
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, statuses
    assert statuses[201] >= 1
    granted = {r.json()["id"]: r.json()["seats"] for r in responses if r.status_code == 201}
    claimed = [seat for names in granted.values() for seat in names]
    assert len(claimed) == len(set(claimed)), "a seat ended up in two holds"
    for body, response in zip(bodies, responses, strict=True):
        if response.status_code == 201:
            assert sorted(response.json()["seats"]) == sorted(body["seats"])
        else:
            # refused requests name only seats that a winning hold really has
            assert set(response.json()["seats"]) <= set(claimed)
    in_db = await _active_holds(app_servers.database_url, flight_id)
    assert {str(k): sorted(v) for k, v in in_db.items()} == {
        k: sorted(v) for k, v in granted.items()
    }
