"""Domain errors: raised where the condition is known, mapped to a protocol in one place."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Names each error by its `code` the same way over HTTP (the problem+json `type`), gRPC
# (trailing metadata) and in the clients.
PROBLEM_TYPE_BASE = "urn:lastseat:problem:"


class DomainError(Exception):
    """Base of every rule violation a client can cause. `code` names it in problem types."""

    code = "domain-error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    @property
    def extras(self) -> dict[str, Any]:
        """What a client may act on beyond the text: problem+json members over HTTP,
        trailing metadata over gRPC."""
        return {}


class NotFound(DomainError):
    code = "not-found"


class InvalidRequest(DomainError):
    """Well-formed input that breaks a rule (unknown seat, too many seats, bad layout)."""

    code = "invalid-request"


@dataclass(frozen=True, slots=True)
class FieldRefusal:
    """One refused field: where it is in the request (`("passengers", 1, "family_name")`,
    the path a problem's `errors` name fields by) and the rule it broke. `rule`, if given,
    names that rule for a client to say in its own words (the item's `type`, else the
    error's code), and `context` the numbers those words need (its bounds, the other
    cabin it clashes with), as a schema's refusals name their limits."""

    loc: tuple[str | int, ...]
    message: str
    rule: str = ""
    context: Mapping[str, int] = field(default_factory=dict)

    def item(self, code: str) -> dict[str, Any]:
        """The refusal as one of a problem's `errors`."""
        item: dict[str, Any] = {
            "loc": [str(part) for part in self.loc],
            "message": self.message,
            "type": self.rule or code,
        }
        if self.context:
            item["context"] = dict(self.context)
        return item


class InvalidFields(InvalidRequest):
    """Fields refused together, each named, so a form marks every one at once instead of
    the first per try."""

    def __init__(self, refusals: Iterable[FieldRefusal]) -> None:
        self.refusals = tuple(refusals)
        super().__init__("; ".join(refusal.message for refusal in self.refusals))

    @property
    def extras(self) -> dict[str, Any]:
        return {"errors": [refusal.item(self.code) for refusal in self.refusals]}


class ValueRefused(InvalidRequest):
    """A value the database refused (out of its column's range): input the entrypoint
    should have bounded, still the client's to fix."""

    code = "invalid-value"


class Conflict(DomainError):
    code = "conflict"


class SeatsUnavailable(Conflict):
    """Seats someone else has. With `available` (the flight's free seats when the refusal
    was made), the refusal teaches: a client picks again from it, or stops when the
    flight is sold out, instead of rereading the map or guessing seat by seat."""

    code = "seats-unavailable"

    def __init__(
        self,
        seats: Iterable[str],
        reason: str = "no longer available",
        available: Iterable[str] | None = None,
    ) -> None:
        self.seats = sorted(seats, key=seat_sort_key)
        self.available = None if available is None else sorted(available, key=seat_sort_key)
        detail = f"seats {reason}: " + ", ".join(self.seats)
        if self.available == []:
            detail += "; the flight is sold out"
        super().__init__(detail)

    @property
    def extras(self) -> dict[str, Any]:
        if self.available is None:
            return {"seats": self.seats}
        return {"seats": self.seats, "available": self.available, "sold_out": not self.available}


class NoSeatsFit(SeatsUnavailable):
    """No choice of free seats fits a best-available request (seat_choice.SeatWish); the
    refusal still names the flight's free seats, so a client can ask for less together."""

    def __init__(self, wanted: str, available: Iterable[str]) -> None:
        super().__init__([], available=available)
        free = len(self.available or [])
        self.detail = f"no {wanted} free: " + (
            "the flight is sold out" if not free else f"{free} seats are free"
        )
        self.args = (self.detail,)


class UnknownSeats(InvalidRequest):
    code = "unknown-seats"

    def __init__(self, seats: Iterable[str]) -> None:
        self.seats = sorted(seats, key=seat_sort_key)
        super().__init__("no such seats on this flight: " + ", ".join(self.seats))

    @property
    def extras(self) -> dict[str, Any]:
        return {"seats": self.seats}


class HoldGone(Conflict):
    code = "hold-gone"


class FlightClosed(Conflict):
    code = "flight-closed"


class CancellationClosed(FlightClosed):
    code = "cancellation-closed"


class EmailTaken(Conflict):
    code = "email-taken"

    def __init__(self) -> None:
        super().__init__("an account with this email already exists")


class IdempotencyKeyReused(DomainError):
    code = "idempotency-key-reused"

    def __init__(self) -> None:
        super().__init__("this Idempotency-Key was used with a different request body")


class AuthenticationFailed(DomainError):
    code = "authentication-failed"


class TooManyAttempts(DomainError):
    """A throttle refused the attempt; `limit` names which one."""

    code = "too-many-attempts"

    def __init__(self, retry_after: int, limit: str = "sign-in", what: str = "sign-ins") -> None:
        self.retry_after = retry_after
        self.limit = limit
        super().__init__(f"too many {what}; try again in {retry_after} seconds")

    @property
    def extras(self) -> dict[str, Any]:
        return {"limit": self.limit}


class LimitReached(Conflict):
    """A request that would take the caller past a bounded share (`limit` names which)."""

    code = "limit-reached"

    def __init__(self, limit: str, maximum: int, detail: str) -> None:
        self.limit = limit
        self.maximum = maximum
        super().__init__(detail)

    @property
    def extras(self) -> dict[str, Any]:
        return {"limit": self.limit, "maximum": self.maximum}


class Forbidden(DomainError):
    code = "forbidden"


class PaymentDeclined(DomainError):
    code = "payment-declined"


class PaymentProviderError(DomainError):
    code = "payment-provider-error"


class DatabaseUnavailable(DomainError):
    """The database is restarting, failing over or unreachable: the same request may
    succeed in a moment (503 with Retry-After)."""

    code = "database-unavailable"


class DatabaseBusy(DatabaseUnavailable):
    """A wait for the database (a connection, a lock, a statement) ran past its bound."""

    code = "database-busy"


class PaymentUnavailable(DomainError):
    """The provider cannot be reached, timed out, or refused our credentials."""

    code = "payment-unavailable"


def seat_sort_key(seat: str) -> tuple[int, str]:
    """Order seats as a cabin crew would: by row number, then letter ("2A" before "10A")."""
    digits = "".join(ch for ch in seat if ch.isdigit())
    letters = "".join(ch for ch in seat if ch.isalpha())
    return (int(digits) if digits else 0, letters)
