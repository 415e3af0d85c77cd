"""What an error carries beyond its text is decided once, by the error: HTTP sends it as
problem+json members and gRPC as trailing metadata."""

from __future__ import annotations

import orjson

from lastseat.domain.errors import (
    PROBLEM_TYPE_BASE,
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
