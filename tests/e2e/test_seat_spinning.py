"""Seat spinning across app server processes: one customer's concurrent holds, spread over
two servers, are counted by the database, so the customer's limit holds as it does in one."""

from __future__ import annotations

import asyncio

import httpx

from tests.support.over_http import make_flight, make_users
from tests.support.servers import AppServers

PER_FLIGHT = 9  # the default LASTSEAT_HOLD_MAX_SEATS_PER_FLIGHT, which the app servers keep


async def test_one_customer_over_two_servers_holds_no_more_than_the_limit(
    app_servers: AppServers,
) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        [bot] = await make_users(client, app_servers, "spinner", 1)
        flight_id = await make_flight(client, app_servers, "LS990")
        seats = [f"{row}{letter}" for row in range(3, 30) for letter in "ABCDEF"]
        blocks = [seats[i * PER_FLIGHT : (i + 1) * PER_FLIGHT] for i in range(16)]
        answers = await asyncio.gather(
            *(
                client.post(
                    app_servers.url(n) + "/api/v1/holds",
                    json={"flight_id": flight_id, "seats": block},
                    headers=bot,
                )
                for n, block in enumerate(blocks)
            )
        )
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [201] + [409] * 15, [a.text for a in answers if a.status_code != 409]
        refused = [a.json() for a in answers if a.status_code == 409]
        assert {(p["limit"], p["maximum"]) for p in refused} == {("seats-per-flight", PER_FLIGHT)}
        seat_map = (
            await client.get(app_servers.url() + f"/api/v1/flights/{flight_id}/seats")
        ).json()
        held = [s for s in seat_map["seats"] if s["status"] != "available"]
        assert len(held) == PER_FLIGHT
