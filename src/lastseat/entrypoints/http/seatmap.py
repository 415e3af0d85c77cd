"""Seat-map encoding: the hot read path.

Each flight's static JSON fragments are built once, and the last encoding is kept with the
taken seats it shows: when a fresh read finds the same taken seats, the bytes are reused.
"""

from __future__ import annotations

from collections import OrderedDict

import orjson

from lastseat.domain.flights import Flight
from lastseat.domain.pricing import seat_line
from lastseat.services.bounded import bounded_put
from lastseat.services.catalog import SeatMap

TEMPLATE_CACHE_SIZE = 4_096


Template = tuple[bytes, list[tuple[str, bytes, bytes]]]


class SeatMapEncoder:
    def __init__(self, size: int = TEMPLATE_CACHE_SIZE) -> None:
        self._size = size
        # Keyed by flight and demand multiplier: prices move with the load factor.
        self._templates: OrderedDict[tuple[int, int], Template] = OrderedDict()
        self._last: OrderedDict[int, tuple[SeatMap, bytes]] = OrderedDict()

    def _template(self, flight: Flight, permille: int) -> Template:
        key = (flight.id, permille)
        cached = self._templates.get(key)
        if cached is not None:
            return cached
        parts = []
        for cabin in flight.layout.cabins:
            for seat in cabin.seat_names():
                price = seat_line(flight.layout, seat, permille).price
                head = orjson.dumps({"seat": seat, "cabin": cabin.name})[:-1] + b',"status":"'
                tail = b'","price":' + orjson.dumps(price.as_dict()) + b"}"
                parts.append((seat, head, tail))
        template = (b'{"flight_id":%d,"seats":[' % flight.id, parts)
        bounded_put(self._templates, key, template, self._size)
        return template

    def encode(self, seat_map: SeatMap) -> bytes:
        flight_id = seat_map.flight.id
        last = self._last.get(flight_id)
        if last is not None and (
            last[0] is seat_map
            or (
                last[0].taken == seat_map.taken
                and last[0].demand_permille == seat_map.demand_permille
            )
        ):
            return last[1]
        opening, parts = self._template(seat_map.flight, seat_map.demand_permille)
        status = seat_map.status
        body = b",".join(head + status(seat).encode() + tail for seat, head, tail in parts)
        encoded = opening + body + b"]}"
        bounded_put(self._last, flight_id, (seat_map, encoded), self._size)
        return encoded
