"""`WS /ws/flights/{id}`: a snapshot, then one message per seat change.

Messages: `{"type": "snapshot", "event_id": N, "seat_map": {...}}` first, then
`{"type": "seat", "seat": "12A", "status": "held", "event_id": N}`. With `?after=<id>`
the changes after that event come first (a reconnecting client misses nothing), then live
ones; an `after` from before the retention window (those changes are pruned) starts from
the snapshot instead: the changes after its `event_id` follow. Watching needs no sign-in.
Close codes: 4404 unknown flight, 4400 bad `after`, 4008 slow consumer. Each watcher has
its own sending task, so a send that waits for its client (the socket's flow control)
holds up that client alone; meanwhile its changes queue up to `watch_queue_limit`, and
past that the server closes with 4008 rather than buffer without limit: the client
reconnects with `?after=<last event_id>` and misses nothing. A change's message is made
once per process, not per watcher (`seat_change_texts`, kept with the shared batch).
Pings (uvicorn's, `ws_ping_*` settings) drop peers that went away.
"""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from lastseat.bootstrap import Services
from lastseat.domain.errors import DatabaseUnavailable, DomainError, InvalidRequest, NotFound
from lastseat.domain.requests import check_id, event_id_from_text
from lastseat.entrypoints.seatmap import seat_change_texts
from lastseat.services.watching import SlowConsumer, until_cut_off

router = APIRouter()
SLOW_CONSUMER = 4008
TRY_AGAIN_LATER = 1013  # RFC 6455: the database is away for a moment
CLOSE_TIMEOUT_SECONDS = 5.0
# Most specific first, as for HTTP statuses and gRPC codes; anything else is the request's.
CLOSE_BY_ERROR: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 4404),
    (InvalidRequest, 4400),
    (DatabaseUnavailable, TRY_AGAIN_LATER),
)


def close_code(exc: DomainError) -> int:
    return next((code for cls, code in CLOSE_BY_ERROR if isinstance(exc, cls)), 4400)


@router.websocket("/ws/flights/{flight_id}")
async def watch_flight(websocket: WebSocket, flight_id: int) -> None:
    services: Services = websocket.app.state.services
    after_text = websocket.query_params.get("after")
    # Accept first, so a refusal reaches the client as a close code it can read.
    await websocket.accept()
    try:
        after = None if after_text is None else event_id_from_text(after_text)
        start = await services.watching.start(check_id(flight_id, "flight_id"), after)
    except DomainError as exc:
        await websocket.close(code=close_code(exc))
        return
    encoded = websocket.app.state.seatmaps.encode(start.seat_map)
    await websocket.send_text(
        (b'{"type":"snapshot","event_id":%d,"seat_map":' % start.event_id + encoded + b"}").decode()
    )

    cut_off = asyncio.Event()

    async def forward() -> None:
        try:
            await until_cut_off(send_changes(), cut_off)
        except DatabaseUnavailable:  # the client resumes with ?after= once it is back
            with contextlib.suppress(TimeoutError, RuntimeError, WebSocketDisconnect):
                await asyncio.wait_for(websocket.close(code=TRY_AGAIN_LATER), CLOSE_TIMEOUT_SECONDS)
        except SlowConsumer as exc:
            websocket.app.state.metrics.watchers_cut_off.inc()
            # Its socket may be full: the close frame waits behind what the client has yet
            # to read, as long as a ping waits for its pong (a client that reads by then
            # learns to resume; one that doesn't is dropped by the keepalive anyway).
            with contextlib.suppress(TimeoutError, RuntimeError, WebSocketDisconnect):
                await asyncio.wait_for(
                    websocket.close(code=SLOW_CONSUMER, reason=str(exc)[:120]),
                    services.settings.ws_ping_timeout_seconds,
                )

    async def send_changes() -> None:
        async for batch in services.watching.changes(flight_id, start.after, cut_off=cut_off):
            for text in batch.encoded(seat_change_texts):
                await websocket.send_text(text)

    async def until_closed() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return

    tasks = [asyncio.create_task(forward()), asyncio.create_task(until_closed())]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                task.result()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
