"""Seat spinning (OWASP OAT-021, Denial of Inventory) on SQLite and PostgreSQL: what one
customer and one client address may hold at once is bounded, counted in the database under
concurrency (a check-then-act would let many of these concurrent holds through), and no
one's holds move the price anyone else pays."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from lastseat.adapters.db.database import SqlDatabase
from lastseat.bootstrap import Services
from lastseat.domain.errors import DomainError, LimitReached, TooManyAttempts
from lastseat.domain.flights import Flight
from lastseat.domain.holds import Hold
from lastseat.domain.users import User
from lastseat.entrypoints.http.app import create_app
from tests.support.clock import FakeClock
from tests.support.flights import new_flight
from tests.support.passengers import passengers_for

BOT_ADDRESS, TRAVELLER_ADDRESS = "203.0.113.50", "198.51.100.7"


def _nines(flight: Flight) -> list[list[str]]:
    """The flight's seats in disjoint blocks of nine (the most one hold may take)."""
    names = flight.layout.seat_names()
    return [names[i : i + 9] for i in range(0, len(names) - 8, 9)]


async def _hold(
    services: Services, user: User, flight_id: int, seats: list[str], address: str
) -> Hold | str:
    """The hold, or the refusal's limit."""
    try:
        return (
            await services.reservations.hold_seats(user, flight_id, seats, address=address)
        ).hold
    except (LimitReached, TooManyAttempts) as refused:
        return refused.limit
    except DomainError as refused:
        return refused.code


def _held(outcomes: list[Hold | str]) -> int:
    return sum(len(o.seats) for o in outcomes if isinstance(o, Hold))


def _refusals(outcomes: list[Hold | str]) -> list[str]:
    return [o for o in outcomes if isinstance(o, str)]


@pytest.mark.settings(holds_per_customer=1_000)  # the rate has a test of its own
async def test_one_customer_cannot_hold_a_flight_or_the_inventory(
    services: Services, clock: FakeClock
) -> None:
    flights = [
        await services.catalog.create_flight(new_flight(clock(), code=f"LS{100 + n}"))
        for n in range(6)
    ]
    bot = await services.accounts.signup("bot@example.com", "bot-password-1")
    settings = services.settings
    # twenty concurrent holds of nine seats on one flight: one customer's share is a hold
    first = flights[0]
    outcomes = await asyncio.gather(
        *(_hold(services, bot, first.id, block, BOT_ADDRESS) for block in _nines(first)[:20])
    )
    assert _held(outcomes) == settings.hold_max_seats_per_flight
    assert _refusals(outcomes) == ["seats-per-flight"] * 19
    (bought,) = [o for o in outcomes if isinstance(o, Hold)]
    # and across six flights at once, never more than the customer's total
    outcomes = await asyncio.gather(
        *(
            _hold(services, bot, flight.id, block, BOT_ADDRESS)
            for flight in flights[1:]
            for block in _nines(flight)[:4]
        )
    )
    assert _held(outcomes) == settings.hold_max_seats_per_customer - 9
    assert set(_refusals(outcomes)) <= {"seats-per-customer", "seats-per-flight"}
    refused = await _hold(services, bot, first.id, ["30F"], "192.0.2.1")  # any address
    assert refused == "seats-per-flight"
    # seats bought are no longer held: the customer may hold again
    await services.bookings.confirm(
        bot, bought.id, "tok_ok", passengers=passengers_for(bought.seats)
    )
    again = await _hold(services, bot, first.id, ["30F"], BOT_ADDRESS)
    assert isinstance(again, Hold)


async def test_twenty_accounts_from_one_address_leave_the_flight_to_others(
    services: Services, clock: FakeClock
) -> None:
    flight = await services.catalog.create_flight(new_flight(clock()))
    capacity = flight.layout.capacity
    traveller = await services.accounts.signup("tia@example.com", "tia-password-1")
    before = (await services.reservations.hold_seats(traveller, flight.id, ["20C"])).hold
    await services.reservations.release_hold(traveller, before.id)
    bots = await asyncio.gather(
        *(services.accounts.signup(f"bot{n}@example.com", "bot-password-1") for n in range(20))
    )
    others = [seat for seat in flight.layout.seat_names() if seat != "20C"]
    blocks = [others[i * 8 : i * 8 + 8] for i in range(20)]  # 160 seats in all
    outcomes = await asyncio.gather(
        *(
            _hold(services, bot, flight.id, block, BOT_ADDRESS)
            for bot, block in zip(bots, blocks, strict=True)
        )
    )
    share = services.settings.hold_limits.address_seats(capacity)
    held = _held(outcomes)
    assert share < capacity and held <= share
    assert held > share - 8  # the limit, not something else, stopped them
    assert set(_refusals(outcomes)) == {"seats-per-address"}
    seat_map = await services.catalog.seat_map(flight.id)
    assert capacity - len(seat_map.taken) >= capacity - share  # the documented share is free
    # the traveller, elsewhere, still holds seats, at the price they had before the bots
    after = (await services.reservations.hold_seats(traveller, flight.id, ["20C"])).hold
    assert after.quote == before.quote
    assert seat_map.demand_permille == 1000


