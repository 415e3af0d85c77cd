"""`lastseat seats` as text: each row's seats with a state mark and price, exit rows named
at both ends, and why each price is what it is (the server's price parts, in the words mail
and the web client use: "Exit row seat", never `exit_row`)."""

from __future__ import annotations

from typing import Any

from lastseat.domain.price_words import surcharge_name
from lastseat.entrypoints.cli.wording import counted, money_text

# Each state with a colour and a mark: the mark alone tells them apart (no colour, or
# colour blindness).
SEAT_MARKS = {"available": ("green", "o"), "held": ("yellow", "~"), "booked": ("red", "x")}
UNKNOWN_MARK = ("white", "?")
LISTED_SEATS = 8  # a price shared by more seats is told by count


def legend() -> str:
    marks = (f"[{style}]{mark}[/{style}] {status}" for status, (style, mark) in SEAT_MARKS.items())
    return "  ".join(marks) + "  EXIT exit row (extra legroom)"


def row_lines(seats: list[dict[str, Any]]) -> list[str]:
    rows: dict[int, list[dict[str, Any]]] = {}
    for seat in seats:
        rows.setdefault(seat["row"], []).append(seat)
    lines = []
    for row, in_row in rows.items():
        cells = []
        for seat in in_row:
            style, mark = SEAT_MARKS.get(seat["status"], UNKNOWN_MARK)
            cells.append(f"[{style}]{seat['seat']:>4} {mark}[/{style}] {money_text(seat['price'])}")
        exit_mark = "EXIT" if any("exit_row" in seat["features"] for seat in in_row) else "    "
        lines.append(f"{exit_mark} {row:>3}  " + "  ".join(cells) + f"  {exit_mark}".rstrip())
    return lines


def price_reasons(seats: list[dict[str, Any]]) -> list[str]:
    """One line per distinct make-up of a price, as the web's seat map explains a seat
    ("Economy fare EUR 150.00 + Exit row seat EUR 20.00"), and its seats."""
    groups: dict[str, list[str]] = {}
    for seat in seats:
        parts = seat["price_parts"]
        cabin = seat["cabin"][:1].upper() + seat["cabin"][1:]
        reason = f"{cabin} fare {money_text(parts['fare'])}" + "".join(
            f" + {surcharge_name(item['kind'])} {money_text(item)}" for item in parts["surcharges"]
        )
        groups.setdefault(f"{money_text(seat['price'])} = {reason}", []).append(seat["seat"])
    lines = []
    for reason, names in groups.items():
        which = " ".join(names) if len(names) <= LISTED_SEATS else counted(len(names), "seat")
        lines.append(f"{reason}: {which}")
    return lines


def status_counts(seats: list[dict[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for seat in seats:
        counts[seat["status"]] = counts.get(seat["status"], 0) + 1
    return ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
