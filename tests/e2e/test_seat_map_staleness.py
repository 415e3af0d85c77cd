"""Seat maps from memory lag the database by at most the feed's delay, and never sell.

On PostgreSQL each app server keeps seat maps in memory and drops a flight's map when
the LISTEN/NOTIFY feed reports a change from any process, so a map lags by the delivery
time of one notification (milliseconds on one machine). On SQLite there is no feed and
no cache: every GET reads the database. The bound below is generous on purpose, so a
noisy machine cannot flake the test; what it checks is that staleness is bounded at all.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.support.over_http import make_flight, make_users
from tests.support.servers import AppServers

STALENESS_BOUND_SECONDS = 2.0
HOLDS = 30
MAX_READS = 5_000


async def test_no_map_read_later_than_the_bound_shows_a_held_seat_free(
    app_servers: AppServers,
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        # four writers, so none holds more than one customer may (eight seats each)
        *writers, bob = await make_users(client, app_servers, "stale", 5)
        flight_id = await make_flight(client, app_servers, "LS970")
        seats_url = app_servers.url(1) + f"/api/v1/flights/{flight_id}/seats"
        before = (await client.get(seats_url)).json()
        seats = [f"{row}{letter}" for row in range(5, 10) for letter in "ABCDEF"][:HOLDS]
        acked: dict[str, float] = {}
        reads: list[tuple[float, dict[str, str]]] = []
        writing_done = asyncio.Event()

        async def write() -> None:
            for index, seat in enumerate(seats):  # through the first server
                response = await client.post(
                    app_servers.url(0) + "/api/v1/holds",
                    json={"flight_id": flight_id, "seats": [seat]},
                    headers=writers[index % len(writers)],
                )
                assert response.status_code == 201, response.text
                acked[seat] = time.monotonic()
            writing_done.set()

        async def read() -> None:  # through the second, until past the bound after the last
            for _ in range(MAX_READS):
                sent = time.monotonic()
                body = (await client.get(seats_url)).json()
                reads.append((sent, {s["seat"]: s["status"] for s in body["seats"]}))
                if writing_done.is_set() and sent > max(acked.values()) + STALENESS_BOUND_SECONDS:
                    return
                await asyncio.sleep(0.01)

        await asyncio.gather(write(), read())
        checked = 0
        for sent, statuses in reads:
            for seat, at in acked.items():
                if sent > at + STALENESS_BOUND_SECONDS:
                    checked += 1
                    assert statuses[seat] == "held", f"{seat} free {sent - at:.2f}s after its hold"
        assert checked >= HOLDS  # the last read alone checks every hold

        # A map that is stale for sure (read before any hold) shows these seats free: a hold
        # on them, through either server, is still refused by the database.
        stale = {s["seat"]: s["status"] for s in before["seats"]}
        assert all(stale[seat] == "available" for seat in seats)
        for index in range(2):
            refused = await client.post(
                app_servers.url(index) + "/api/v1/holds",
                json={"flight_id": flight_id, "seats": seats[:3]},
                headers=bob,
            )
            assert refused.status_code == 409
            assert set(refused.json()["seats"]) == set(seats[:3])
