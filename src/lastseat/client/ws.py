"""The live seat map: a snapshot, then every change, resuming after a disconnect."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpcore
import websockets

from lastseat.client.errors import ApiError, Unreachable
from lastseat.client.resolve import ResolvingBackend
from lastseat.domain.errors import InvalidRequest, NotFound

# Close codes the server uses (see lastseat.entrypoints.ws.flights).
REFUSALS = {4404: NotFound.code, 4400: InvalidRequest.code}
FIRST_RETRY_SECONDS = 0.1
MAX_RETRY_SECONDS = 5.0
# Longer than a stack takes to come back (`lastseat restart app`, or `down` then `up`).
RETRY_FOR_SECONDS = 60.0


def ws_url(base_url: str, flight_id: int, after: int | None) -> str:
    base = base_url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    url = f"{base.rstrip('/')}/ws/flights/{flight_id}"
    return url if after is None else f"{url}?after={after}"


async def _connect_options(url: str, dns_server: str | None, ca: str | None) -> dict[str, Any]:
    """How to open `url`: its name resolved at `dns_server` (host:port) if given, TLS
    trusting `ca` (a CA file) if given. The name stays the TLS server name."""
    options: dict[str, Any] = {}
    if ca is not None:
        options["ssl"] = ssl.create_default_context(cafile=ca)
    if dns_server is not None:
        parts = urlsplit(url)
        nameserver, _, port = dns_server.rpartition(":")
        options["host"] = await ResolvingBackend(nameserver, int(port)).address_of(
            parts.hostname or ""
        )
        if parts.scheme == "wss":
            options["server_hostname"] = parts.hostname
    return options


async def watch(
    base_url: str,
    flight_id: int,
    after: int | None = None,
    *,
    dns_server: str | None = None,
    ca: str | None = None,
    retry_for: float = RETRY_FOR_SECONDS,
    on_connect: Callable[[Mapping[str, str]], None] | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """Messages as the server sends them. After a dropped connection (or being cut off as a
    slow consumer) it reconnects with `after` = the last event seen: a new snapshot comes,
    then exactly the changes missed. Waits between attempts double (0.1 s to 5 s); after
    `retry_for` seconds without a connection it raises Unreachable. A refusal (no such
    flight) is an ApiError, at once. `on_connect` is given each handshake's response
    headers (behind the stack, X-Upstream names the app server it reached)."""
    delay = FIRST_RETRY_SECONDS
    lost_at = time.monotonic()
    connected_once = False
    while True:
        url = ws_url(base_url, flight_id, after)
        try:
            options = await _connect_options(url, dns_server, ca)
            async with websockets.connect(url, **options) as socket:
                if on_connect is not None and socket.response is not None:
                    on_connect(socket.response.headers)
                async for raw in socket:
                    message: dict[str, Any] = json.loads(raw)
                    if message["type"] == "snapshot" and after is None:
                        after = int(message["event_id"])
                    elif message["type"] == "seat":
                        after = int(message["event_id"])
                    connected_once = True
                    delay = FIRST_RETRY_SECONDS
                    lost_at = time.monotonic()
                    yield message
        except websockets.exceptions.ConnectionClosed as closed:
            if closed.rcvd is not None and closed.rcvd.code in REFUSALS:
                code = closed.rcvd.code
                raise ApiError(code, REFUSALS[code], closed.rcvd.reason) from None
        except websockets.exceptions.InvalidStatus as refused:
            status = refused.response.status_code
            if status < 500:  # (a restarting stack answers 502 for a moment: tried again)
                raise ApiError(status, "http-error", f"{url} answered {status}") from None
        except ssl.SSLCertVerificationError:
            raise  # the wrong CA: trying again will not help
        except (OSError, httpcore.ConnectError, websockets.exceptions.InvalidHandshake):
            pass  # not up (yet, or again)
        waited = time.monotonic() - lost_at
        if waited >= retry_for:
            what = (
                "lost the connection and could not reconnect"
                if connected_once
                else ("could not connect")
            )
            raise Unreachable(f"{what} to {base_url} in {waited:.0f} s of trying")
        await asyncio.sleep(min(delay, max(retry_for - waited, 0.0)))
        delay = min(delay * 2, MAX_RETRY_SECONDS)
