"""How the CLI says amounts and counts to a traveller: money in the server's one format
(domain.money.format_money, as mail says it), "1 seat" but "2 seats", "seat 1A" but
"seats 1A, 1B"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lastseat.domain.money import Money, format_money


def money_text(value: Mapping[str, Any]) -> str:
    """An API amount (`{"amount": 15000, "currency": "EUR"}`) as "EUR 150.00"."""
    return format_money(Money(int(value["amount"]), str(value["currency"])))


def _noun(count: int, one: str, many: str | None) -> str:
    return one if count == 1 else many or f"{one}s"


def counted(count: int, one: str, many: str | None = None) -> str:
    """The count and its noun: "1 seat", "0 seats", "2 seats" (`many` where an s is wrong)."""
    return f"{count} {_noun(count, one, many)}"


def listed(items: Sequence[object], one: str, many: str | None = None) -> str:
    """The items after the noun their number wants: "seat 1A", "seats 1A, 1B"."""
    return f"{_noun(len(items), one, many)} {', '.join(map(str, items))}"
