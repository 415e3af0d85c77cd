"""A price as a traveller reads a bill: each seat's fare, its extras and demand, then the
discount, the taxes and the total, in words (never `exit_row` or "Demand 100.0%").

The one place these words are written: mail, e-tickets and the CLI use them from here, and
the web client reads them from web/js/server-words.js, which is written from this module
(entrypoints/web_words.py) and checked by a test to be current.
"""

from __future__ import annotations

from dataclasses import dataclass

from lastseat.domain.money import Money, format_money
from lastseat.domain.pricing import Quote, QuoteLine

SURCHARGE_NAMES = {
    "exit_row": "Exit row seat",
    "front_row": "Front row seat",
    "window": "Window seat",
    "aisle": "Aisle seat",
}
UNKNOWN_SURCHARGE = "Seat extra"  # a kind added since these words were written
FARE_LABEL = "Seat {seat}, {cabin} fare"  # filled by name, in Python and in the web client
HIGH_DEMAND = "High demand"
LOW_DEMAND = "Low demand saving"
MINUS = "\u2212"  # the minus sign, not the hyphen, before an amount taken off


@dataclass(frozen=True, slots=True)
class PriceLine:
    label: str
    amount: Money
    added: bool  # a part added to (or taken off) the line above it, shown "+" / "-"


def surcharge_name(kind: str) -> str:
    return SURCHARGE_NAMES.get(kind, UNKNOWN_SURCHARGE)


def demand_part(line: QuoteLine) -> PriceLine | None:
    """What demand added to (or took off) the seat's fare, as the server priced it."""
    extras = sum(money.amount for _, money in line.surcharges)
    amount = line.price.amount - line.fare.amount - extras
    if not amount:
        return None
    label = HIGH_DEMAND if amount > 0 else LOW_DEMAND
    return PriceLine(label, Money(amount, line.price.currency), added=True)


def seat_parts(line: QuoteLine) -> list[PriceLine]:
    """The fare first, then the seat's extras, then demand."""
    label = FARE_LABEL.format(seat=line.seat, cabin=line.cabin)
    parts = [PriceLine(label, line.fare, added=False)]
    parts += [PriceLine(surcharge_name(kind), money, added=True) for kind, money in line.surcharges]
    demand = demand_part(line)
    if demand is not None:
        parts.append(demand)
    return parts


def breakdown(quote: Quote, *, paid: bool = True) -> list[PriceLine]:
    """The whole bill, seat by seat, then discount (if any), taxes and the total: "Total
    paid" once it is (mail), "Total" on a quote not paid yet (the CLI before it pays)."""
    lines = [part for line in quote.lines for part in seat_parts(line)]
    if quote.discount.amount:
        code = f" ({quote.discount_code})" if quote.discount_code else ""
        currency = quote.discount.currency
        lines.append(
            PriceLine(f"Discount{code}", Money(-quote.discount.amount, currency), added=True)
        )
    lines.append(PriceLine("Taxes and fees", quote.taxes, added=True))
    lines.append(PriceLine("Total paid" if paid else "Total", quote.total, added=False))
    return lines


def amount_text(line: PriceLine) -> str:
    """A part added to the line above reads "+EUR 25.00", one taken off "\u2212EUR 50.00"
    (the sign before the currency; U+2212, the minus sign the web client writes); the seat's fare
    and the total read plainly."""
    if not line.added:
        return format_money(line.amount)
    sign = "+" if line.amount.amount >= 0 else MINUS
    return f"{sign}{format_money(Money(abs(line.amount.amount), line.amount.currency))}"


def _before(minutes: int) -> str:
    """ "2 hours before departure", "90 minutes before departure", "at departure"."""
    if not minutes:
        return "at departure"
    count, unit = (minutes // 60, "hour") if minutes % 60 == 0 else (minutes, "minute")
    return f"{count} {unit}{'' if count == 1 else 's'} before departure"


def cancellation_rule(closes: str, cutoff_minutes: int) -> str:
    """The cancellation rule as one sentence: `closes` is the moment it ends, as the
    departure airport's clocks show it, zone named ("10 Dec 2026, 22:30 Asia/Tokyo
    (UTC+09:00)")."""
    return (
        f"Free cancellation, with a full refund, until {closes},"
        f" {_before(cutoff_minutes)}; not after."
    )
