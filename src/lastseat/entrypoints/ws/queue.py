"""`WS /ws/flights/{id}/queue?place=<place_id>`: one's place in a sale's line, live.

Messages: `{"type": "place", ...}` with the fields of `GET /api/v1/flights/{id}/queue`,
sent when the place moves (at most once per `line_tick_seconds`), the last one when the
traveller is admitted (with the admission) or the admission is over; then the server
closes with 1000. The place id (from joining) is all it needs: it tells where one stands,
and the admission it carries is good only for the account that joined. Close codes: 4404
no such place or sale, 4400 a malformed place id, 1013 the database away (reconnect).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import orjson
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from lastseat.bootstrap import Services
from lastseat.domain.errors import DomainError, InvalidRequest
from lastseat.domain.requests import check_id
from lastseat.entrypoints.representations import place_json
from lastseat.entrypoints.ws.flights import close_code

router = APIRouter()


@router.websocket("/ws/flights/{flight_id}/queue")
async def watch_place(websocket: WebSocket, flight_id: int) -> None:
    services: Services = websocket.app.state.services
    await websocket.accept()
    try:
        check_id(flight_id, "flight_id")
        place_id = uuid.UUID(websocket.query_params.get("place", ""))
    except (ValueError, DomainError) as exc:
        problem = exc if isinstance(exc, DomainError) else InvalidRequest("place: not a place id")
        await websocket.close(code=close_code(problem))
        return

    async def forward() -> None:
        places = services.waiting_room.watch(flight_id, place_id)
        async with contextlib.aclosing(places):
            async for place in places:
                await websocket.send_text(
                    orjson.dumps({"type": "place", **place_json(place)}).decode()
                )

    async def until_closed() -> None:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

    tasks = [asyncio.create_task(forward()), asyncio.create_task(until_closed())]
    code = 1000
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            try:
                task.result()
            except DomainError as exc:
                code = close_code(exc)
            except (WebSocketDisconnect, RuntimeError):
                return
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        await websocket.close(code=code)
