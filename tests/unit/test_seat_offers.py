"""A seat's features and price parts, from the layout alone."""

from __future__ import annotations

from lastseat.domain.fares import Surcharges
from lastseat.domain.flights import Cabin, Layout
from lastseat.domain.money import Money
from lastseat.domain.pricing import seat_line
from lastseat.domain.seat_offers import SeatFeature, seat_features, seat_offer

F = SeatFeature
LAYOUT = Layout(
    (
        Cabin("business", 1, 2, "AC", Money(100_000, "EUR"), aisle_after="A"),
        Cabin("economy", 3, 20, "ABCDEF", Money(10_000, "EUR"), exit_rows=(10,), aisle_after="C"),
    ),
    Surcharges(exit_row=2_000, front_row=700, front_rows=1, window=500, aisle=300),
)


def test_features_name_the_place_in_the_row_exit_front_rows_and_premium_cabins() -> None:
    assert seat_features(LAYOUT, "1A") == (F.WINDOW, F.AISLE, F.FRONT_ROW, F.PREMIUM_CABIN)
    assert seat_features(LAYOUT, "2C") == (F.WINDOW, F.AISLE, F.PREMIUM_CABIN)
    assert seat_features(LAYOUT, "3B") == (F.MIDDLE, F.FRONT_ROW)
    assert seat_features(LAYOUT, "10F") == (F.WINDOW, F.EXIT_ROW, F.EXTRA_LEGROOM)
    assert seat_features(LAYOUT, "11D") == (F.AISLE,)


def test_an_offer_is_the_priced_seat_split_into_fare_and_surcharges() -> None:
    offer = seat_offer(LAYOUT, "10A", 1_250)
    assert (offer.row, offer.letter, offer.cabin) == (10, "A", "economy")
    assert offer.fare == Money(12_500, "EUR")
    assert offer.surcharges == (("exit_row", Money(2_000, "EUR")), ("window", Money(500, "EUR")))
    assert offer.price == seat_line(LAYOUT, "10A", 1_250).price == Money(15_000, "EUR")


def test_every_offer_adds_up_to_the_price_a_hold_would_pay() -> None:
    for seat in LAYOUT.seat_names():
        offer = seat_offer(LAYOUT, seat, 1_333)
        parts = offer.fare.amount + sum(money.amount for _, money in offer.surcharges)
        assert parts == offer.price.amount == seat_line(LAYOUT, seat, 1_333).price.amount


def test_one_cabin_or_cabins_of_one_fare_are_not_premium() -> None:
    economy = LAYOUT.cabins[1]
    single = Layout((economy,))
    assert F.PREMIUM_CABIN not in seat_features(single, "3A")
