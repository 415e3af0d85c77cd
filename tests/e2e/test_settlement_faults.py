"""A process killed between the provider's capture and its record of it: the booking is
cancelled on another server, and the money is refunded (not voided in vain, forever).
Reproduced as reported: book on server A, kill -9 A the moment the 201 arrives, cancel on
server B; on both databases."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from uuid import UUID

import httpx
import sqlalchemy as sa

from lastseat.adapters.db.database import engine_of
from lastseat.adapters.db.tables import bookings
from lastseat.bootstrap import build_services
from tests.support.databases import make_settings
from tests.support.over_http import make_flight, make_users, sandbox_state
from tests.support.passengers import passengers_json
from tests.support.servers import AppServer, AppServers

ATTEMPTS = 5


async def _recorded(database_url: str, booking_id: str) -> tuple[str, str]:
    """The booking's payment status and authorization, as our database has them."""
    services = build_services(make_settings(database_url))
    try:
        async with engine_of(services.database).connect() as conn:
            row = await conn.execute(
                sa.select(bookings.c.payment_status, bookings.c.payment_id).where(
                    bookings.c.id == UUID(booking_id)
                )
            )
            status, payment = row.one()
            return str(status), str(payment)
    finally:
        await services.close()


async def test_a_capture_lost_with_its_process_is_refunded_on_cancel(
    app_servers: AppServers, server_logs: Path
) -> None:
    b = app_servers.servers[1]
    async with httpx.AsyncClient(timeout=30) as client:
        [auth] = await make_users(client, app_servers, "killed-capture", 1)
        flight_id = await make_flight(client, app_servers, "LS975")
        for attempt in range(ATTEMPTS):
            a = AppServer(app_servers.env, server_logs / f"app-killed-{attempt}.log").start()
            try:
                hold = await client.post(
                    a.url + "/api/v1/holds",
                    json={"flight_id": flight_id, "seats": [f"{10 + attempt}A"]},
                    headers=auth,
                )
                booked = await client.post(
                    a.url + "/api/v1/bookings",
                    json={
                        "hold_id": hold.json()["id"],
                        "payment": {"token": "tok_ok"},
                        "passengers": passengers_json(hold.json()["seats"]),
                    },
                    headers=auth,
                )
                assert a.process is not None
                os.kill(a.process.pid, signal.SIGKILL)  # before its capture is written down
                a.process.wait()
                a.process = None
            finally:
                a.stop()
            assert booked.status_code == 201, booked.text
            booking = booked.json()
            if (await _recorded(app_servers.database_url, booking["id"]))[0] == "authorized":
                break  # the provider captured; our record says otherwise
        else:
            raise AssertionError(f"the capture was recorded every time in {ATTEMPTS} tries")
        cancelled = await client.post(
            b.url + f"/api/v1/bookings/{booking['id']}/cancel", headers=auth
        )
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        status, payment = await _recorded(app_servers.database_url, booking["id"])
        assert status == "refunded"
        state = await sandbox_state(client, app_servers, payment)
        assert state["status"] == "refunded" and state["refunded"] == booking["total"]["amount"]
