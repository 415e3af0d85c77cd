"""Seat-map encoding: the hot read path, and the live map's change messages.

Each layout's static JSON at each demand price is built once (flights share layouts), and
each flight's last encoding is kept with the taken seats it shows: when a fresh read finds
the same taken seats, the bytes are reused.
Each encoding carries a strong ETag, a digest of what decides its bytes (the template's
digest, the flight, each seat's status). A digest rather than the last event id because a
map also changes with no event: an expired hold counts as free (and moves the demand
price) before the sweeper writes its release.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

import orjson

from lastseat.domain.flights import Layout, SeatStatus
from lastseat.domain.seat_offers import seat_offer
from lastseat.entrypoints.representations import seat_change_json
from lastseat.services.bounded import WeighedLru, bounded_put
from lastseat.services.catalog import SeatMap
from lastseat.services.watching import SeatChange

TEMPLATE_CACHE_SIZE = 256
ENCODED_BUDGET_BYTES = 8 * 2**20
# Any cache may keep a map but must ask again before each use: it is live.
REVALIDATE = "no-cache"


def etag_matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 weak comparison, as If-None-Match asks for."""
    return any(tag.strip().removeprefix("W/") in (etag, "*") for tag in if_none_match.split(","))


@dataclass(frozen=True, slots=True)
class Template:
    """A layout's seats at one demand price, as JSON with `%s` where each seat's status
    goes ('%' doubled everywhere else): a map is one bytes formatting away."""

    seats: tuple[str, ...]
    body: bytes
    digest: bytes  # of `body`: with the flight and the statuses, it decides every byte


AVAILABLE = SeatStatus.AVAILABLE.value.encode()


class SeatMapEncoder:
    def __init__(
        self, size: int = TEMPLATE_CACHE_SIZE, encoded_budget: int = ENCODED_BUDGET_BYTES
    ) -> None:
        self._size = size
        # Keyed by layout and demand multiplier (prices move with the load factor), not by
        # flight: flights share a few layouts.
        self._templates: OrderedDict[tuple[Layout, int], Template] = OrderedDict()
        # The last encoding of each flight, bounded by bytes: a thousand flights' maps
        # would otherwise keep some 40 MB per server, and one dropped costs ~60 us again.
        self._last: WeighedLru[int, tuple[SeatMap, bytes, str]] = WeighedLru(
            encoded_budget, lambda last: len(last[1])
        )

    def _template(self, layout: Layout, permille: int) -> Template:
        key = (layout, permille)
        cached = self._templates.get(key)
        if cached is not None:
            return cached
        seats, parts = [], []
        for cabin in layout.cabins:
            for seat in cabin.seat_names():
                offer = seat_offer(layout, seat, permille)
                head = orjson.dumps({"seat": seat, "cabin": cabin.name})[:-1] + b',"status":"'
                described = {
                    "price": offer.price.as_dict(),
                    "row": offer.row,
                    "letter": offer.letter,
                    "features": offer.features,
                    "price_parts": offer.parts_json(),
                }
                tail = b'",' + orjson.dumps(described)[1:]
                seats.append(seat)
                parts.append(head.replace(b"%", b"%%") + b"%s" + tail.replace(b"%", b"%%"))
        body = b",".join(parts)
        template = Template(tuple(seats), body, hashlib.blake2b(body, digest_size=16).digest())
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
        template = self._template(seat_map.flight.layout, seat_map.demand_permille)
        taken = {seat: status.encode() for seat, status in seat_map.taken.items()}
        statuses = tuple([taken.get(seat, AVAILABLE) for seat in template.seats])
        opening = b'{"flight_id":%d,"seats":[' % flight_id
        encoded = opening + template.body % statuses + b"]}"
        # Strong, and the same in every process for the same bytes: a digest of what
        # decides them (the template, the flight, each status), not of the 40 kB they are.
        decided = template.digest + opening + b",".join(statuses)
        etag = f'"{hashlib.blake2b(decided, digest_size=12).hexdigest()}"'
        self._last.put(flight_id, (seat_map, encoded, etag))
        return encoded, etag


def seat_change_texts(changes: tuple[SeatChange, ...]) -> list[str]:
    """The WebSocket messages of a batch of changes, one per change (made once per batch
    and process: `ChangeBatch.encoded`)."""
    return [orjson.dumps({"type": "seat", **seat_change_json(c)}).decode() for c in changes]
