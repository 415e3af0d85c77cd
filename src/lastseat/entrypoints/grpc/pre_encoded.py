"""WatchFlight's changes leave as bytes encoded once per process, not once per stream.

A change goes to every WatchFlight stream of the process; its `FlightEvent` is serialized
once (`seat_change_events`, kept with the shared batch), and a streaming method's response
serializer lets bytes through as they are (`passing_bytes`, installed where the handlers
are rebuilt: malformed.py). Anything else (the snapshot) is serialized as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lastseat.entrypoints.representations import seat_change_json
from lastseat.services.watching import SeatChange
from lastseat.v1 import booking_pb2 as pb


def seat_change_events(changes: tuple[SeatChange, ...]) -> list[bytes]:
    return [
        pb.FlightEvent(seat=pb.SeatChange(**seat_change_json(c))).SerializeToString()
        for c in changes
    ]


def passing_bytes(serialize: Callable[[Any], bytes] | None) -> Callable[[Any], bytes] | None:
    if serialize is None:
        return None

    def as_is_or_serialized(message: Any) -> bytes:
        return message if isinstance(message, bytes) else serialize(message)

    return as_is_or_serialized
