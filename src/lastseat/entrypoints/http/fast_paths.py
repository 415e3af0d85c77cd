"""The seat-map GET answered from memory, before routing, when this process has it.

The seat map is the most requested resource. When the process holds a current map (see
`SeatMapCache`: kept only while the change feed is live), this answers with the bytes it
already encoded, skipping FastAPI's routing and dependency injection; the outer middleware
(request id, access log, metrics, security headers) still runs. Requests with an Origin
header are left to CORS and the route. Anything else, a
cold flight included, goes to the regular route, which reads the database and fills the
cache. The answer is the same either way; tests compare them.
"""

from __future__ import annotations

import re

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from lastseat.domain.requests import is_id
from lastseat.entrypoints.http.middleware import header
from lastseat.entrypoints.seatmap import REVALIDATE, SeatMapEncoder, etag_matches
from lastseat.services.catalog import Catalog

SEAT_MAP_PATH = re.compile(r"^/api/v1/flights/([1-9][0-9]{0,9})/seats$")
JSON_TYPE = (b"content-type", b"application/json")
CACHE_CONTROL = (b"cache-control", REVALIDATE.encode())


class SeatMapFromMemory:
    def __init__(
        self, app: ASGIApp, catalog: Catalog, encoder: SeatMapEncoder, route: BaseRoute
    ) -> None:
        self.app = app
        self._catalog = catalog
        self._encoder = encoder
        self._route = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and header(scope, b"origin") is None  # cross-origin: CORS decides, in the route
        ):
            matched = SEAT_MAP_PATH.match(scope["path"])
            flight_id = int(matched[1]) if matched else 0
            if is_id(flight_id):
                seat_map = self._catalog.cached_seat_map(flight_id)
                if seat_map is not None:
                    scope["route"] = self._route  # metrics and logs name the same route
                    body, etag = self._encoder.encode_tagged(seat_map)
                    headers = [(b"etag", etag.encode()), CACHE_CONTROL]
                    if_none_match = header(scope, b"if-none-match")
                    if if_none_match is not None and etag_matches(
                        if_none_match.decode("latin-1"), etag
                    ):
                        await send(
                            {"type": "http.response.start", "status": 304, "headers": headers}
                        )
                        await send({"type": "http.response.body", "body": b""})
                        return
                    headers += [JSON_TYPE, (b"content-length", str(len(body)).encode())]
                    await send({"type": "http.response.start", "status": 200, "headers": headers})
                    await send({"type": "http.response.body", "body": body})
                    return
        await self.app(scope, receive, send)
