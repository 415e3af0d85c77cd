"""Pricing: the single function every service calls to price seats, and its result.

Order of computation (see `fares` for the rules and the rounding rule):
  line price = base fare x demand multiplier + the seat's surcharges
  subtotal   = sum of line prices
  taxes      = fee per seat + percentage of the subtotal
  discount   = from a discount code, at most the subtotal (never the taxes)
  total      = subtotal - discount + taxes
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from lastseat.domain.errors import seat_sort_key
from lastseat.domain.fares import PERMILLE, FareRules, scale
from lastseat.domain.flights import Layout
from lastseat.domain.money import Money


def _money(value: dict[str, Any]) -> Money:
    return Money(int(value["amount"]), str(value["currency"]))


@dataclass(frozen=True, slots=True)
class QuoteLine:
    seat: str
    cabin: str
    fare: Money  # the cabin's base fare
    demand_permille: int
    surcharges: tuple[tuple[str, Money], ...]
    price: Money  # fare x demand + surcharges

    def as_dict(self) -> dict[str, Any]:
        return {
            "seat": self.seat,
            "cabin": self.cabin,
            "fare": self.fare.as_dict(),
            "demand_multiplier_permille": self.demand_permille,
            "surcharges": [{"kind": kind, **money.as_dict()} for kind, money in self.surcharges],
            "price": self.price.as_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QuoteLine:
        return cls(
            seat=data["seat"],
            cabin=data["cabin"],
            fare=_money(data["fare"]),
            demand_permille=int(data["demand_multiplier_permille"]),
            surcharges=tuple((item["kind"], _money(item)) for item in data["surcharges"]),
            price=_money(data["price"]),
        )


@dataclass(frozen=True, slots=True)
class Quote:
    lines: tuple[QuoteLine, ...]
    subtotal: Money
    discount: Money
    taxes: Money
    total: Money
    discount_code: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "lines": [line.as_dict() for line in self.lines],
            "subtotal": self.subtotal.as_dict(),
            "discount": self.discount.as_dict(),
            "discount_code": self.discount_code,
            "taxes": self.taxes.as_dict(),
            "total": self.total.as_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Quote:
        return cls(
            lines=tuple(QuoteLine.from_dict(line) for line in data["lines"]),
            subtotal=_money(data["subtotal"]),
            discount=_money(data["discount"]),
            taxes=_money(data["taxes"]),
            total=_money(data["total"]),
            discount_code=data.get("discount_code"),
        )

    def with_discount(self, code: str, amount: int) -> Quote:
        """The same quote with a discount of `amount` (capped at the subtotal) applied."""
        applied = min(max(amount, 0), self.subtotal.amount)
        currency = self.subtotal.currency
        return replace(
            self,
            discount=Money(applied, currency),
            discount_code=code,
            total=Money(self.subtotal.amount - applied + self.taxes.amount, currency),
        )


def seat_line(layout: Layout, seat: str, demand_permille: int) -> QuoteLine:
    cabin = layout.cabin_of(seat)
    currency = cabin.fare.currency
    row, letter = int(seat[:-1]), seat[-1]
    rules = layout.surcharges
    surcharges: list[tuple[str, Money]] = []
    if rules.exit_row and row in cabin.exit_rows:
        surcharges.append(("exit_row", Money(rules.exit_row, currency)))
    if rules.front_row and row < cabin.first_row + rules.front_rows:
        surcharges.append(("front_row", Money(rules.front_row, currency)))
    if rules.window and cabin.is_window(letter):
        surcharges.append(("window", Money(rules.window, currency)))
    elif rules.aisle and cabin.is_aisle(letter):
        surcharges.append(("aisle", Money(rules.aisle, currency)))
    fare = scale(cabin.fare.amount, demand_permille, PERMILLE)
    price = fare + sum(money.amount for _, money in surcharges)
    return QuoteLine(
        seat, cabin.name, cabin.fare, demand_permille, tuple(surcharges), Money(price, currency)
    )


def quote(
    layout: Layout, seats: tuple[str, ...], rules: FareRules, booked: int, capacity: int
) -> Quote:
    """Price `seats` on a flight with `booked` of its `capacity` seats sold."""
    permille = rules.demand_permille(booked, capacity)
    lines = tuple(seat_line(layout, seat, permille) for seat in sorted(seats, key=seat_sort_key))
    currency = layout.currency
    subtotal = sum(line.price.amount for line in lines)
    taxes = rules.taxes(subtotal, len(lines))
    return Quote(
        lines=lines,
        subtotal=Money(subtotal, currency),
        discount=Money.zero(currency),
        taxes=Money(taxes, currency),
        total=Money(subtotal + taxes, currency),
    )
