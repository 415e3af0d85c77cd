"""Pricing: the single function every service calls to price seats.

At this stage a seat costs its cabin's base fare; fare rules, taxes and discounts
extend `quote` without changing its callers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lastseat.domain.errors import InvalidRequest
from lastseat.domain.flights import Layout
from lastseat.domain.money import Money, total


@dataclass(frozen=True, slots=True)
class QuoteLine:
    seat: str
    cabin: str
    fare: Money

    def as_dict(self) -> dict[str, Any]:
        return {"seat": self.seat, "cabin": self.cabin, "fare": self.fare.as_dict()}


@dataclass(frozen=True, slots=True)
class Quote:
    lines: tuple[QuoteLine, ...]
    subtotal: Money
    discount: Money
    taxes: Money
    total: Money

    def as_dict(self) -> dict[str, Any]:
        return {
            "lines": [line.as_dict() for line in self.lines],
            "subtotal": self.subtotal.as_dict(),
            "discount": self.discount.as_dict(),
            "taxes": self.taxes.as_dict(),
            "total": self.total.as_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Quote:
        def money(value: dict[str, Any]) -> Money:
            return Money(int(value["amount"]), str(value["currency"]))

        return cls(
            lines=tuple(
                QuoteLine(line["seat"], line["cabin"], money(line["fare"]))
                for line in data["lines"]
            ),
            subtotal=money(data["subtotal"]),
            discount=money(data["discount"]),
            taxes=money(data["taxes"]),
            total=money(data["total"]),
        )


def seat_price(layout: Layout, seat: str) -> Money:
    return layout.cabin_of(seat).fare


def quote(layout: Layout, seats: tuple[str, ...]) -> Quote:
    lines = tuple(
        QuoteLine(seat, layout.cabin_of(seat).name, seat_price(layout, seat)) for seat in seats
    )
    currency = layout.currency
    subtotal = total([line.fare for line in lines], currency)
    zero = Money.zero(currency)
    return Quote(lines=lines, subtotal=subtotal, discount=zero, taxes=zero, total=subtotal)


def check_discount_code(code: str | None) -> None:
    """No discount codes exist until the discount rules land; any code given is unknown."""
    if code is not None:
        raise InvalidRequest(f"discount code {code!r} does not exist")
