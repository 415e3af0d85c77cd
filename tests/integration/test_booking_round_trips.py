"""One booking's round trips to PostgreSQL, counted at the driver and pinned (docs/payments.md,
"One booking's round trips"): a change that adds a wait on the database to the confirm, or
to the hold beyond what it takes today, fails here. A count, not a timing.

Counted on the second booking of a connection (its statements are prepared by then, as in
a server that has run a while), through the HTTP API in-process, with Idempotency-Keys as
the web client sends them.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from lastseat.adapters.db.database import engine_of
from lastseat.bootstrap import Services
from tests.support.asgi import bearer, signed_in
from tests.support.passengers import passengers_json
from tests.support.payments import FakePayments
from tests.support.round_trips import RoundTrips, counting
from tests.support.waiting import eventually

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

# The confirm (POST /bookings), in order: what the traveller waits for, with the one
# provider call (authorize) between the hold's read and the transaction.
CONFIRM = [
    # the bearer token's user: read once a session while the change feed is live (below)
    "SELECT users.id, users.email, users.role,",
    "SELECT id, user_id, flight_id,",  # the hold, to price and authorize
    "BEGIN ISOLATION LEVEL READ",
    "INSERT INTO idempotency_keys (user_id,",  # the key claimed (a retry finds it)
    "UPDATE holds SET status",  # the hold taken, if still live and the caller's
    # the booking, its seats and passengers, the seats booked, the seat-map change and the
    # ticket in the outbox: one statement
    "WITH booking AS (INSERT",
    "COMMIT;",
]
# After the 201, beside the request: the capture's record, one transaction per batch.
CAPTURE_RECORD = [
    "BEGIN ISOLATION LEVEL READ",
    "UPDATE bookings SET payment_status=$1::VARCHAR",
    "COMMIT;",
]
# The hold (POST /holds) is counted too, and held to no more: the token, the throttles
# (both counted in one statement that commits as it runs), and its transaction (BEGIN, the
# locks, the key, what is held and sold, the hold placed in one statement, COMMIT).
HOLD_AT_MOST = 8


@pytest.fixture
async def ann(api: httpx.AsyncClient) -> dict[str, str]:
    return bearer(await signed_in(api, "ann@example.com"))


def _booking(hold_id: str, seat: str) -> dict[str, Any]:
    return {
        "hold_id": hold_id,
        "payment": {"token": "tok_ok"},
        "passengers": passengers_json([seat]),
    }


async def _hold_and_confirm(
    api: httpx.AsyncClient,
    services: Services,
    trips: RoundTrips,
    auth: dict[str, str],
    flight_id: int,
    seat: str,
    keyed: bool = True,
) -> tuple[list[str], list[str], list[str]]:
    """The round trips of the hold, of the confirm, and of the capture's record."""
    trips.clear()
    held = await api.post(
        "/api/v1/holds",
        json={"flight_id": flight_id, "seats": [seat]},
        headers={**auth, "Idempotency-Key": f"hold-{seat}"} if keyed else auth,
    )
    assert held.status_code == 201, held.text
    hold = trips.statements()
    trips.clear()
    booked = await api.post(
        "/api/v1/bookings",
        json=_booking(held.json()["id"], seat),
        headers={**auth, "Idempotency-Key": f"book-{seat}"} if keyed else auth,
    )
    assert booked.status_code == 201, booked.text
    assert booked.json()["status"] == "confirmed"
    confirm = trips.statements()
    trips.clear()
    await services.settlement.flush()
    return hold, confirm, trips.statements()


@pytest.mark.parametrize("keyed", [True, False], ids=["with-keys", "without-keys"])
@pytest.mark.settings(pool_size=1, pool_max_overflow=0)
async def test_one_booking_takes_the_round_trips_it_needs_and_no_more(
    api: httpx.AsyncClient,
    ann: dict[str, str],
    flight_id: int,
    services: Services,
    payments: FakePayments,
    keyed: bool,
) -> None:
    with counting(engine_of(services.database)) as trips:
        await _hold_and_confirm(api, services, trips, ann, flight_id, "10A", keyed)  # prepares
        payments.calls.clear()
        hold, confirm, record = await _hold_and_confirm(
            api, services, trips, ann, flight_id, "10B", keyed
        )
        assert trips.prepared() == 0  # every statement was prepared on the first booking
    expected = CONFIRM if keyed else [s for s in CONFIRM if "idempotency_keys" not in s]
    assert confirm == expected, "\n".join(confirm)
    assert record == CAPTURE_RECORD
    assert len(hold) <= HOLD_AT_MOST, "\n".join(hold)
    # and the one provider call the traveller waited for; the capture came after the 201
    assert [call for call, _ in payments.calls] == ["authorize", "capture"]
    print(f"\nround trips of the hold, the confirm (keys: {keyed}):", len(hold), len(confirm))


@pytest.mark.settings(pool_size=1, pool_max_overflow=0)
async def test_with_the_change_feed_live_a_signed_in_request_reads_no_token(
    api: httpx.AsyncClient, ann: dict[str, str], flight_id: int, services: Services
) -> None:
    """As an app server runs: the token was read on the first booking, not again."""
    assert services.change_feed is not None
    feed = asyncio.create_task(services.change_feed.run())
    try:

        async def live() -> bool:
            return services.catalog.seat_map_cache_live

        await eventually(live, "the change feed connected")
        with counting(engine_of(services.database)) as trips:
            await _hold_and_confirm(api, services, trips, ann, flight_id, "10A")
            hold, confirm, _ = await _hold_and_confirm(api, services, trips, ann, flight_id, "10B")
    finally:
        feed.cancel()
        await asyncio.gather(feed, return_exceptions=True)
    assert confirm == CONFIRM[1:], "\n".join(confirm)
    assert not [s for s in hold if s.startswith(CONFIRM[0])], "\n".join(hold)


async def test_a_retried_confirm_reads_its_key_once_and_writes_nothing(
    api: httpx.AsyncClient,
    ann: dict[str, str],
    flight_id: int,
    services: Services,
    payments: FakePayments,
) -> None:
    """The key is read only when the hold is gone: a first attempt claims it in its
    transaction and never reads it; a retry finds the hold booked, then the key's booking."""
    held = await api.post(
        "/api/v1/holds", json={"flight_id": flight_id, "seats": ["11A"]}, headers=ann
    )
    body = _booking(held.json()["id"], "11A")
    headers = {**ann, "Idempotency-Key": "book-11A"}
    first = await api.post("/api/v1/bookings", json=body, headers=headers)
    assert first.status_code == 201, first.text
    await services.settlement.flush()
    payments.calls.clear()
    with counting(engine_of(services.database)) as trips:
        again = await api.post("/api/v1/bookings", json=body, headers=headers)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert payments.calls == []  # no second authorization, no second capture
    statements = trips.statements()
    assert [s for s in statements if "idempotency_keys" in s] == [
        "SELECT idempotency_keys.fingerprint, idempotency_keys.resource_id FROM"
    ], "\n".join(statements)
    assert not [s for s in statements if s.startswith(("BEGIN", "INSERT", "UPDATE"))]
