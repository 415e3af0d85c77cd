"""What a traveller is offered per seat before choosing it: where the seat is, what kind of
seat it is, and why it costs what it costs.

Features are facts of the layout, named as the API names them:
  window, aisle, middle  where the seat is in its row (a seat by a window and an aisle has both)
  exit_row               the row is an emergency exit row
  extra_legroom          exit rows keep clear space in front of the seat
  front_row              within the flight's surcharged front rows of its cabin
  premium_cabin          the cabin's fare is above the flight's lowest cabin fare
The price parts are those of `pricing.seat_line`, the one function that prices a seat: the
cabin fare at the flight's current demand plus each surcharge, adding up to the price.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lastseat.domain.flights import Layout
from lastseat.domain.money import Money
from lastseat.domain.pricing import seat_line


class SeatFeature(StrEnum):
    WINDOW = "window"
    AISLE = "aisle"
    MIDDLE = "middle"
    EXIT_ROW = "exit_row"
    EXTRA_LEGROOM = "extra_legroom"
    FRONT_ROW = "front_row"
    PREMIUM_CABIN = "premium_cabin"


@dataclass(frozen=True, slots=True)
class SeatOffer:
    seat: str
    cabin: str
    row: int
    letter: str
    features: tuple[SeatFeature, ...]
    fare: Money  # the cabin's fare at the flight's current demand
    surcharges: tuple[tuple[str, Money], ...]
    price: Money  # fare + surcharges

    def parts_json(self) -> dict[str, object]:
        return {
            "fare": self.fare.as_dict(),
            "surcharges": [{"kind": kind, **money.as_dict()} for kind, money in self.surcharges],
        }


def seat_features(layout: Layout, seat: str) -> tuple[SeatFeature, ...]:
    cabin = layout.cabin_of(seat)
    row, letter = int(seat[:-1]), seat[-1]
    features: list[SeatFeature] = []
    if cabin.is_window(letter):
        features.append(SeatFeature.WINDOW)
    if cabin.is_aisle(letter):
        features.append(SeatFeature.AISLE)
    if not features:
        features.append(SeatFeature.MIDDLE)
    if row in cabin.exit_rows:
        features += [SeatFeature.EXIT_ROW, SeatFeature.EXTRA_LEGROOM]
    if row < cabin.first_row + layout.surcharges.front_rows:
        features.append(SeatFeature.FRONT_ROW)
    if cabin.fare.amount > min(other.fare.amount for other in layout.cabins):
        features.append(SeatFeature.PREMIUM_CABIN)
    return tuple(features)


def seat_offer(layout: Layout, seat: str, demand_permille: int) -> SeatOffer:
    line = seat_line(layout, seat, demand_permille)
    surcharged = sum(money.amount for _, money in line.surcharges)
    return SeatOffer(
        seat=seat,
        cabin=line.cabin,
        row=int(seat[:-1]),
        letter=seat[-1],
        features=seat_features(layout, seat),
        fare=Money(line.price.amount - surcharged, line.price.currency),
        surcharges=line.surcharges,
        price=line.price,
    )
