"""Seat-map encoding: the hot read path.

Each flight's static JSON fragments are built once, and the last encoding is kept with the
taken seats it shows: when a fresh read finds the same taken seats, the bytes are reused.
"""

from __future__ import annotations

from collections import OrderedDict

import orjson

from lastseat.domain.flights import Flight
from lastseat.domain.pricing import seat_price
from lastseat.services.catalog import SeatMap

TEMPLATE_CACHE_SIZE = 4_096


class SeatMapEncoder:
    def __init__(self, size: int = TEMPLATE_CACHE_SIZE) -> None:
        self._size = size
        self._templates: OrderedDict[int, tuple[bytes, list[tuple[str, bytes, bytes]]]] = (
            OrderedDict()
        )
        self._last: dict[int, tuple[dict[str, str], bytes]] = {}

    def _template(self, flight: Flight) -> tuple[bytes, list[tuple[str, bytes, bytes]]]:
        cached = self._templates.get(flight.id)
        if cached is not None:
            return cached
        parts = []
        for cabin in flight.layout.cabins:
            for seat in cabin.seat_names():
                head = orjson.dumps({"seat": seat, "cabin": cabin.name})[:-1] + b',"status":"'
                tail = (
                    b'","price":' + orjson.dumps(seat_price(flight.layout, seat).as_dict()) + b"}"
                )
                parts.append((seat, head, tail))
        template = (b'{"flight_id":%d,"seats":[' % flight.id, parts)
        self._templates[flight.id] = template
        while len(self._templates) > self._size:
            self._templates.popitem(last=False)
        return template

    def encode(self, seat_map: SeatMap) -> bytes:
        flight_id = seat_map.flight.id
        last = self._last.get(flight_id)
        if last is not None and last[0] == seat_map.taken:
            return last[1]
        opening, parts = self._template(seat_map.flight)
        status = seat_map.status
        body = b",".join(head + status(seat).encode() + tail for seat, head, tail in parts)
        encoded = opening + body + b"]}"
        if flight_id in self._templates:  # keep `_last` bounded by the template cache
            self._last[flight_id] = (seat_map.taken, encoded)
        for stale in self._last.keys() - self._templates.keys():
            del self._last[stale]
        return encoded
