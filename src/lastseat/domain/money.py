"""Money as integer minor units with a currency. There is no float anywhere in a price."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

# A type, so the HTTP schemas list the same codes in OpenAPI.
Currency = Literal["AUD", "CAD", "CHF", "DKK", "EUR", "GBP", "JPY", "NOK", "PLN", "SEK", "USD"]
CURRENCY_CODES: frozenset[str] = frozenset(get_args(Currency))
# ISO 4217 minor-unit digits where they are not two: a yen has no smaller unit.
FRACTION_DIGITS: dict[str, int] = {"JPY": 0}


class CurrencyMismatch(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise TypeError("money amounts are integer minor units")
        if self.currency not in CURRENCY_CODES:
            raise ValueError(f"unsupported currency {self.currency!r}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def as_dict(self) -> dict[str, int | str]:
        return {"amount": self.amount, "currency": self.currency}


def total(items: list[Money], currency: str) -> Money:
    result = Money.zero(currency)
    for item in items:
        result = result + item
    return result


def fraction_digits(currency: str) -> int:
    """How many digits after the point the currency's minor units are (ISO 4217)."""
    return FRACTION_DIGITS.get(currency, 2)


def major_units(amount: int, currency: str) -> str:
    """Minor units as the currency writes them, by digits, never through a float:
    15050 EUR is "150.50", 15000 JPY is "15,000"."""
    digits = fraction_digits(currency)
    sign = "-" if amount < 0 else ""
    whole, part = divmod(abs(amount), 10**digits)
    return f"{sign}{whole:,}" + (f".{part:0{digits}d}" if digits else "")


def format_money(money: Money) -> str:
    """ "EUR 123.45", "JPY 15,000": the code, then the amount with the currency's digits."""
    return f"{money.currency} {major_units(money.amount, money.currency)}"
