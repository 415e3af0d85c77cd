"""Processes killed around a booking's capture, which happens after the commit (the
traveller waits for the authorization only), on both databases:
- killed after the commit, before the capture: another server's round captures it;
- killed between the provider's capture and its record of it: another server writes it
  down without a second charge, or, if the booking is cancelled first, refunds it (not
  voided in vain, forever). Reproduced as reported: book on server A, kill -9 A the moment
  the 201 arrives, cancel on server B."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any
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
from tests.support.waiting import eventually

ATTEMPTS = 10
# A round captures what its process left once the grace is over; bounded, with room for
# a round's interval and a busy machine.
ROUND_SECONDS = 60.0


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


async def _book_then_kill(
    client: httpx.AsyncClient,
    app_servers: AppServers,
    server: AppServer,
    auth: dict[str, str],
    flight_id: int,
    seat: str,
) -> dict[str, Any]:
    """Book `seat` on `server`, and kill -9 it the moment the 201 arrives."""
    server.start()
    try:
        hold = await client.post(
            server.url + "/api/v1/holds",
            json={"flight_id": flight_id, "seats": [seat]},
            headers=auth,
        )
        booked = await client.post(
            server.url + "/api/v1/bookings",
            json={
                "hold_id": hold.json()["id"],
                "payment": {"token": "tok_ok"},
                "passengers": passengers_json(hold.json()["seats"]),
            },
            headers=auth,
        )
        assert server.process is not None
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()
        server.process = None
    finally:
        server.stop()
    assert booked.status_code == 201, booked.text
    assert booked.json()["status"] == "confirmed"
    body: dict[str, Any] = booked.json()
    return body


async def _captured_by_a_round(
    client: httpx.AsyncClient, app_servers: AppServers, booking: dict[str, Any]
) -> None:
    """The booking ends captured, in our record and in the provider's ledger, once."""

    async def recorded() -> bool:
        status, _ = await _recorded(app_servers.database_url, booking["id"])
        return status == "captured"

    await eventually(recorded, "a round of the surviving server captured", ROUND_SECONDS, 0.25)
    _, payment = await _recorded(app_servers.database_url, booking["id"])
    state = await sandbox_state(client, app_servers, payment)
    assert state["status"] == "captured" and state["captured"] == booking["total"]["amount"]


async def test_a_booking_whose_process_died_before_its_capture_is_captured_by_another(
    app_servers: AppServers, server_logs: Path
) -> None:
    # A server whose captures are never answered: its bookings are committed, the 201 sent,
    # and the capture not made when it dies.
    stalled = AppServer(
        app_servers.env,
        server_logs / "app-capture-stalled.log",
        launcher=("tests.support.stalled_server", "capture_never_answered"),
    )
    async with httpx.AsyncClient(timeout=30) as client:
        [auth] = await make_users(client, app_servers, "uncaptured", 1)
        flight_id = await make_flight(client, app_servers, "LS976")
        booking = await _book_then_kill(client, app_servers, stalled, auth, flight_id, "9A")
        status, payment = await _recorded(app_servers.database_url, booking["id"])
        assert status == "authorized"
        assert (await sandbox_state(client, app_servers, payment))["status"] == "authorized"
        await _captured_by_a_round(client, app_servers, booking)


async def _capture_lost_with_its_process(
    client: httpx.AsyncClient,
    app_servers: AppServers,
    server_logs: Path,
    auth: dict[str, str],
    flight_id: int,
    row: int,
) -> dict[str, Any]:
    """A booking whose capture the provider made and whose process died before writing
    it down (the kill lands in that window on some of the attempts)."""
    for attempt in range(ATTEMPTS):
        server = AppServer(app_servers.env, server_logs / f"app-killed-{row}-{attempt}.log")
        booking = await _book_then_kill(
            client, app_servers, server, auth, flight_id, f"{row + attempt}A"
        )
        status, payment = await _recorded(app_servers.database_url, booking["id"])
        provider = (await sandbox_state(client, app_servers, payment))["status"]
        if status == "authorized" and provider == "captured":
            return booking  # the provider captured; our record says otherwise
    raise AssertionError(f"the kill never fell between capture and record in {ATTEMPTS} tries")


async def test_a_capture_lost_with_its_process_is_written_down_without_a_second_charge(
    app_servers: AppServers, server_logs: Path
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        [auth] = await make_users(client, app_servers, "lost-capture-record", 1)
        flight_id = await make_flight(client, app_servers, "LS977")
        booking = await _capture_lost_with_its_process(
            client, app_servers, server_logs, auth, flight_id, 10
        )
        await _captured_by_a_round(client, app_servers, booking)


async def test_a_capture_lost_with_its_process_is_refunded_on_cancel(
    app_servers: AppServers, server_logs: Path
) -> None:
    b = app_servers.servers[1]
    async with httpx.AsyncClient(timeout=30) as client:
        [auth] = await make_users(client, app_servers, "killed-capture", 1)
        flight_id = await make_flight(client, app_servers, "LS975")
        booking = await _capture_lost_with_its_process(
            client, app_servers, server_logs, auth, flight_id, 10
        )
        cancelled = await client.post(
            b.url + f"/api/v1/bookings/{booking['id']}/cancel", headers=auth
        )
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        status, payment = await _recorded(app_servers.database_url, booking["id"])
        assert status == "refunded"
        state = await sandbox_state(client, app_servers, payment)
        assert state["status"] == "refunded" and state["refunded"] == booking["total"]["amount"]
