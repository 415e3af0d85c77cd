"""A sale through a waiting room, on both databases (docs/waiting-room.md): holds on the
flight need the traveller's own admission while the sale runs; the line is admitted in
order of arrival (ties within a second, and everyone before the opening, by a fair draw),
at the sale's pace and within its cap, however many app servers admit; joining again
keeps one's place."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncGenerator
from datetime import timedelta
from typing import Any

import grpc
import httpx
import pytest

from lastseat.adapters.db.database import SqlDatabase, engine_of
from lastseat.bootstrap import Services, build_services
from lastseat.domain.errors import NotFound
from lastseat.domain.users import User
from lastseat.domain.waiting_room import Place, PlaceState, Sale
from lastseat.v1 import booking_pb2 as pb
from tests.support.asgi import assert_problem, bearer, signed_in
from tests.support.clock import FakeClock
from tests.support.databases import make_settings
from tests.support.flights import flight_body
from tests.support.passengers import passengers_for
from tests.support.payments import FakePayments
from tests.support.round_trips import counting

pytestmark = pytest.mark.settings(sale_refresh_seconds=0, line_tick_seconds=0.05)


def _sale_body(opens_in: timedelta, clock: FakeClock, **fields: Any) -> dict[str, Any]:
    return {
        "opens_at": (clock.now + opens_in).isoformat(),
        "admissions_per_minute": 60,
        "active_cap": 100,
        **fields,
    }


async def _open_sale(
    api: httpx.AsyncClient, admin: dict[str, str], flight_id: int, body: dict[str, Any]
) -> dict[str, Any]:
    opened = await api.post(f"/api/v1/admin/flights/{flight_id}/sale", json=body, headers=admin)
    assert opened.status_code == 201, opened.text
    return dict(opened.json())


async def _travellers(services: Services, count: int, prefix: str = "t") -> list[User]:
    return [
        await services.accounts.signup(f"{prefix}{n}@example.com", "a-good-password")
        for n in range(count)
    ]


async def _admitted(services: Services, flight_id: int, users: list[User]) -> set[User]:
    """Those of `users` admitted so far, read as stored (a read through the service would
    move the line on as it goes)."""
    assert isinstance(services.database, SqlDatabase)
    async with services.database.units_of_work() as uow:
        places = [await uow.sales.place(flight_id, user.id) for user in users]
    return {
        user
        for user, place in zip(users, places, strict=True)
        if place is not None and place.admitted_at is not None
    }


async def test_holds_on_a_flight_on_sale_need_the_travellers_own_admission(
    api: httpx.AsyncClient,
    admin: dict[str, str],
    flight_id: int,
    services: Services,
    clock: FakeClock,
    grpc_stub: Any,
) -> None:
    ann = bearer(await signed_in(api, "ann@example.com"))
    bob = bearer(await signed_in(api, "bob@example.com"))
    sale = await _open_sale(api, admin, flight_id, _sale_body(timedelta(minutes=5), clock))
    assert sale["state"] == "upcoming" and sale["waiting"] == 0
    hold = {"flight_id": flight_id, "seats": ["12A"]}
    refused = assert_problem(await api.post("/api/v1/holds", json=hold, headers=ann), 403)
    assert refused["type"].endswith(":admission-required") and refused["flight_id"] == flight_id

    joined = await api.post(f"/api/v1/flights/{flight_id}/queue", headers=ann)
    assert joined.status_code == 201, joined.text
    place = joined.json()
    assert place["state"] == "waiting" and place["position"] == 1 and place["admission"] is None
    assert place["wait_seconds"] >= 300  # the countdown, then one's turn
    # a reload joins again: the same place
    again = await api.post(f"/api/v1/flights/{flight_id}/queue", headers=ann)
    assert again.status_code == 200 and again.json()["place_id"] == place["place_id"]
    assert (await api.get(f"/api/v1/flights/{flight_id}/queue", headers=ann)).json() == again.json()

    clock.advance(minutes=5, seconds=1)
    await api.post(f"/api/v1/flights/{flight_id}/queue", headers=bob)  # a second later
    await services.waiting_room.advance(flight_id)
    ann_place = (await api.get(f"/api/v1/flights/{flight_id}/queue", headers=ann)).json()
    assert ann_place["state"] == "admitted", ann_place
    token = ann_place["admission"]["token"]
    bob_place = (await api.get(f"/api/v1/flights/{flight_id}/queue", headers=bob)).json()
    assert bob_place["state"] == "waiting" and bob_place["position"] == 1  # his second goes on

    async def hold_with(who: dict[str, str], admission: str, seat: str) -> httpx.Response:
        body = {"flight_id": flight_id, "seats": [seat], "admission": admission}
        return await api.post("/api/v1/holds", json=body, headers=who)

    reasons = {
        "other-traveller": await hold_with(bob, token, "12B"),
        "forged": await hold_with(ann, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), "12B"),
        "malformed": await hold_with(ann, "adm1.not-a-token", "12B"),
    }
    for reason, answer in reasons.items():
        assert assert_problem(answer, 403, "admission-refused")["reason"] == reason
    held = await hold_with(ann, token, "12A")
    assert held.status_code == 201, held.text
    # gRPC asks the same: no admission, refused; Ann's, accepted
    metadata = (("authorization", ann["Authorization"]),)
    with pytest.raises(grpc.aio.AioRpcError) as no_admission:
        await grpc_stub.HoldSeats(
            pb.HoldSeatsRequest(flight_id=flight_id, seats=["14A"]), metadata=metadata
        )
    assert no_admission.value.code() == grpc.StatusCode.PERMISSION_DENIED
    trailers = dict(no_admission.value.trailing_metadata() or ())
    assert str(trailers["problem-type"]).endswith(":admission-required")
    by_grpc = await grpc_stub.HoldSeats(
        pb.HoldSeatsRequest(flight_id=flight_id, seats=["14A"], admission=token),
        metadata=metadata,
    )
    assert list(by_grpc.seats) == ["14A"]

    clock.advance(minutes=15)  # the admission is over
    expired = assert_problem(await hold_with(ann, token, "12C"), 403, "admission-refused")
    assert expired["reason"] == "expired"
    over = (await api.get(f"/api/v1/flights/{flight_id}/queue", headers=ann)).json()
    assert over["state"] == "expired" and over["admission"] is None
    back = await api.post(f"/api/v1/flights/{flight_id}/queue", headers=ann)
    assert back.status_code == 201 and back.json()["state"] == "waiting"
    assert back.json()["place_id"] != place["place_id"]  # a new place, at the back

    ended = await api.delete(f"/api/v1/admin/flights/{flight_id}/sale", headers=admin)
    assert ended.status_code == 204
    assert (
        await api.post("/api/v1/holds", json={**hold, "seats": ["15A"]}, headers=bob)
    ).status_code == 201
    assert_problem(await api.get(f"/api/v1/flights/{flight_id}/queue", headers=ann), 404)


async def _admitted_now(
    api: httpx.AsyncClient,
    admin: dict[str, str],
    flight_id: int,
    services: Services,
    clock: FakeClock,
    who: dict[str, str],
) -> str:
    """A sale opened now, `who` alone in its line and admitted: their admission token."""
    await _open_sale(api, admin, flight_id, _sale_body(timedelta(0), clock))
    await api.post(f"/api/v1/flights/{flight_id}/queue", headers=who)
    clock.advance(seconds=2)
    await services.waiting_room.advance(flight_id)
    place = (await api.get(f"/api/v1/flights/{flight_id}/queue", headers=who)).json()
    return str(place["admission"]["token"])


async def test_a_token_for_another_flight_is_refused(
    api: httpx.AsyncClient,
    admin: dict[str, str],
    flight_id: int,
    services: Services,
    clock: FakeClock,
) -> None:
    other = await api.post("/api/v1/admin/flights", json=flight_body(code="LS777"), headers=admin)
    ann = bearer(await signed_in(api, "ann@example.com"))
    await _open_sale(api, admin, flight_id, _sale_body(timedelta(0), clock))
    token = await _admitted_now(api, admin, int(other.json()["id"]), services, clock, ann)
    body = {"flight_id": flight_id, "seats": ["12A"], "admission": token}
    refused = assert_problem(await api.post("/api/v1/holds", json=body, headers=ann), 403)
    assert refused["reason"] == "other-flight"


async def test_admission_follows_arrival_with_ties_drawn_fairly(
    services: Services, flight_id: int, clock: FakeClock
) -> None:
    """Everyone who came before the opening, and everyone in its first second, is one tie,
    ordered by the draw (not by who came first); later arrivals in order of arrival."""
    room = services.waiting_room
    opens = clock.now + timedelta(seconds=30)
    await room.open_sale(Sale(flight_id, opens, 60, 1_000, timedelta(minutes=10)))
    users = await _travellers(services, 30)
    tie, late = users[:24], users[24:]
    order: list[User] = []

    async def note_admissions() -> None:
        """Who was admitted since the last look (joining also moves the line on)."""
        newly = await _admitted(services, flight_id, users) - set(order)
        assert len(newly) <= 1  # 60 a minute: one a second
        order.extend(newly)

    for user in tie[:20]:  # before the opening, a second apart
        await room.join(user, flight_id)
        clock.advance(seconds=1)
    clock.now = opens + timedelta(milliseconds=300)
    for user in tie[20:]:  # within the opening second
        await room.join(user, flight_id)
        clock.advance(milliseconds=100)
    for user in late:  # one a second after that
        clock.advance(seconds=1)
        await room.join(user, flight_id)
        await note_admissions()
    for _ in range(2 * len(users)):
        if len(order) == len(users):
            break
        clock.advance(seconds=1)
        await room.advance(flight_id)
        await note_admissions()
    assert set(order[: len(tie)]) == set(tie)
    assert order[len(tie) :] == late
    assert order[: len(tie)] != tie  # drawn, not first come (1 in 24! to fail by chance)


async def test_pace_and_cap_hold_across_app_servers(
    services: Services, flight_id: int, clock: FakeClock, payments: FakePayments
) -> None:
    """Two app servers (two services on one database) advancing the line at once, again
    and again: the pace is the sale's, not the sum of the servers'; the cap counts the
    admitted who have neither booked since nor run out of time."""
    other = build_services(
        make_settings(services.settings.database_url.get_secret_value(), sale_refresh_seconds=0),
        clock=clock,
        payments=payments,
    )
    try:
        room = services.waiting_room
        opens = clock.now + timedelta(seconds=5)
        await room.open_sale(Sale(flight_id, opens, 120, 7, timedelta(minutes=2)))
        users = await _travellers(services, 12)
        for user in users:
            await room.join(user, flight_id)
        clock.now = opens + timedelta(seconds=1)
        rooms = (room, other.waiting_room)
        admitted: set[User] = set()
        for step in range(1, 6):  # 120 a minute: two a second, however often asked
            await asyncio.gather(*(r.advance(flight_id) for r in rooms for _ in range(4)))
            admitted = await _admitted(services, flight_id, users)
            assert len(admitted) == min(2 * step, 7), step
            clock.advance(seconds=1)
        # one admitted books: their turn is over, the cap lets one more in
        first = next(iter(admitted))
        token = (await room.place(first, flight_id)).admission
        assert token is not None
        hold = (
            await services.reservations.hold_seats(first, flight_id, ["12A"], admission=token.token)
        ).hold
        await services.bookings.confirm(
            first, hold.id, "tok_ok", passengers=passengers_for(["12A"])
        )
        await asyncio.gather(*(r.advance(flight_id) for r in rooms for _ in range(4)))
        assert len(await _admitted(services, flight_id, users)) == 8
        view = await room.sale(flight_id)
        assert (view.waiting, view.active) == (4, 7)
        clock.advance(minutes=2)  # every admission over: seven more may come in, at the pace
        await asyncio.gather(*(r.advance(flight_id) for r in rooms for _ in range(4)))
        assert (await room.sale(flight_id)).waiting == 2
    finally:
        await other.close()


async def test_the_line_is_watched_live(
    services: Services, flight_id: int, clock: FakeClock
) -> None:
    """A watcher is told its place as the line moves, then its admission, and the watch
    ends; one per process reads the line for all of them. The first read comes before the
    sale opens, so no admission can precede it, whoever drew first and however slow the
    machine (admissions are throttled in real time, the line's clock is the test's)."""
    room = services.waiting_room
    opens = clock.now + timedelta(seconds=1)
    await room.open_sale(Sale(flight_id, opens, 60, 100, timedelta(minutes=10)))
    ann, bob = await _travellers(services, 2)
    await room.join(ann, flight_id)
    bob_place, _ = await room.join(bob, flight_id)
    seen: list[PlaceState] = []
    positions: list[int | None] = []

    async def watch() -> None:
        async for place in room.watch(flight_id, bob_place.place_id):
            seen.append(place.state)
            positions.append(place.position)
            clock.advance(seconds=1)

    await asyncio.wait_for(watch(), timeout=20)
    assert seen[0] is PlaceState.WAITING and seen[-1] is PlaceState.ADMITTED
    assert positions[0] in (1, 2) and positions[-1] is None
    waiting = [position for position in positions if position is not None]
    assert waiting == sorted(waiting, reverse=True)  # the line only moves forward


async def test_an_admission_to_an_ended_sale_is_worth_nothing_in_the_next(
    api: httpx.AsyncClient,
    admin: dict[str, str],
    flight_id: int,
    services: Services,
    clock: FakeClock,
) -> None:
    ann = bearer(await signed_in(api, "ann@example.com"))
    token = await _admitted_now(api, admin, flight_id, services, clock, ann)
    await api.delete(f"/api/v1/admin/flights/{flight_id}/sale", headers=admin)
    await _open_sale(api, admin, flight_id, _sale_body(timedelta(minutes=30), clock))
    for wish in ({"seats": ["12A"]}, {"count": 2}):
        body = {"flight_id": flight_id, "admission": token, **wish}
        refused = assert_problem(await api.post("/api/v1/holds", json=body, headers=ann), 403)
        assert refused["reason"] == "other-sale"


async def test_a_sale_opens_before_departure_and_at_a_moment_in_utc(
    api: httpx.AsyncClient, admin: dict[str, str], flight_id: int, clock: FakeClock
) -> None:
    path = f"/api/v1/admin/flights/{flight_id}/sale"
    late = _sale_body(timedelta(days=36_500), clock)  # long after it departs
    refused = assert_problem(await api.post(path, json=late, headers=admin), 422)
    assert refused["errors"][0]["loc"] == ["opens_at"]
    for edge in ("9999-12-31T23:30:00-01:00", "0001-01-01T00:30:00+01:00"):
        body = {**late, "opens_at": edge}
        assert_problem(await api.post(path, json=body, headers=admin), 422)


async def test_joins_racing_the_end_of_the_sale_are_told_it_is_gone(
    services: Services, flight_id: int, clock: FakeClock
) -> None:
    """A join that meets the sale's end is a 404, never a place pointing at nothing (a
    foreign key error, a 500)."""
    room = services.waiting_room
    users = await _travellers(services, 20)
    for _ in range(3):
        await room.open_sale(Sale(flight_id, clock.now, 60, 100, timedelta(minutes=10)))
        joins = [room.join(user, flight_id) for user in users]
        outcomes = await asyncio.gather(
            *joins[:10], room.end_sale(flight_id), *joins[10:], return_exceptions=True
        )
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        assert all(isinstance(failure, NotFound) for failure in failures), failures
        with contextlib.suppress(NotFound):
            await room.end_sale(flight_id)


async def test_concurrent_joins_after_an_admission_is_over_take_one_new_place(
    services: Services, flight_id: int, clock: FakeClock
) -> None:
    room = services.waiting_room
    await room.open_sale(Sale(flight_id, clock.now, 60, 100, timedelta(minutes=1)))
    [ann] = await _travellers(services, 1)
    first, _ = await room.join(ann, flight_id)
    clock.advance(seconds=2)
    await room.advance(flight_id)
    clock.advance(minutes=2)  # her admission is over
    outcomes = await asyncio.gather(*(room.join(ann, flight_id) for _ in range(10)))
    assert sum(new for _, new in outcomes) == 1
    now = await room.place(ann, flight_id)
    assert now.state is PlaceState.WAITING and now.place_id != first.place_id
    assert {place.place_id for place, _ in outcomes} == {now.place_id}


async def test_every_watcher_of_a_place_is_told(
    services: Services, flight_id: int, clock: FakeClock
) -> None:
    """Two tabs on one place (or a stranger who knows its id) mute no one: each is told
    the admission."""
    room = services.waiting_room
    await room.open_sale(Sale(flight_id, clock.now, 60, 100, timedelta(minutes=10)))
    [ann] = await _travellers(services, 1)
    place, _ = await room.join(ann, flight_id)
    clock.advance(seconds=2)

    async def last_of(watch: AsyncGenerator[Place]) -> Place:
        async with contextlib.aclosing(watch):
            return [place async for place in watch][-1]

    ends = await asyncio.wait_for(
        asyncio.gather(*(last_of(room.watch(flight_id, place.place_id)) for _ in range(2))),
        timeout=20,
    )
    assert [end.state for end in ends] == [PlaceState.ADMITTED] * 2


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_asking_about_flights_without_a_sale_takes_no_lock(
    api: httpx.AsyncClient, services: Services
) -> None:
    """Only a sale this process knows of is advanced: any other flight id is a 404 that
    locks nothing and leaves nothing behind."""
    with counting(engine_of(services.database)) as trips:
        for flight in range(1_000, 1_050):
            assert_problem(await api.get(f"/api/v1/flights/{flight}/sale"), 404)
    assert not [sql for sql in trips.statements() if "FOR " in sql or "UPDATE" in sql]


async def test_a_watch_of_no_place_or_of_a_sale_that_ends_is_told_it_is_gone(
    services: Services, flight_id: int, clock: FakeClock
) -> None:
    """A place id that is not in the line (or a flight with no sale) is refused at once,
    and a watcher whose sale ends is told so: no watch waits for ever."""
    room = services.waiting_room
    for flight, place_id in ((10_000_000, uuid.uuid4()), (flight_id, uuid.uuid4())):
        with pytest.raises(NotFound):
            await anext(room.watch(flight, place_id))
    await room.open_sale(
        Sale(flight_id, clock.now + timedelta(hours=1), 60, 9, timedelta(minutes=5))
    )
    [ann] = await _travellers(services, 1)
    place, _ = await room.join(ann, flight_id)
    watch = room.watch(flight_id, place.place_id)
    async with contextlib.aclosing(watch):
        assert (await anext(watch)).state is PlaceState.WAITING
        await room.end_sale(flight_id)
        with pytest.raises(NotFound):
            await asyncio.wait_for(anext(watch), timeout=10)
