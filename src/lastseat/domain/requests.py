"""Bounds on what one request may ask for, the same over HTTP, gRPC, WebSocket and the CLI.

HTTP states them in its schemas, so OpenAPI shows them and a breach is a 422 naming each
field; gRPC and WebSocket call the checks here. Either way the numbers are these.
"""

from __future__ import annotations

from collections.abc import Sequence

from lastseat.domain.errors import InvalidRequest
from lastseat.domain.flights import AIRPORT
from lastseat.domain.holds import MAX_SEATS_PER_HOLD, MIN_SEATS_PER_HOLD

# Ids are PostgreSQL `integer`: a larger one names no row, and the driver would refuse it.
MAX_ID = 2**31 - 1
# Seat event ids are `bigint`.
MAX_EVENT_ID = 2**63 - 1
AIRPORT_PATTERN = AIRPORT.pattern
# A seat name is "12A"; one more character lets a stray space through to be stripped.
MAX_SEAT_NAME_LENGTH = 4
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# Deep pages cost a scan of everything before them, and no one reads that far.
MAX_OFFSET = 100_000


def is_id(value: int) -> bool:
    return 1 <= value <= MAX_ID


def check_id(value: int, name: str) -> int:
    if not is_id(value):
        raise InvalidRequest(f"{name} must be between 1 and {MAX_ID}")
    return value


def check_event_id(value: int) -> int:
    """`after` in a watch: the last event a client saw, to resume after."""
    if not 0 <= value <= MAX_EVENT_ID:
        raise InvalidRequest("after must be an event id (0 or more)")
    return value


def event_id_from_text(text: str) -> int:
    # ASCII digits only: int() would also take "+1", " 1", "1_0" and other scripts' digits.
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_EVENT_ID)):
        raise InvalidRequest("after must be an event id (0 or more)")
    return check_event_id(int(text))


def check_airports(*codes: str) -> None:
    for code in codes:
        # fullmatch: with match, "$" would also accept a code that ends in a newline.
        if AIRPORT.fullmatch(code) is None:
            raise InvalidRequest("airports are three capital letters (IATA)")


def check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE_SIZE or not 0 <= offset <= MAX_OFFSET:
        raise InvalidRequest(f"limit is 1 to {MAX_PAGE_SIZE} and offset 0 to {MAX_OFFSET}")


def check_seat_list(seats: Sequence[str]) -> None:
    """The shape of a hold request's seat list; `holds.requested_seats` then reads each name."""
    if not MIN_SEATS_PER_HOLD <= len(seats) <= MAX_SEATS_PER_HOLD or any(
        len(seat) > MAX_SEAT_NAME_LENGTH for seat in seats
    ):
        raise InvalidRequest(
            f"hold {MIN_SEATS_PER_HOLD} to {MAX_SEATS_PER_HOLD} seats, named like 12A"
        )
