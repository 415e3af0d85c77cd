"""Money as integer minor units with a currency. There is no float anywhere in a price."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

# A type, so the HTTP schemas list the same codes in OpenAPI.
Currency = Literal["AUD", "CAD", "CHF", "DKK", "EUR", "GBP", "JPY", "NOK", "PLN", "SEK", "USD"]
CURRENCY_CODES: frozenset[str] = frozenset(get_args(Currency))
# Digits after the point (ISO 4217's minor unit): 2 for all but these.
MINOR_DIGITS: dict[str, int] = {"JPY": 0}


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


def minor_digits(currency: str) -> int:
    return MINOR_DIGITS.get(currency, 2)


def format_money(money: Money) -> str:
    """ "EUR 1,234.50", "JPY 12,345": the amount in major units, with as many decimals as
    the currency has (the web client's money.js says the same digits)."""
    sign = "-" if money.amount < 0 else ""
    digits = minor_digits(money.currency)
    whole, fraction = divmod(abs(money.amount), 10**digits)
    decimals = f".{fraction:0{digits}d}" if digits else ""
    return f"{money.currency} {sign}{whole:,}{decimals}"
