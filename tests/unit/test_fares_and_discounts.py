"""Fare rules and discount codes: every rule, the rounding edges, and properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lastseat.domain import pricing
from lastseat.domain.discounts import (
    Discount,
    DiscountKind,
    DiscountNotApplicable,
    as_created,
    check_applies,
)
from lastseat.domain.errors import InvalidRequest
from lastseat.domain.fares import DemandBucket, FareRules, Surcharges, scale
from lastseat.domain.flights import Cabin, Flight, Layout
from lastseat.domain.money import Money

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)
RULES = FareRules(
    demand=(DemandBucket(50, 1000), DemandBucket(80, 1150), DemandBucket(101, 1350)),
    tax_per_seat=1_200,
    tax_basis_points=500,
)
LAYOUT = Layout(
    (
        Cabin("business", 1, 2, "AC", Money(120_000, "EUR"), aisle_after="A"),
        Cabin(
            "economy", 3, 30, "ABCDEF", Money(15_000, "EUR"), exit_rows=(12, 13), aisle_after="C"
        ),
    ),
    Surcharges(exit_row=2_500, front_row=1_000, front_rows=2, window=700, aisle=500),
)
FLIGHT = Flight(1, "LS101", "LHR", "JFK", NOW + timedelta(days=30), LAYOUT)
CAPACITY = len(LAYOUT.seat_names())


@pytest.mark.parametrize(
    ("amount", "numerator", "denominator", "expected"),
    [
        (10, 1, 4, 3),
        (10, 1, 3, 3),
        (5, 1, 2, 3),
        (3, 1, 2, 2),
        (1, 1, 2, 1),
        (0, 7, 9, 0),
        (15_000, 1_150, 1_000, 17_250),
        (333, 500, 10_000, 17),
        (1, 1, 3, 0),
    ],
)
def test_scaling_rounds_half_up(
    amount: int, numerator: int, denominator: int, expected: int
) -> None:
    assert scale(amount, numerator, denominator) == expected


@given(st.integers(0, 10**9), st.integers(0, 10**5), st.integers(1, 10**5))
def test_scaling_is_the_nearest_integer(amount: int, numerator: int, denominator: int) -> None:
    exact_twice = 2 * amount * numerator
    result = scale(amount, numerator, denominator)
    assert abs(2 * result * denominator - exact_twice) <= denominator


@pytest.mark.parametrize(
    ("taken", "permille"),
    # of 172 seats: 85 is 49.4%, 86 exactly 50%, 137 is 79.7%, 138 is 80.2%
    [(0, 1000), (85, 1000), (86, 1150), (137, 1150), (138, 1350), (172, 1350)],
)
def test_demand_multiplier_follows_the_load_factor(taken: int, permille: int) -> None:
    assert CAPACITY == 172
    assert RULES.demand_permille(taken, CAPACITY) == permille


def test_demand_buckets_must_cover_every_load() -> None:
    with pytest.raises(ValueError, match="cover"):
        FareRules((DemandBucket(50, 1000),), 0, 0)
    with pytest.raises(ValueError, match="rise"):
        FareRules((DemandBucket(80, 1000), DemandBucket(50, 1100), DemandBucket(101, 1)), 0, 0)


@pytest.mark.parametrize(
    ("seat", "surcharges", "price"),
    [
        ("1A", ["front_row", "window"], 120_000 + 1_000 + 700),
        ("1C", ["front_row", "window"], 120_000 + 1_000 + 700),  # window wins over aisle
        ("3A", ["front_row", "window"], 15_000 + 1_000 + 700),
        ("5C", ["aisle"], 15_000 + 500),
        ("5D", ["aisle"], 15_000 + 500),
        ("5B", [], 15_000),
        ("12B", ["exit_row"], 15_000 + 2_500),
        ("13F", ["exit_row", "window"], 15_000 + 2_500 + 700),
        ("6E", [], 15_000),
    ],
)
def test_seat_surcharges_come_from_the_layout(seat: str, surcharges: list[str], price: int) -> None:
    line = pricing.seat_line(LAYOUT, seat, 1000)
    assert [kind for kind, _ in line.surcharges] == surcharges
    assert line.price == Money(price, "EUR")


def test_a_quote_scales_fares_adds_surcharges_then_taxes() -> None:
    quote = pricing.quote(LAYOUT, ("12B", "5B"), RULES, booked=100, capacity=CAPACITY)
    fare = 17_250  # 15000 x 1.15
    assert [line.price.amount for line in quote.lines] == [fare, fare + 2_500]
    assert quote.subtotal.amount == 2 * fare + 2_500
    assert quote.taxes.amount == 2 * 1_200 + scale(quote.subtotal.amount, 500, 10_000)
    assert quote.total.amount == quote.subtotal.amount + quote.taxes.amount
    assert quote.discount.amount == 0


def percent(value: int, **kw: object) -> Discount:
    return Discount("SPRING", DiscountKind.PERCENT, value, **kw)  # type: ignore[arg-type]


def test_percent_and_fixed_discounts_never_pass_the_subtotal() -> None:
    quote = pricing.quote(LAYOUT, ("5B",), RULES, 0, CAPACITY)
    assert percent(1_000).amount(quote) == 1_500
    assert percent(10_000).amount(quote) == 15_000
    assert Discount("BIG", DiscountKind.FIXED, 10**6, currency="EUR").amount(quote) == 15_000
    discounted = quote.with_discount("SPRING", percent(3_333).amount(quote))
    assert discounted.discount.amount == 5_000  # 4999.5 rounds up
    assert discounted.total.amount == 15_000 - 5_000 + quote.taxes.amount


@pytest.mark.parametrize(
    ("discount", "now", "used", "redeemed", "reason"),
    [
        (percent(100, valid_from=NOW + timedelta(days=1)), NOW, False, 0, "not valid before"),
        (percent(100, valid_until=NOW), NOW, False, 0, "expired"),
        (percent(100, flight_id=2), NOW, False, 0, "another flight"),
        (percent(100, origin="CDG"), NOW, False, 0, "only from CDG"),
        (percent(100, destination="AMS"), NOW, False, 0, "only to AMS"),
        (Discount("USD5", DiscountKind.FIXED, 500, currency="USD"), NOW, False, 0, "USD"),
        (percent(100, min_spend=20_000), NOW, False, 0, "at least 20000"),
        (percent(100), NOW, True, 0, "already used"),
        (percent(100, max_redemptions=50), NOW, False, 50, "fully redeemed"),
    ],
)
def test_a_code_that_does_not_apply_says_why(
    discount: Discount, now: datetime, used: bool, redeemed: int, reason: str
) -> None:
    quote = pricing.quote(LAYOUT, ("5B",), RULES, 0, CAPACITY)
    with pytest.raises(DiscountNotApplicable, match=reason):
        check_applies(discount, quote, FLIGHT, now, used, redeemed)


def test_a_code_that_applies_passes_every_check() -> None:
    quote = pricing.quote(LAYOUT, ("5B",), RULES, 0, CAPACITY)
    ok = percent(
        1_000,
        valid_from=NOW - timedelta(days=1),
        valid_until=NOW + timedelta(days=1),
        flight_id=1,
        origin="LHR",
        destination="JFK",
        currency="EUR",
        min_spend=15_000,
        max_redemptions=50,
    )
    check_applies(ok, quote, FLIGHT, NOW, used_by_caller=False, redeemed=49)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"code": "x", "kind": DiscountKind.PERCENT, "value": 10},
        {"code": "TOOMUCH", "kind": DiscountKind.PERCENT, "value": 10_001},
        {"code": "NOCUR", "kind": DiscountKind.FIXED, "value": 100},
        {"code": "CAP", "kind": DiscountKind.PERCENT, "value": 10, "max_redemptions": 0},
        {
            "code": "WINDOW",
            "kind": DiscountKind.PERCENT,
            "value": 10,
            "valid_from": NOW,
            "valid_until": NOW,
        },
    ],
)
def test_malformed_discounts_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidRequest):
        Discount(**kwargs)  # type: ignore[arg-type]


seats = st.lists(st.sampled_from(LAYOUT.seat_names()), min_size=1, max_size=9, unique=True)


@given(
    seats,
    st.integers(0, CAPACITY),
    st.sampled_from([DiscountKind.PERCENT, DiscountKind.FIXED]),
    st.integers(1, 10_000),
)
def test_quote_properties(names: list[str], taken: int, kind: DiscountKind, value: int) -> None:
    quote = pricing.quote(LAYOUT, tuple(names), RULES, taken, CAPACITY)
    discount = Discount("PROP", kind, value, currency="EUR" if kind is DiscountKind.FIXED else None)
    final = quote.with_discount("PROP", discount.amount(quote))
    for priced in (quote, final):
        assert sum(line.price.amount for line in priced.lines) == priced.subtotal.amount
        assert priced.total.amount == (
            priced.subtotal.amount - priced.discount.amount + priced.taxes.amount
        )
        assert 0 <= priced.discount.amount <= priced.subtotal.amount
        assert priced.total.amount >= 0
        assert pricing.Quote.from_dict(priced.as_dict()) == priced
    assert final.taxes == quote.taxes  # a discount never reduces the taxes


def test_a_new_code_takes_its_currency_in_any_case_and_only_one_prices_are_kept_in() -> None:
    typed = Discount("EURO5", DiscountKind.FIXED, 500, currency=" eur")
    assert as_created(typed).currency == "EUR"
    for currency in ("XYZ", "euro", ""):
        with pytest.raises(InvalidRequest, match="currency"):
            as_created(Discount("EURO5", DiscountKind.FIXED, 500, currency=currency))


@pytest.mark.parametrize(
    ("origin", "destination"), [("nrt", None), ("NRTX", None), (None, "N1T"), ("NRT", "NRT")]
)
def test_a_new_codes_route_is_between_airports_as_a_flights_is(
    origin: str | None, destination: str | None
) -> None:
    with pytest.raises(InvalidRequest):
        as_created(
            Discount("ROUTE", DiscountKind.PERCENT, 500, origin=origin, destination=destination)
        )
