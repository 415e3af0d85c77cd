"""What an error carries beyond its text is decided once, by the error: HTTP sends it as
problem+json members and gRPC as trailing metadata."""

from __future__ import annotations

import orjson

from lastseat.domain.errors import (
    PROBLEM_TYPE_BASE,
    FieldRefusal,
    InvalidFields,
    LimitReached,
    NotFound,
    SeatsUnavailable,
    TooManyAttempts,
    UnknownSeats,
)
from lastseat.entrypoints.grpc.errors import trailers_for
from lastseat.entrypoints.http.responses import problem


def test_each_error_names_its_extras() -> None:
    assert NotFound("gone").extras == {}
    assert SeatsUnavailable(["10A", "2A"]).extras == {"seats": ["2A", "10A"]}
    assert UnknownSeats(["99Z"]).extras == {"seats": ["99Z"]}
    assert TooManyAttempts(30, "holds-per-address", "holds").extras == {
        "limit": "holds-per-address"
    }
    assert LimitReached("seats-per-flight", 9, "too many").extras == {
        "limit": "seats-per-flight",
        "maximum": 9,
    }


def test_both_protocols_carry_them() -> None:
    exc = LimitReached("seats-per-flight", 9, "too many")
    body = orjson.loads(problem(409, exc.code, "Limit reached", exc.detail, **exc.extras).body)
    assert body["limit"] == "seats-per-flight" and body["maximum"] == 9
    assert trailers_for(exc) == (
        ("problem-type", PROBLEM_TYPE_BASE + "limit-reached"),
        ("limit", "seats-per-flight"),
        ("maximum", "9"),
    )
    assert ("seats", "2A,10A") in trailers_for(SeatsUnavailable(["10A", "2A"]))


def test_refused_fields_go_as_a_list_over_http_and_as_ascii_json_over_grpc() -> None:
    exc = InvalidFields(
        [
            FieldRefusal(("passengers", 0, "given_name"), "seat 1A: the given name…"),
            FieldRefusal(("passengers", 1, "type"), "seat 1B: a passenger aged 5 is a child"),
        ]
    )
    body = orjson.loads(problem(422, exc.code, "Invalid request", exc.detail, **exc.extras).body)
    assert body["errors"][1] == {
        "loc": ["passengers", "1", "type"],
        "message": "seat 1B: a passenger aged 5 is a child",
        "type": "invalid-request",
    }
    [text] = [value for name, value in trailers_for(exc) if name == "errors"]
    assert text.isascii()  # text metadata carries nothing else
    assert orjson.loads(text) == body["errors"]


def test_a_refusal_may_name_its_rule_and_the_numbers_its_words_need() -> None:
    exc = InvalidFields(
        [FieldRefusal(("cabins", 1, "rows"), "cabin y: rows overlap", "rows-overlap", {"other": 0})]
    )
    assert exc.extras["errors"] == [
        {
            "loc": ["cabins", "1", "rows"],
            "message": "cabin y: rows overlap",
            "type": "rows-overlap",
            "context": {"other": 0},
        }
    ]
