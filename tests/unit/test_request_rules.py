"""The rules every entrypoint shares: request bounds, bearer tokens, idempotency keys and the
shapes of responses. HTTP states the bounds in its schemas and gRPC calls the checks: both
read the same numbers, and these tests hold each rule to one meaning."""

from __future__ import annotations

import hashlib

import pytest
from pydantic import ValidationError

from lastseat.domain.errors import DatabaseBusy, DatabaseUnavailable, InvalidRequest, NotFound
from lastseat.domain.money import Money
from lastseat.domain.pricing import Quote
from lastseat.domain.requests import (
    MAX_EVENT_ID,
    MAX_ID,
    MAX_OFFSET,
    MAX_PAGE_SIZE,
    check_airports,
    check_event_id,
    check_id,
    check_page,
    check_seat_list,
    event_id_from_text,
)
from lastseat.entrypoints.credentials import bearer_token
from lastseat.entrypoints.http.schemas import HoldIn
from lastseat.entrypoints.representations import quote_view_json
from lastseat.entrypoints.ws.flights import TRY_AGAIN_LATER, close_code
from lastseat.services.idempotency import check_key, request_key
from lastseat.services.reservations import QuoteView


@pytest.mark.parametrize("value", [1, MAX_ID])
def test_ids_within_postgres_integer_are_accepted(value: int) -> None:
    assert check_id(value, "flight_id") == value


@pytest.mark.parametrize("value", [0, -1, MAX_ID + 1])
def test_ids_outside_postgres_integer_are_refused(value: int) -> None:
    with pytest.raises(InvalidRequest, match="flight_id"):
        check_id(value, "flight_id")


def test_the_http_schema_takes_the_same_ids() -> None:
    seats = ["1A"]
    HoldIn(flight_id=MAX_ID, seats=seats)
    with pytest.raises(ValidationError):
        HoldIn(flight_id=MAX_ID + 1, seats=seats)


@pytest.mark.parametrize("code", ["lhr", "LH", "LHRX", "LHR\n", "L1R", ""])
def test_airports_are_three_capital_letters(code: str) -> None:
    check_airports("LHR", "JFK")
    with pytest.raises(InvalidRequest):
        check_airports("LHR", code)


def test_page_bounds() -> None:
    check_page(1, 0)
    check_page(MAX_PAGE_SIZE, MAX_OFFSET)
    for limit, offset in ((0, 0), (MAX_PAGE_SIZE + 1, 0), (1, -1), (1, MAX_OFFSET + 1)):
        with pytest.raises(InvalidRequest):
            check_page(limit, offset)


@pytest.mark.parametrize("seats", [[], ["1A"] * 10, ["12345"]], ids=["none", "ten", "long name"])
def test_seat_lists_outside_one_hold_are_refused_by_both_protocols(seats: list[str]) -> None:
    with pytest.raises(InvalidRequest):
        check_seat_list(seats)
    with pytest.raises(ValidationError):
        HoldIn(flight_id=1, seats=seats)


def test_a_full_hold_passes_both_protocols() -> None:
    seats = [f"1{letter}" for letter in "ABCDEFGHJ"]
    check_seat_list(seats)
    HoldIn(flight_id=1, seats=seats)


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer  abc ", "abc"),
        ("BEARER abc", "abc"),
        ("Basic abc", None),
        ("Bearer", None),
        ("Bearer ", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_tokens(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


@pytest.mark.parametrize("key", ["", "k" * 256, "a\nb", "tab\there"])
def test_idempotency_keys_are_short_and_printable(key: str) -> None:
    with pytest.raises(InvalidRequest, match="Idempotency-Key"):
        check_key(key)
    with pytest.raises(InvalidRequest):
        request_key(key, "HoldSeats", b"")


def test_an_idempotency_fingerprint_covers_the_call_and_the_body() -> None:
    assert request_key(None, "POST /api/v1/holds", b"{}") is None
    idem = request_key("k" * 255, "POST /api/v1/holds", b"{}")
    assert idem is not None
    # Stored fingerprints stay valid across releases: the digest must not change.
    assert idem.fingerprint == hashlib.sha256(b"POST /api/v1/holds\n{}").hexdigest()
    assert request_key("k", "POST /api/v1/bookings", b"{}") != request_key(
        "k", "POST /api/v1/holds", b"{}"
    )


def _quote() -> Quote:
    eur = Money(0, "EUR")
    return Quote(lines=(), subtotal=eur, discount=eur, taxes=eur, total=eur)


def test_a_refused_discount_is_told_with_the_quote() -> None:
    assert "discount_refused" not in quote_view_json(QuoteView(_quote(), None))
    body = quote_view_json(QuoteView(_quote(), "not valid for this booking"))
    assert body["discount_refused"] == "not valid for this booking"
    assert body["total"] == {"amount": 0, "currency": "EUR"}


@pytest.mark.parametrize("text", ["0", "17", str(MAX_EVENT_ID)])
def test_event_ids_to_resume_after(text: str) -> None:
    assert event_id_from_text(text) == check_event_id(int(text))


@pytest.mark.parametrize("text", ["", "-5", "+1", " 1", "1_0", "²", "1.0", str(MAX_EVENT_ID + 1)])
def test_what_is_not_an_event_id(text: str) -> None:
    with pytest.raises(InvalidRequest, match="after"):
        event_id_from_text(text)


def test_websocket_close_codes_name_the_error() -> None:
    assert close_code(NotFound("no such flight")) == 4404
    assert close_code(InvalidRequest("after")) == 4400
    assert close_code(DatabaseBusy("busy")) == TRY_AGAIN_LATER
    assert close_code(DatabaseUnavailable("away")) == TRY_AGAIN_LATER
