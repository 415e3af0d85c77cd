"""Seat-map encoding: the hot read path, and the live map's change messages.

Each flight's static JSON fragments are built once, and the last encoding is kept with the
taken seats it shows: when a fresh read finds the same taken seats, the bytes are reused.
Each encoding carries a strong ETag, a digest of its bytes. A digest rather than the last
event id because a map also changes with no event: an expired hold counts as free (and
moves the demand price) before the sweeper writes its release.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import orjson

from lastseat.domain.flights import Flight
from lastseat.domain.seat_offers import seat_offer
from lastseat.entrypoints.representations import seat_change_json
from lastseat.services.bounded import bounded_put
from lastseat.services.catalog import SeatMap
from lastseat.services.watching import SeatChange

TEMPLATE_CACHE_SIZE = 4_096
# Any cache may keep a map but must ask again before each use: it is live.
REVALIDATE = "no-cache"


def etag_matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 weak comparison, as If-None-Match asks for."""
    return any(tag.strip().removeprefix("W/") in (etag, "*") for tag in if_none_match.split(","))


Template = tuple[bytes, list[tuple[str, bytes, bytes]]]


class SeatMapEncoder:
    def __init__(self, size: int = TEMPLATE_CACHE_SIZE) -> None:
        self._size = size
        # Keyed by flight and demand multiplier: prices move with the load factor.
        self._templates: OrderedDict[tuple[int, int], Template] = OrderedDict()
        self._last: OrderedDict[int, tuple[SeatMap, bytes, str]] = OrderedDict()

    def _template(self, flight: Flight, permille: int) -> Template:
        key = (flight.id, permille)
        cached = self._templates.get(key)
        if cached is not None:
            return cached
        parts = []
        for cabin in flight.layout.cabins:
            for seat in cabin.seat_names():
                offer = seat_offer(flight.layout, seat, permille)
                head = orjson.dumps({"seat": seat, "cabin": cabin.name})[:-1] + b',"status":"'
                described = {
                    "price": offer.price.as_dict(),
                    "row": offer.row,
                    "letter": offer.letter,
                    "features": offer.features,
                    "price_parts": offer.parts_json(),
                }
                tail = b'",' + orjson.dumps(described)[1:]
                parts.append((seat, head, tail))
        template = (b'{"flight_id":%d,"seats":[' % flight.id, parts)
        bounded_put(self._templates, key, template, self._size)
        return template

    def encode(self, seat_map: SeatMap) -> bytes:
        return self.encode_tagged(seat_map)[0]

    def encode_tagged(self, seat_map: SeatMap) -> tuple[bytes, str]:
        """The JSON body and its ETag."""
        flight_id = seat_map.flight.id
        last = self._last.get(flight_id)
        if last is not None and (
            last[0] is seat_map
            or (
                last[0].taken == seat_map.taken
                and last[0].demand_permille == seat_map.demand_permille
            )
        ):
            return last[1], last[2]
        opening, parts = self._template(seat_map.flight, seat_map.demand_permille)
        status = seat_map.status
        body = b",".join(head + status(seat).encode() + tail for seat, head, tail in parts)
        encoded = opening + body + b"]}"
        etag = f'"{hashlib.blake2b(encoded, digest_size=12).hexdigest()}"'
        bounded_put(self._last, flight_id, (seat_map, encoded, etag), self._size)
        return encoded, etag


def seat_change_texts(changes: tuple[SeatChange, ...]) -> list[str]:
    """The WebSocket messages of a batch of changes, one per change (made once per batch
    and process: `ChangeBatch.encoded`)."""
    return [orjson.dumps({"type": "seat", **seat_change_json(c)}).decode() for c in changes]
