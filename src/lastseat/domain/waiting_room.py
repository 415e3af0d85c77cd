"""A sale's waiting room: the order of the line, the pace of admission, and the admission
tokens without which no hold is placed on the flight while its sale runs.

The line's order: by the second of arrival (everyone who came before the sale opened
arrives, in this order, at the opening second), and within a second by a random draw made
when the traveller joined. So a connection a few milliseconds faster buys nothing inside
its second, and nothing at all before the opening. A second's arrivals are admitted only
once that second is over, when no later draw can still come before them.

The pace: at most `admissions_per_minute`, spread evenly (a generic cell rate: a second's
worth may go at once, never more), and never more than `active_cap` travellers admitted
and not yet done (booked, or their admission expired) at a time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from lastseat.domain.errors import FieldRefusal, Forbidden, InvalidFields

MAX_ADMISSIONS_PER_MINUTE = 100_000
MAX_ACTIVE_CAP = 100_000
MAX_ADMISSION_MINUTES = 120
MAX_TOKEN_LENGTH = 200
TOKEN_VERSION = "adm1"  # noqa: S105 (names the format; the secret is the key)
# Bits of the tie-breaking draw: fits a signed 64-bit column.
DRAW_BITS = 62


class SaleState(StrEnum):
    UPCOMING = "upcoming"  # the line forms; nobody is admitted before the opening
    OPEN = "open"


class PlaceState(StrEnum):
    WAITING = "waiting"
    ADMITTED = "admitted"
    EXPIRED = "expired"  # admitted, and the admission is over: join again


@dataclass(frozen=True, slots=True)
class Sale:
    flight_id: int
    opens_at: datetime
    admissions_per_minute: int
    active_cap: int
    admission_ttl: timedelta
    # Drawn when the sale is opened and signed into its admissions, so that an admission
    # to an ended sale is worth nothing in the next sale of the same flight.
    number: int = 0

    def refusals(self, departs_at: datetime) -> list[FieldRefusal]:
        found = []
        if self.opens_at >= departs_at:
            found.append(FieldRefusal(("opens_at",), "must be before the flight departs"))
        if not 1 <= self.admissions_per_minute <= MAX_ADMISSIONS_PER_MINUTE:
            found.append(
                FieldRefusal(
                    ("admissions_per_minute",),
                    f"must be 1 to {MAX_ADMISSIONS_PER_MINUTE} travellers a minute",
                )
            )
        if not 1 <= self.active_cap <= MAX_ACTIVE_CAP:
            found.append(
                FieldRefusal(("active_cap",), f"must be 1 to {MAX_ACTIVE_CAP} travellers at once")
            )
        if (
            not timedelta(minutes=1)
            <= self.admission_ttl
            <= timedelta(minutes=MAX_ADMISSION_MINUTES)
        ):
            found.append(
                FieldRefusal(
                    ("admission_minutes",), f"must be 1 to {MAX_ADMISSION_MINUTES} minutes"
                )
            )
        return found

    def check(self, departs_at: datetime) -> None:
        refusals = self.refusals(departs_at)
        if refusals:
            raise InvalidFields(refusals)

    def state(self, now: datetime) -> SaleState:
        return SaleState.OPEN if now >= self.opens_at else SaleState.UPCOMING

    @property
    def interval(self) -> timedelta:
        """The time one admission takes from the rate."""
        return timedelta(minutes=1) / self.admissions_per_minute

    @property
    def burst(self) -> int:
        """How many may be admitted at once: a second's worth of the rate, at least one."""
        return max(1, math.ceil(self.admissions_per_minute / 60))

    def arrival_second(self, joined_at: datetime) -> int:
        """The second a traveller joining at `joined_at` arrived in, for the line's order."""
        return math.floor(max(joined_at, self.opens_at).timestamp())

    def closed_second(self, now: datetime) -> int:
        """Arrivals before this second may be admitted (their second is over)."""
        return math.floor(now.timestamp())

    def rate_allows(self, paced_until: datetime, now: datetime) -> int:
        """How many the rate admits now, when admissions so far are paced until
        `paced_until` (each one moves it on by `interval`; it never lags `now`)."""
        if now < self.opens_at:
            return 0
        start = max(paced_until, now)
        slack = now + self.interval * (self.burst - 1) - start
        return 0 if slack < timedelta(0) else slack // self.interval + 1

    def paced_after(self, paced_until: datetime, now: datetime, admitted: int) -> datetime:
        return max(paced_until, now) + self.interval * admitted if admitted else paced_until

    def admissions_due(self, paced_until: datetime, now: datetime, active: int) -> int:
        """How many may be admitted now: what the rate allows, within the cap."""
        return max(0, min(self.rate_allows(paced_until, now), self.active_cap - active))

    def wait_estimate(self, position: int, now: datetime) -> int:
        """Seconds until the traveller at `position` is likely admitted: the rest of the
        countdown, then their turn at the rate (the cap can make it longer)."""
        before = max(0.0, (self.opens_at - now).total_seconds())
        return math.ceil(before + position * self.interval.total_seconds())