async def test_holds_do_not_move_prices_but_sales_do(services: Services, clock: FakeClock) -> None:
    flight = await services.catalog.create_flight(new_flight(clock()))
    ann = await services.accounts.signup("ann@example.com", "ann-password-1")
    first = (await services.reservations.hold_seats(ann, flight.id, ["25A"])).hold
    quoted = first.quote
    await services.reservations.release_hold(ann, first.id)
    buyers = await asyncio.gather(
        *(services.accounts.signup(f"b{n}@example.com", "buyer-password-1") for n in range(10))
    )
    # 90 seats held (half the flight): the price does not move
    holds = [
        (await services.reservations.hold_seats(buyer, flight.id, block)).hold
        for buyer, block in zip(buyers, _nines(flight)[:10], strict=True)
    ]
    again = (await services.reservations.hold_seats(ann, flight.id, ["25A"])).hold
    assert again.quote == quoted
    await services.reservations.release_hold(ann, again.id)
    # the same 90 seats sold: demand pricing applies (load 50%: x1.15)
    for buyer, hold in zip(buyers, holds, strict=True):
        await services.bookings.confirm(
            buyer, hold.id, "tok_ok", passengers=passengers_for(hold.seats)
        )
    sold = (await services.reservations.hold_seats(ann, flight.id, ["25A"])).hold.quote
    assert sold.subtotal.amount > quoted.subtotal.amount
    assert (await services.catalog.seat_map(flight.id)).demand_permille == 1150


@pytest.mark.settings(holds_per_address=5)
async def test_how_fast_one_address_places_holds_is_limited(
    services: Services, clock: FakeClock
) -> None:
    flight = await services.catalog.create_flight(new_flight(clock()))
    users = await asyncio.gather(
        *(services.accounts.signup(f"u{n}@example.com", "user-password-1") for n in range(8))
    )
    seats = flight.layout.seat_names()
    outcomes = await asyncio.gather(
        *(
            _hold(services, user, flight.id, [seat], BOT_ADDRESS)
            for user, seat in zip(users, seats, strict=False)
        )
    )
    assert _held(outcomes) == 5 and _refusals(outcomes) == ["holds-per-address"] * 3
    # another address is not affected; this one is served again in the next window
    assert isinstance(
        await _hold(services, users[0], flight.id, [seats[20]], TRAVELLER_ADDRESS), Hold
    )
    clock.advance(seconds=services.settings.holds_window_seconds)
    assert isinstance(await _hold(services, users[1], flight.id, [seats[21]], BOT_ADDRESS), Hold)


