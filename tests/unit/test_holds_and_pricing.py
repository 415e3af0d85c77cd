"""Hold requests, expiry and the pricing function, with no database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lastseat.domain import pricing
from lastseat.domain.errors import HoldGone, InvalidRequest, NotFound
from lastseat.domain.events import SeatEvent, replacement_events
from lastseat.domain.flights import SeatStatus
from lastseat.domain.holds import Hold, HoldStatus, check_replaceable, expiry, requested_seats
from lastseat.domain.money import Money
from lastseat.domain.pricing import Quote
from lastseat.services.samples import standard_layout
from tests.support.fares import NO_RULES

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def test_a_hold_takes_one_to_nine_distinct_seats_sorted() -> None:
    assert requested_seats(["12b", "2A", "12A"]) == ("2A", "12A", "12B")
    for bad in ([], [f"{row}A" for row in range(1, 11)]):
        with pytest.raises(InvalidRequest, match="1 to 9"):
            requested_seats(bad)
    with pytest.raises(InvalidRequest, match="repeated"):
        requested_seats(["12A", "12a"])


def test_one_bad_seat_name_refuses_the_whole_request() -> None:
    with pytest.raises(InvalidRequest, match="seat name"):
        requested_seats(["12A", "twelve"])


def _hold(expires_at: datetime, status: HoldStatus = HoldStatus.ACTIVE) -> Hold:
    layout = standard_layout()
    return Hold(
        id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        flight_id=1,
        seats=("12A",),
        expires_at=expires_at,
        status=status,
        quote=pricing.quote(layout, ("12A",), NO_RULES, 0, 180),
    )


def test_a_hold_is_live_until_the_instant_it_expires() -> None:
    until = expiry(NOW, timedelta(minutes=10), NOW + timedelta(days=1))
    assert until == NOW + timedelta(minutes=10)
    # a hold never outlives its flight's departure
    assert expiry(NOW, timedelta(minutes=10), NOW + timedelta(minutes=3)) == NOW + timedelta(
        minutes=3
    )
    hold = _hold(until)
    assert hold.is_live(NOW)
    assert hold.is_live(until - timedelta(microseconds=1))
    assert not hold.is_live(until)
    assert not _hold(until, HoldStatus.RELEASED).is_live(NOW)
    assert not _hold(until, HoldStatus.BOOKED).is_live(NOW)


def test_without_rules_a_seat_costs_its_cabin_fare() -> None:
    quote = pricing.quote(standard_layout(), ("12B", "1A", "12A"), NO_RULES, 0, 180)
    assert [(line.seat, line.cabin, line.price.amount) for line in quote.lines] == [
        ("1A", "business", 120_000),
        ("12A", "economy", 15_000),
        ("12B", "economy", 15_000),
    ]
    assert quote.subtotal == quote.total == Money(150_000, "EUR")
    assert quote.discount == quote.taxes == Money(0, "EUR")


seat_names = st.sampled_from(standard_layout().seat_names())


@given(st.lists(seat_names, min_size=1, max_size=9, unique=True))
def test_quote_lines_always_sum_to_the_total_and_survive_storage(seats: list[str]) -> None:
    quote = pricing.quote(standard_layout(), tuple(seats), NO_RULES, 0, 180)
    assert sum(line.price.amount for line in quote.lines) == quote.subtotal.amount
    assert quote.total.amount == quote.subtotal.amount - quote.discount.amount + quote.taxes.amount
    assert quote.total.amount > 0
    assert Quote.from_dict(quote.as_dict()) == quote


def test_only_a_live_hold_on_the_same_flight_can_be_replaced() -> None:
    live = _hold(NOW + timedelta(minutes=5))
    assert check_replaceable(live, live.flight_id, NOW) is live
    with pytest.raises(NotFound):
        check_replaceable(None, live.flight_id, NOW)
    with pytest.raises(HoldGone):
        check_replaceable(_hold(NOW), live.flight_id, NOW)
    with pytest.raises(HoldGone):
        check_replaceable(_hold(NOW + timedelta(minutes=5), HoldStatus.RELEASED), 1, NOW)
    with pytest.raises(InvalidRequest, match="another flight"):
        check_replaceable(live, live.flight_id + 1, NOW)


def test_a_replaced_hold_reports_only_the_seats_that_change() -> None:
    assert replacement_events(7, ["12B", "12A"], ["12A", "2C"]) == [
        SeatEvent(7, "12B", SeatStatus.AVAILABLE),
        SeatEvent(7, "2C", SeatStatus.HELD),
    ]
    assert replacement_events(7, [], ["1A"]) == [SeatEvent(7, "1A", SeatStatus.HELD)]