@dataclass(frozen=True, slots=True)
class Admission:
    token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Place:
    """Where one traveller stands: waiting at `position` (1 is next), or admitted."""

    place_id: UUID
    flight_id: int
    state: PlaceState
    position: int | None
    wait_seconds: int
    opens_at: datetime
    admission: Admission | None
    sold_out: bool = False  # no seat free now (one may come back if a hold is not paid)


class AdmissionRequired(Forbidden):
    """A hold on a flight whose sale runs, without an admission token."""

    code = "admission-required"

    def __init__(self, flight_id: int) -> None:
        self.flight_id = flight_id
        super().__init__(
            f"flight {flight_id} is on sale through a waiting room: join its line, and hold"
            " seats with the admission you are given"
        )

    @property
    def extras(self) -> dict[str, Any]:
        return {"flight_id": self.flight_id}


class AdmissionRefused(Forbidden):
    """An admission token that is not valid for this traveller and flight now."""

    code = "admission-refused"

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        super().__init__(detail)

    @property
    def extras(self) -> dict[str, Any]:
        return {"reason": self.reason}


def _signature(key: bytes, body: str) -> str:
    digest = hmac.new(key, b"admission:" + body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def admission_token(key: bytes, sale: Sale, user_id: UUID, expires_at: datetime) -> str:
    """A token naming the sale (its flight and number), the traveller and the end of the
    admission, signed: any app server holding the key checks it without a read, and
    nobody without it can make or alter one."""
    expires = math.floor(expires_at.timestamp())
    body = f"{sale.flight_id}.{sale.number}.{user_id.hex}.{expires}"
    return f"{TOKEN_VERSION}.{body}.{_signature(key, body)}"


def check_admission(
    keys: Sequence[bytes], token: str | None, sale: Sale, user_id: UUID, now: datetime
) -> datetime:
    """The end of a valid admission of `user_id` to `sale` at `now`; refused if the token
    is missing, forged or altered, another traveller's, another flight's or another sale's,
    or over."""
    if token is None:
        raise AdmissionRequired(sale.flight_id)
    parts = token.split(".") if len(token) <= MAX_TOKEN_LENGTH and token.isascii() else []
    if len(parts) != 6 or parts[0] != TOKEN_VERSION:
        raise AdmissionRefused("malformed", "this is not an admission token")
    body = ".".join(parts[1:5])
    if not any(hmac.compare_digest(_signature(key, body), parts[5]) for key in keys):
        raise AdmissionRefused("forged", "this admission token was not issued by lastseat")
    try:  # signed by us, so well-formed; read defensively all the same
        token_flight, token_sale = int(parts[1]), int(parts[2])
        token_user = UUID(hex=parts[3])
        expires_at = datetime.fromtimestamp(int(parts[4]), UTC)
    except (ValueError, OverflowError, binascii.Error):
        raise AdmissionRefused("malformed", "this is not an admission token") from None
    if token_user != user_id:
        raise AdmissionRefused("other-traveller", "this admission belongs to another traveller")
    if token_flight != sale.flight_id:
        raise AdmissionRefused("other-flight", f"this admission is not for flight {sale.flight_id}")
    if token_sale != sale.number:
        raise AdmissionRefused(
            "other-sale", "this admission was for an earlier sale of this flight: join its line"
        )
    if now >= expires_at:
        raise AdmissionRefused("expired", "this admission has expired: join the line again")
    return expires_at