@pytest.mark.settings(holds_per_address=3)
async def test_over_http_each_limit_is_a_problem_naming_it(
    services: Services, clock: FakeClock
) -> None:
    flight = await services.catalog.create_flight(new_flight(clock()))
    transport = httpx.ASGITransport(
        app=create_app(services.settings, services), client=(BOT_ADDRESS, 40_000)
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as api:
        creds = {"email": "bot@example.com", "password": "bot-password-1"}
        assert (await api.post("/api/v1/auth/signup", json=creds)).status_code == 201
        token = (await api.post("/api/v1/auth/login", json=creds)).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        blocks = _nines(flight)

        async def hold(block: list[str]) -> httpx.Response:
            body = {"flight_id": flight.id, "seats": block}
            return await api.post("/api/v1/holds", json=body, headers=auth)

        assert (await hold(blocks[0])).status_code == 201
        over = await hold(blocks[1])
        assert over.status_code == 409
        assert over.headers["content-type"] == "application/problem+json"
        problem = over.json()
        assert problem["type"].endswith("limit-reached")
        assert problem["limit"] == "seats-per-flight"
        assert problem["maximum"] == services.settings.hold_max_seats_per_flight
        assert "at most 9 may be held at once" in problem["detail"]
        assert (await hold(blocks[2])).status_code == 409  # the third hold from this address
        rate = await hold(blocks[3])
        assert rate.status_code == 429 and rate.json()["limit"] == "holds-per-address"
        assert 1 <= int(rate.headers["retry-after"]) <= services.settings.holds_window_seconds


async def test_one_account_cannot_use_up_its_address_rate_for_its_neighbours(
    services: Services, clock: FakeClock
) -> None:
    flight = await services.catalog.create_flight(new_flight(clock()))
    spinner = await services.accounts.signup("spin@example.com", "spin-password-1")
    neighbour = await services.accounts.signup("next@example.com", "next-password-1")
    rate = services.settings.holds_per_customer
    outcomes = []
    for _ in range(rate + 5):  # hold and release, as fast as it can
        outcome = await _hold(services, spinner, flight.id, ["12A"], BOT_ADDRESS)
        if isinstance(outcome, Hold):
            await services.reservations.release_hold(spinner, outcome.id)
        outcomes.append(outcome if isinstance(outcome, str) else "held")
    assert outcomes == ["held"] * rate + ["holds-per-customer"] * 5
    # someone else behind the same address is still served
    assert isinstance(await _hold(services, neighbour, flight.id, ["12A"], BOT_ADDRESS), Hold)


async def test_bookings_count_toward_a_share_so_booking_and_cancelling_cannot_spin(
    services: Services, clock: FakeClock
) -> None:
    flight = await services.catalog.create_flight(new_flight(clock()))
    spinner = await services.accounts.signup("spin@example.com", "spin-password-1")
    blocks = _nines(flight)
    bought = []
    for block in blocks[:2]:  # 18 seats held, then booked
        hold = await _hold(services, spinner, flight.id, block, BOT_ADDRESS)
        assert isinstance(hold, Hold)
        bought.append(
            (
                await services.bookings.confirm(
                    spinner, hold.id, "tok_ok", passengers=passengers_for(hold.seats)
                )
            ).booking
        )
    refused = await _hold(services, spinner, flight.id, blocks[2], BOT_ADDRESS)
    assert refused == "customer-seats-per-flight"
    await services.bookings.cancel(spinner, bought[0].id)  # a cancellation frees the share
    assert isinstance(await _hold(services, spinner, flight.id, blocks[2], BOT_ADDRESS), Hold)
    # and an address's share of a flight counts its live bookings too
    share = services.settings.hold_limits.address_seats(flight.layout.capacity)
    others = [
        await services.accounts.signup(f"bot{n}@example.com", "bot-password-1") for n in range(4)
    ]
    booked_here = 18
    for bot, block in zip(others, blocks[3:7], strict=True):
        hold = await _hold(services, bot, flight.id, block, BOT_ADDRESS)
        if isinstance(hold, str):
            assert hold == "seats-per-address" and booked_here + 9 > share
            break
        await services.bookings.confirm(
            bot, hold.id, "tok_ok", passengers=passengers_for(hold.seats)
        )
        booked_here += 9
    assert booked_here <= share


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_one_address_is_served_one_hold_at_a_time_per_flight_not_across_flights(
    services: Services, clock: FakeClock
) -> None:
    """An address's limits are shares of one flight, so its holds queue per flight only:
    an office or a NAT booking on many flights is not served one hold at a time."""
    first = await services.catalog.create_flight(new_flight(clock(), code="LS301"))
    second = await services.catalog.create_flight(new_flight(clock(), code="LS302"))
    ann = await services.accounts.signup("ann@example.com", "ann-password-1")
    bob = await services.accounts.signup("bob@example.com", "bob-password-1")
    # a hold of ann's from the address on the first flight, stopped inside its transaction
    assert isinstance(services.database, SqlDatabase)
    async with services.database.units_of_work(write=True) as uow:
        await uow.holds.serialize(ann.id, BOT_ADDRESS, first.id)
        other_flight = await asyncio.wait_for(
            _hold(services, bob, second.id, ["3A"], BOT_ADDRESS), timeout=10
        )
        assert isinstance(other_flight, Hold)
        same_flight = asyncio.create_task(_hold(services, bob, first.id, ["3A"], BOT_ADDRESS))
        await asyncio.sleep(0.5)
        assert not same_flight.done()  # queued behind the open one
    assert isinstance(await asyncio.wait_for(same_flight, timeout=10), Hold)
