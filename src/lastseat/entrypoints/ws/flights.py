"""`WS /ws/flights/{id}`: a snapshot, then one message per seat change.

Messages: `{"type": "snapshot", "event_id": N, "seat_map": {...}}` first, then
`{"type": "seat", "seat": "12A", "status": "held", "event_id": N}`. With `?after=<id>`
the changes after that event come first (a reconnecting client misses nothing), then live
ones. Watching needs no sign-in. Close codes: 4404 unknown flight, 4400 bad `after`.
Sends wait for the client (the socket's own flow control), so a slow client slows only
its own reader and nothing piles up in the server.
"""

from __future__ import annotations

import asyncio
import contextlib

import orjson
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from lastseat.bootstrap import Services
from lastseat.domain.errors import NotFound

router = APIRouter()
MAX_FLIGHT_ID = 2**31 - 1


@router.websocket("/ws/flights/{flight_id}")
async def watch_flight(websocket: WebSocket, flight_id: int) -> None:
    services: Services = websocket.app.state.services
    after_text = websocket.query_params.get("after")
    # Accept first, so a refusal reaches the client as a close code it can read.
    await websocket.accept()
    if not 1 <= flight_id <= MAX_FLIGHT_ID or (
        after_text is not None and (not after_text.isdigit() or len(after_text) > 18)
    ):
        await websocket.close(code=4400)
        return
    try:
        seat_map, latest = await services.watching.snapshot(flight_id)
    except NotFound:
        await websocket.close(code=4404)
        return
    encoded = websocket.app.state.seatmaps.encode(seat_map)
    await websocket.send_text(
        (b'{"type":"snapshot","event_id":%d,"seat_map":' % latest + encoded + b"}").decode()
    )
    start = int(after_text) if after_text is not None else latest

    async def forward() -> None:
        async for batch in services.watching.changes(flight_id, start):
            for change in batch:
                message = {
                    "type": "seat",
                    "seat": change.seat,
                    "status": change.status,
                    "event_id": change.event_id,
                }
                await websocket.send_text(orjson.dumps(message).decode())

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
