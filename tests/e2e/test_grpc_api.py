"""gRPC end to end: `lastseat serve-grpc` beside the HTTP app servers, on both databases."""

from __future__ import annotations

import asyncio
import json
import signal
from collections import Counter
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
import websockets
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from lastseat.client import ApiError, GrpcClient
from lastseat.client.grpc import as_dict
from lastseat.v1 import booking_pb2 as pb
from lastseat.v1 import booking_pb2_grpc
from tests.support.outbox import STALLED_GRPC_CHANNEL, seat_changes_written
from tests.support.over_http import make_flight, make_users
from tests.support.passengers import passengers_json
from tests.support.servers import AppServer, AppServers, grpc_serving

WAIT_SECONDS = 5.0  # a bound on waiting, not a performance figure
RACERS = 300


def target(server: AppServer) -> str:
    return f"127.0.0.1:{server.port}"


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


async def next_event(stream: Any) -> Any:
    return await asyncio.wait_for(anext(stream), WAIT_SECONDS)


async def test_health_reflection_and_public_reads(
    app_servers: AppServers, grpc_server: AppServer
) -> None:
    async with grpc.aio.insecure_channel(target(grpc_server)) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "lastseat.v1.Booking"):
            answer = await health.Check(health_pb2.HealthCheckRequest(service=service))
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
        reflect = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        [answer] = [a async for a in reflect.ServerReflectionInfo(iter([request]))]
        names = {s.name for s in answer.list_services_response.service}
        assert {"lastseat.v1.Booking", "grpc.health.v1.Health"} <= names
    async with httpx.AsyncClient(timeout=30) as client:
        flight_id = await make_flight(client, app_servers, "LS980")
        over_http = (
            await client.get(app_servers.url() + f"/api/v1/flights/{flight_id}/seats")
        ).json()
        listed = (
            await client.get(app_servers.url() + "/api/v1/flights", params={"origin": "LHR"})
        ).json()["items"]
        [flight_over_http] = [f for f in listed if f["id"] == flight_id]
    async with GrpcClient(target(grpc_server)) as rpc:  # no token: reads are public
        seat_map = as_dict(await rpc.seat_map(flight_id))
        assert seat_map == over_http  # the same representation, field for field
        flights = {f.id: as_dict(f) for f in await rpc.flights(origin="LHR")}
        assert flights[flight_id] == flight_over_http  # local departure and zone included
        assert flights[flight_id]["departure_zone"] == "Europe/London"
        assert flights[flight_id]["departs_local"].endswith("+00:00")  # London in January
        assert flights[flight_id]["arrival_zone"] == "America/New_York"
        assert flights[flight_id]["arrives_local"].endswith("-05:00")  # New York in January
        with pytest.raises(ApiError) as missing:
            await rpc.seat_map(999_999)
        assert missing.value.status == "NOT_FOUND" and missing.value.problem == "not-found"
        with pytest.raises(ApiError) as bad:
            await rpc.flights(origin="london")
        assert bad.value.status == "INVALID_ARGUMENT"


