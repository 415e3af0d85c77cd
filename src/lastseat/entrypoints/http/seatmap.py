"""Seat-map encoding: the hot read path, so each flight's static JSON fragments are built once."""

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
        opening, parts = self._template(seat_map.flight)
        status = dict(seat_map.statuses)
        body = b",".join(head + status[seat].encode() + tail for seat, head, tail in parts)
        return opening + body + b"]}"
