"""Replies of `lastseat.v1.Booking`, filled from the representations the HTTP API sends.

The messages mirror those shapes field for field, with one difference frozen into v1: a
quote line's `Surcharge` carries its amount as a nested `Money`, where the representation
(like the seat map's `SeatSurcharge`) is flat, `{kind, amount, currency}`. Changing the
field's type would change v1's wire format under existing clients, so the nesting is done
here, in the one place that knows the message.
"""

from __future__ import annotations

from typing import Any, TypeVar

from google.protobuf.json_format import ParseDict
from google.protobuf.message import Message

from lastseat.v1 import booking_pb2 as pb

M = TypeVar("M", bound=Message)


def filled(message: M, data: dict[str, Any]) -> M:
    return ParseDict(data, message, ignore_unknown_fields=True)


def _line_with_money_surcharges(line: dict[str, Any]) -> dict[str, Any]:
    surcharges = [
        {"kind": s["kind"], "amount": {"amount": s["amount"], "currency": s["currency"]}}
        for s in line["surcharges"]
    ]
    return {**line, "surcharges": surcharges}


def _quote_fields(quote: dict[str, Any]) -> dict[str, Any]:
    return {**quote, "lines": [_line_with_money_surcharges(line) for line in quote["lines"]]}


def quote_message(quote: dict[str, Any]) -> pb.Quote:
    return filled(pb.Quote(), _quote_fields(quote))


def hold_message(hold: dict[str, Any]) -> pb.Hold:
    return filled(pb.Hold(), {**hold, "quote": _quote_fields(hold["quote"])})


def seat_map_message(seat_map: dict[str, Any]) -> pb.SeatMap:
    return filled(pb.SeatMap(), seat_map)


def flights_message(flights: list[dict[str, Any]]) -> pb.ListFlightsResponse:
    return filled(pb.ListFlightsResponse(), {"flights": flights})


def booking_message(booking: dict[str, Any]) -> pb.BookingRecord:
    return filled(pb.BookingRecord(), booking)


def found_booking_message(found: dict[str, Any]) -> pb.FoundBooking:
    return filled(pb.FoundBooking(), found)