async def test_unauthenticated_calls_are_refused(
    app_servers: AppServers, grpc_server: AppServer
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        flight_id = await make_flight(client, app_servers, "LS981")
    for token in (None, "not-a-real-token"):
        async with GrpcClient(target(grpc_server), token=token) as rpc:
            for call in (
                rpc.hold(flight_id, ["1A"]),
                rpc.quote("00000000-0000-0000-0000-000000000000"),
                rpc.book(
                    "00000000-0000-0000-0000-000000000000",
                    "tok_ok",
                    passengers=passengers_json(["1A"]),
                ),
                rpc.cancel("00000000-0000-0000-0000-000000000000"),
            ):
                with pytest.raises(ApiError) as refused:
                    await call
                assert refused.value.status == "UNAUTHENTICATED"
                assert refused.value.problem == "authentication-failed"


async def test_a_seat_booked_over_grpc_shows_over_http_and_on_the_websocket(
    app_servers: AppServers, grpc_server: AppServer
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        [ann] = await make_users(client, app_servers, "grpc-book", 1)
        flight_id = await make_flight(client, app_servers, "LS982")
        ws = app_servers.url(1).replace("http://", "ws://") + f"/ws/flights/{flight_id}"
        async with (
            websockets.connect(ws) as socket,
            GrpcClient(target(grpc_server), token=token_of(ann)) as rpc,
        ):
            assert json.loads(await socket.recv())["type"] == "snapshot"
            hold = await rpc.hold(flight_id, ["12A", "12B"], idempotency_key="grpc-hold-1")
            again = await rpc.hold(flight_id, ["12A", "12B"], idempotency_key="grpc-hold-1")
            assert again.id == hold.id  # the retry replays the first result
            with pytest.raises(ApiError) as reused:
                await rpc.hold(flight_id, ["14A"], idempotency_key="grpc-hold-1")
            assert reused.value.status == "FAILED_PRECONDITION"
            quote = await rpc.quote(hold.id, "NO-SUCH-CODE")
            assert quote.discount_refused and quote.total.amount == hold.quote.total.amount
            with pytest.raises(ApiError) as unnamed:  # a seat without a passenger
                await rpc.book(hold.id, "tok_ok", passengers=passengers_json(["12A"]))
            assert unnamed.value.status == "INVALID_ARGUMENT"
            assert "seats without a passenger: 12B" in unnamed.value.detail
            with pytest.raises(ApiError) as misnamed:  # each refused name, by its place
                await rpc.book(
                    hold.id, "tok_ok",
                    passengers=[{"seat": "12A", "given_name": "R2-D2", "family_name": "Lee"},
                                {"seat": "12B", "given_name": "Li", "family_name": "4"}],
                )  # fmt: skip
            assert [e["loc"] for e in misnamed.value.body["errors"]] == [
                ["passengers", "0", "given_name"], ["passengers", "1", "family_name"],
            ]  # fmt: skip
            named = [
                {"seat": "12A", "given_name": "Zoë", "family_name": "Ñúñez"},
                {"seat": "12B", "given_name": "Li", "family_name": "Ñúñez", "type": "child",
                 "date_of_birth": "2022-02-02"},
            ]  # fmt: skip
            booking = await rpc.book(
                hold.id, "tok_ok", idempotency_key="grpc-book-1", passengers=named
            )
            replay = await rpc.book(
                hold.id, "tok_ok", idempotency_key="grpc-book-1", passengers=named
            )
            assert replay.id == booking.id
            with pytest.raises(ApiError) as renamed:  # the same key for other passengers
                await rpc.book(
                    hold.id,
                    "tok_ok",
                    idempotency_key="grpc-book-1",
                    passengers=passengers_json(["12A", "12B"]),
                )
            assert renamed.value.status == "FAILED_PRECONDITION"
            assert booking.status == "confirmed" and sorted(booking.seats) == ["12A", "12B"]
            assert [(p.seat, p.given_name, p.type) for p in booking.passengers] == [
                ("12A", "Zoë", "adult"), ("12B", "Li", "child"),
            ]  # fmt: skip
            found = await rpc.find_booking(booking.reference.lower(), "nunez")
            assert found.flight.id == flight_id and list(found.seats) == ["12A", "12B"]
            assert found.passengers[1].date_of_birth == "2022-02-02"
            with pytest.raises(ApiError) as wrong:
                await rpc.find_booking(booking.reference, "Lee")
            assert wrong.value.status == "NOT_FOUND"
            assert booking.total.amount == hold.quote.total.amount
            changes = [
                json.loads(await asyncio.wait_for(socket.recv(), WAIT_SECONDS)) for _ in range(4)
            ]
            assert [(c["seat"], c["status"]) for c in changes] == [
                ("12A", "held"), ("12B", "held"), ("12A", "booked"), ("12B", "booked"),
            ]  # fmt: skip
        seat_map = (
            await client.get(app_servers.url(0) + f"/api/v1/flights/{flight_id}/seats")
        ).json()
        status = {s["seat"]: s["status"] for s in seat_map["seats"]}
        assert status["12A"] == status["12B"] == "booked"
        mine = (await client.get(app_servers.url(0) + "/api/v1/bookings", headers=ann)).json()
        assert [b["reference"] for b in mine["items"]] == [booking.reference]
        [over_http] = mine["items"]
        when = (
            "code", "origin", "destination", "departs_at", "departs_local", "departure_zone",
            "arrives_at", "arrives_local", "arrival_zone",
        )  # fmt: skip
        assert {k: as_dict(booking)[k] for k in when} == {k: over_http[k] for k in when}
        assert as_dict(found.flight) == {
            k: over_http[k] if k != "id" else flight_id for k in ("id", *when)
        }
        async with GrpcClient(target(grpc_server), token=token_of(ann)) as rpc:
            cancelled = await rpc.cancel(booking.id)
            assert cancelled.status == "cancelled"
            with pytest.raises(ApiError) as gone:
                await rpc.book(hold.id, "tok_ok", passengers=named)
            assert gone.value.status == "FAILED_PRECONDITION"


async def test_surcharged_seats_are_held_quoted_and_booked_over_grpc(
    app_servers: AppServers, grpc_server: AppServer
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        [ann] = await make_users(client, app_servers, "grpc-surcharged", 1)
        flight_id = await make_flight(client, app_servers, "LS987", surcharged=True)
    async with GrpcClient(target(grpc_server), token=token_of(ann)) as rpc:
        hold = await rpc.hold(flight_id, ["12A", "4D"])  # exit-row window, aisle
        lines = {line.seat: line for line in hold.quote.lines}
        assert [(s.kind, s.amount.amount, s.amount.currency) for s in lines["12A"].surcharges] == [
            ("exit_row", 2_500, "EUR"), ("window", 500, "EUR"),
        ]  # fmt: skip
        assert [(s.kind, s.amount.amount) for s in lines["4D"].surcharges] == [("aisle", 300)]
        quote = await rpc.quote(hold.id)
        assert as_dict(quote.lines[0]) == as_dict(hold.quote.lines[0])
        booking = await rpc.book(hold.id, "tok_ok", passengers=passengers_json(["12A", "4D"]))
        assert booking.status == "confirmed" and booking.total == quote.total


async def test_a_hold_grows_over_grpc_and_a_taken_seat_keeps_the_first_hold(
    app_servers: AppServers, grpc_server: AppServer
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        ann, bob = await make_users(client, app_servers, "grpc-grow", 2)
        flight_id = await make_flight(client, app_servers, "LS986")
        ws = app_servers.url(1).replace("http://", "ws://") + f"/ws/flights/{flight_id}"
        async with (
            websockets.connect(ws) as socket,
            GrpcClient(target(grpc_server), token=token_of(ann)) as rpc,
            GrpcClient(target(grpc_server), token=token_of(bob)) as other,
        ):
            assert json.loads(await socket.recv())["type"] == "snapshot"
            first = await rpc.hold(flight_id, ["12A"])
            grown = await rpc.hold(
                flight_id, ["12A", "12B"], idempotency_key="grpc-grow-1", replaces=first.id
            )
            again = await rpc.hold(
                flight_id, ["12A", "12B"], idempotency_key="grpc-grow-1", replaces=first.id
            )
            assert again.id == grown.id != first.id and list(grown.seats) == ["12A", "12B"]
            await other.hold(flight_id, ["12D"])
            with pytest.raises(ApiError) as taken:
                await rpc.hold(flight_id, ["12A", "12B", "12D"], replaces=grown.id)
            assert taken.value.status == "ABORTED" and taken.value.problem == "seats-unavailable"
            # The caller's own live holds only: the grown one, not the replaced, not bob's.
            mine = await rpc.live_holds(flight_id)
            assert [(h.id, list(h.seats)) for h in mine] == [(grown.id, ["12A", "12B"])]
            assert [list(h.seats) for h in await other.live_holds(flight_id)] == [["12D"]]
            with pytest.raises(ApiError) as ended:
                await rpc.hold(flight_id, ["12C"], replaces=first.id)
            assert ended.value.status == "FAILED_PRECONDITION"
            with pytest.raises(ApiError) as malformed:
                await rpc.hold(flight_id, ["12C"], replaces="not-a-hold-id")
            assert malformed.value.status == "INVALID_ARGUMENT"
            changes = [
                json.loads(await asyncio.wait_for(socket.recv(), WAIT_SECONDS)) for _ in range(3)
            ]
            # 12A stays held through the replacement: watchers hear of 12B only.
            assert [(c["seat"], c["status"]) for c in changes] == [
                ("12A", "held"), ("12B", "held"), ("12D", "held"),
            ]  # fmt: skip
        seat_map = (
            await client.get(app_servers.url(0) + f"/api/v1/flights/{flight_id}/seats")
        ).json()
        status = {s["seat"]: s["status"] for s in seat_map["seats"]}
        assert [status[s] for s in ("12A", "12B", "12C", "12D")] == [
            "held", "held", "available", "held",
        ]  # fmt: skip


async def test_control_characters_in_checkout_text_are_invalid_argument(
    app_servers: AppServers, grpc_server: AppServer
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        [ann] = await make_users(client, app_servers, "grpc-hostile", 1)
        flight_id = await make_flight(client, app_servers, "LS983")
    async with GrpcClient(target(grpc_server), token=token_of(ann)) as rpc:
        hold = await rpc.hold(flight_id, ["9A"])
        for token, code in [
            ("tok_ok\r\nX-Injected: 1", ""),  # would split the provider's header
            ("tok_ok\n", ""),
            ("tok\x00ok", ""),
            ("tok_ok", "SPRING10\r\nX-Injected: 1"),
        ]:
            with pytest.raises(ApiError) as refused:
                await rpc.book(hold.id, token, code, passengers=passengers_json(["9A"]))
            assert refused.value.status == "INVALID_ARGUMENT"
        with pytest.raises(ApiError) as refused:
            await rpc.quote(hold.id, "NO\x00PE")
        assert refused.value.status == "INVALID_ARGUMENT"
        # the hold was left intact
        booking = await rpc.book(hold.id, "tok_ok", passengers=passengers_json(["9A"]))
        assert booking.status == "confirmed"


async def test_300_concurrent_holds_over_grpc_sell_the_seat_once(
    app_servers: AppServers, grpc_server: AppServer
) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        users = await make_users(client, app_servers, "grpc-race", RACERS)
        flight_id = await make_flight(client, app_servers, "LS983")
    async with grpc.aio.insecure_channel(target(grpc_server)) as channel:
        clients = [GrpcClient("", token=token_of(u), channel=channel) for u in users]
        start = asyncio.Event()

        async def attempt(rpc: GrpcClient) -> str:
            await start.wait()
            try:
                await rpc.hold(flight_id, ["7C"])
            except ApiError as refused:
                assert refused.seats == ["7C"] or refused.status != "ABORTED"
                return str(refused.status)
            return "OK"

        tasks = [asyncio.create_task(attempt(rpc)) for rpc in clients]
        await asyncio.sleep(0.2)  # every task is parked on the event: release them together
        start.set()
        outcomes = Counter(await asyncio.wait_for(asyncio.gather(*tasks), timeout=120))
    assert outcomes["OK"] == 1
    assert outcomes["ABORTED"] + outcomes["FAILED_PRECONDITION"] == RACERS - 1, outcomes


async def test_watch_flight_resumes_with_exactly_what_was_missed(
    app_servers: AppServers, grpc_server: AppServer
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        # three customers, so none holds more than one customer may (seven seats each)
        users = await make_users(client, app_servers, "grpc-watch", 3)
        flight_id = await make_flight(client, app_servers, "LS984")
        async with GrpcClient(target(grpc_server)) as rpc:
            stream = rpc.watch(flight_id)
            assert isinstance(stream, AsyncGenerator)  # typed as an iterator; closed below
            first = await next_event(stream)
            assert first.WhichOneof("event") == "snapshot"
            last_seen = first.snapshot.event_id
            await stream.aclose()
            seats = [f"{row}{letter}" for row in range(3, 7) for letter in "ABCDEF"][:20]
            for index, seat in enumerate(seats):  # 20 changes through both HTTP servers
                response = await client.post(
                    app_servers.url(index) + "/api/v1/holds",
                    json={"flight_id": flight_id, "seats": [seat]},
                    headers=users[index % len(users)],
                )
                assert response.status_code == 201
            resumed = rpc.watch(flight_id, after=last_seen)
            assert isinstance(resumed, AsyncGenerator)  # typed as an iterator; closed below
            assert (await next_event(resumed)).WhichOneof("event") == "snapshot"
            missed = [(await next_event(resumed)).seat for _ in seats]
            assert [m.seat for m in missed] == seats
            ids = [m.event_id for m in missed]
            assert ids == sorted(set(ids)) and ids[0] > last_seen
            response = await client.post(
                app_servers.url() + "/api/v1/holds",
                json={"flight_id": flight_id, "seats": ["20F"]},
                headers=users[-1],
            )
            assert response.status_code == 201
            live = (await next_event(resumed)).seat
            assert live.seat == "20F" and live.event_id > ids[-1]
            await resumed.aclose()
            with pytest.raises(ApiError) as unknown:
                await next_event(rpc.watch(999_999))
            assert unknown.value.status == "NOT_FOUND"


async def test_a_request_that_does_not_decode_is_an_invalid_argument(
    grpc_server: AppServer, server_logs: Path
) -> None:
    async with grpc.aio.insecure_channel(target(grpc_server)) as channel:
        for method, call in (
            ("GetSeatMap", channel.unary_unary),
            ("WatchFlight", channel.unary_stream),
        ):
            raw: Any = call(f"/lastseat.v1.Booking/{method}")  # no serializers: bytes as they are
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                answer = raw(b"\xff\xff\xff", timeout=WAIT_SECONDS)
                if method == "WatchFlight":
                    await answer.read()
                else:
                    await answer
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, method
    assert "DecodeError" not in (server_logs / "grpc.log").read_text()


async def test_sigterm_ends_a_watch_stream_at_once_and_resumably(
    app_servers: AppServers, server_logs: Path
) -> None:
    """A watcher's stream is ended by the stopping server with UNAVAILABLE (it watches
    again with `after`), not held open for the grace period and then cancelled."""
    own = AppServer(
        app_servers.env, server_logs / "grpc-stopping.log", command="serve-grpc",
        ready_check=grpc_serving,
    ).start()  # fmt: skip
    try:
        async with httpx.AsyncClient() as client:
            flight_id = await make_flight(client, app_servers, "LS981")
        async with GrpcClient(target(own)) as rpc:
            stream = rpc.watch(flight_id)
            assert (await next_event(stream)).WhichOneof("event") == "snapshot"
            assert own.process is not None
            own.process.send_signal(signal.SIGTERM)
            with pytest.raises(ApiError) as ended:
                await next_event(stream)
        assert ended.value.status == "UNAVAILABLE", ended.value
        assert "shutting down" in ended.value.detail, ended.value
        assert own.process.wait(timeout=30) == 0
    finally:
        own.stop()


# Some 800 changes fill that window, and watch_queue_limit (1,024) more the server's queue;
# a step at a time is what a reading client keeps up with.
STALL_STEP = 500
STALL_STEPS = 10


async def _first_is_snapshot(stream: Any) -> bool:
    first = await asyncio.wait_for(stream.read(), WAIT_SECONDS)
    return bool(first.WhichOneof("event") == "snapshot")


async def test_a_watch_stream_not_read_is_cut_off_while_others_read_on(
    app_servers: AppServers, grpc_server: AppServer
) -> None:
    """As over WebSocket: a stream whose client stops reading is ended with
    RESOURCE_EXHAUSTED once it falls too far behind (its write blocked is given up), and
    resumes with `after`; a stream beside it that reads gets every change."""
    async with httpx.AsyncClient(timeout=30) as client:
        flight_id = await make_flight(client, app_servers, "LS982")
    request = pb.WatchFlightRequest(flight_id=flight_id)
    async with (
        grpc.aio.insecure_channel(target(grpc_server), options=STALLED_GRPC_CHANNEL) as stalled,
        grpc.aio.insecure_channel(target(grpc_server)) as reading,
    ):
        slow = booking_pb2_grpc.BookingStub(stalled).WatchFlight(request)  # type: ignore[no-untyped-call]
        assert await _first_is_snapshot(slow)
        reader = booking_pb2_grpc.BookingStub(reading).WatchFlight(request)  # type: ignore[no-untyped-call]
        assert (await asyncio.wait_for(reader.read(), WAIT_SECONDS)).WhichOneof(
            "event"
        ) == "snapshot"
        heard: list[int] = []

        async def read_on() -> None:
            while (event := await reader.read()) is not grpc.aio.EOF:
                heard.append(event.seat.event_id)

        reading_task = asyncio.create_task(read_on())
        written = [0]
        try:
            # Far more changes than the stalled stream's window and queue hold, written in
            # steps a reading client keeps up with; the stalled one reads nothing meanwhile.
            for _ in range(STALL_STEPS):
                await seat_changes_written(app_servers.database_url, flight_id, STALL_STEP)
                written[0] += STALL_STEP
                await asyncio.sleep(0.2)
            received: list[int] = []
            with pytest.raises(grpc.aio.AioRpcError) as ended:
                for _ in range(written[0] + 1):  # (bounded: never more than was written)
                    event = await asyncio.wait_for(slow.read(), WAIT_SECONDS)
                    assert event is not grpc.aio.EOF
                    received.append(event.seat.event_id)
            assert ended.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "after=<last event_id>" in (ended.value.details() or "")
            assert len(received) < written[0] and received == sorted(set(received))
            for _ in range(600):  # (bounded) the reader beside it hears every change
                if len(heard) >= written[0]:
                    break
                await asyncio.sleep(0.1)
            assert len(heard) == written[0] and heard == sorted(set(heard))
            assert not reading_task.done()  # still open
        finally:
            reading_task.cancel()
            await asyncio.gather(reading_task, return_exceptions=True)
        # resuming from the last change received gets exactly the rest
        last = received[-1] if received else heard[0] - 1
        resumed = booking_pb2_grpc.BookingStub(reading).WatchFlight(  # type: ignore[no-untyped-call]
            pb.WatchFlightRequest(flight_id=flight_id, after=last)
        )
        assert (await asyncio.wait_for(resumed.read(), WAIT_SECONDS)).WhichOneof(
            "event"
        ) == "snapshot"
        rest = [
            (await asyncio.wait_for(resumed.read(), WAIT_SECONDS)).seat.event_id
            for _ in range(written[0] - len(received))
        ]
        assert received + rest == heard
        resumed.cancel()
