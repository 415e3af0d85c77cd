"""The live seat map: a snapshot, then every change, resuming after a disconnect."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import websockets

from lastseat.client.errors import ApiError
from lastseat.domain.errors import InvalidRequest, NotFound

# Close codes the server uses (see lastseat.entrypoints.ws.flights).
REFUSALS = {4404: NotFound.code, 4400: InvalidRequest.code}
RECONNECT_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0)


def ws_url(base_url: str, flight_id: int, after: int | None) -> str:
    base = base_url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    url = f"{base.rstrip('/')}/ws/flights/{flight_id}"
    return url if after is None else f"{url}?after={after}"


async def watch(
    base_url: str,
    flight_id: int,
    after: int | None = None,
    reconnects: int = 5,
) -> AsyncIterator[dict[str, Any]]:
    """Messages as the server sends them. After a dropped connection (or being cut off as a
    slow consumer) it reconnects with `after` = the last event seen: a new snapshot comes,
    then exactly the changes missed. Gives up after `reconnects` failures in a row."""
    failures = 0
    while True:
        try:
            async with websockets.connect(ws_url(base_url, flight_id, after)) as socket:
                async for raw in socket:
                    message: dict[str, Any] = json.loads(raw)
                    if message["type"] == "snapshot" and after is None:
                        after = int(message["event_id"])
                    elif message["type"] == "seat":
                        after = int(message["event_id"])
                    failures = 0
                    yield message
        except websockets.exceptions.ConnectionClosed as closed:
            if closed.rcvd is not None and closed.rcvd.code in REFUSALS:
                code = closed.rcvd.code
                raise ApiError(code, REFUSALS[code], closed.rcvd.reason) from None
        except OSError:
            pass
        if failures >= reconnects:
            raise ApiError(503, "unavailable", f"gave up after {failures} reconnects")
        await asyncio.sleep(RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)])
        failures += 1
