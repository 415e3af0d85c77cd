"""Discount codes: percent or fixed amount, with a window, a minimum spend, a redemption cap,
one use per user, and an optional flight or route restriction."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from lastseat.domain.errors import InvalidRequest
from lastseat.domain.fares import BASIS_POINTS, scale
from lastseat.domain.flights import Flight
from lastseat.domain.money import CURRENCY_CODES
from lastseat.domain.pricing import Quote
from lastseat.domain.requests import check_airports

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,31}$")
# A new code as an admin types it: any case, stored in capitals (`normalise_code`).
TYPED_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{2,31}$"
# What a customer is told of a code that does not apply, whatever the reason (unknown, not
# valid yet, expired, for other flights, another currency, a minimum spend, used up), but
# their own earlier use: one answer, so guessing learns nothing of which codes exist.
NOT_VALID_HERE = "not valid for this booking"


class DiscountKind(StrEnum):
    PERCENT = "percent"  # value in basis points: 1500 is 15%
    FIXED = "fixed"  # value in minor units of `currency`


class DiscountNotApplicable(InvalidRequest):
    code = "discount-not-applicable"

    def __init__(self, discount_code: str, reason: str, telling: bool = True) -> None:
        self.discount_code = discount_code
        self.reason = reason
        # False where the reason would tell a guesser the code exists: customers are
        # then told NOT_VALID_HERE instead (admins and the logs keep the reason).
        self.telling = telling
        super().__init__(f"discount code {discount_code} does not apply: {reason}")

    def as_seen_by_customer(self) -> DiscountNotApplicable:
        if self.telling:
            return self
        return DiscountNotApplicable(self.discount_code, NOT_VALID_HERE)


@dataclass(frozen=True, slots=True)
class Discount:
    code: str
    kind: DiscountKind
    value: int
    currency: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    min_spend: int = 0
    max_redemptions: int | None = None
    flight_id: int | None = None
    origin: str | None = None
    destination: str | None = None

    def __post_init__(self) -> None:
        if not CODE_PATTERN.match(self.code):
            raise InvalidRequest("a discount code is 3-32 capital letters, digits, - or _")
        if self.kind is DiscountKind.PERCENT and not 1 <= self.value <= BASIS_POINTS:
            raise InvalidRequest("a percent discount is 1 to 10000 basis points")
        if self.kind is DiscountKind.FIXED and (self.value <= 0 or self.currency is None):
            raise InvalidRequest("a fixed discount needs a positive amount and a currency")
        if self.min_spend < 0 or (self.max_redemptions is not None and self.max_redemptions < 1):
            raise InvalidRequest("minimum spend cannot be negative; a cap is at least 1")
        if self.valid_from and self.valid_until and self.valid_from >= self.valid_until:
            raise InvalidRequest("valid_from must be before valid_until")

    def amount(self, quote: Quote) -> int:
        """What the code takes off `quote`, never more than its subtotal."""
        subtotal = quote.subtotal.amount
        if self.kind is DiscountKind.PERCENT:
            return min(scale(subtotal, self.value, BASIS_POINTS), subtotal)
        return min(self.value, subtotal)


def normalise_code(code: str) -> str:
    return code.strip().upper()


def as_created(discount: Discount) -> Discount:
    """A new code as an admin typed it (over HTTP or the CLI), ready to save or refused:
    its currency in capitals ("eur" is EUR) and one prices are kept in, its airports IATA
    codes of a route. Checked here, not when a stored code is read: a code saved before
    these rules still applies or is refused as a customer's code always is."""
    currency = discount.currency
    if currency is not None:
        currency = currency.strip().upper()
        if currency not in CURRENCY_CODES:
            raise InvalidRequest(
                f"currency {discount.currency!r} is not one of {', '.join(sorted(CURRENCY_CODES))}"
            )
    airports = [a for a in (discount.origin, discount.destination) if a is not None]
    check_airports(*airports)
    if discount.origin is not None and discount.origin == discount.destination:
        raise InvalidRequest("origin and destination must differ")
    return replace(discount, currency=currency)


def check_applies(
    discount: Discount,
    quote: Quote,
    flight: Flight,
    now: datetime,
    used_by_caller: bool,
    redeemed: int,
) -> None:
    """Raise DiscountNotApplicable with the first reason the code does not apply."""
    reason = None
    # Every reason but the caller's own use would show a guesser that the code exists.
    telling = False
    if discount.valid_from is not None and now < discount.valid_from:
        reason = f"not valid before {discount.valid_from.isoformat()}"
    elif discount.valid_until is not None and now >= discount.valid_until:
        reason = "expired"
    elif discount.flight_id is not None and discount.flight_id != flight.id:
        reason = "valid on another flight"
    elif discount.origin is not None and discount.origin != flight.origin:
        reason = f"valid only from {discount.origin}"
    elif discount.destination is not None and discount.destination != flight.destination:
        reason = f"valid only to {discount.destination}"
    elif discount.currency is not None and discount.currency != quote.subtotal.currency:
        reason = f"valid only for prices in {discount.currency}"
    elif quote.subtotal.amount < discount.min_spend:
        reason = f"needs a spend of at least {discount.min_spend} minor units"
    elif used_by_caller:
        reason, telling = "already used on your account", True
    elif discount.max_redemptions is not None and redeemed >= discount.max_redemptions:
        reason = "fully redeemed"
    if reason is not None:
        raise DiscountNotApplicable(discount.code, reason, telling)
