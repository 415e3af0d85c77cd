"""Seats for a group, chosen by the server next to the map ("Find seats together",
best-available: docs/api.md): held together in one row and taken to checkout; when no row
has room, the page says how many seats are free instead of guessing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from playwright.async_api import expect

from tests.support.browser import HOLD_URL, Api, OpenTraveller, in_page


async def test_a_group_gets_seats_together_in_one_row(
    api: Api, open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    flight_id = await make_flight()  # rows 1-6, ABCD
    _, token = await api.user()
    await api.hold(token, flight_id, ["1A", "1B", "2C"])  # someone else's seats
    ana = await open_traveller()
    await ana.sign_up()
    await ana.goto(f"/flights/{flight_id}")
    await expect(ana.page.locator(".live")).to_have_text("live")
    await ana.page.get_by_label("Seats for your group").fill("3")
    await ana.page.get_by_role("button", name="Find seats together").click()
    await expect(ana.page).to_have_url(HOLD_URL)
    [hold] = (await in_page(ana, f"/api/v1/holds?flight_id={flight_id}"))["items"]
    seats = hold["seats"]
    assert len(seats) == 3 and len({seat[:-1] for seat in seats}) == 1, seats  # one row
    assert not {"1A", "1B", "2C"} & set(seats)


async def test_no_room_for_the_group_is_said_with_what_is_free(
    api: Api, open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    flight_id = await make_flight(rows=1, letters="AB")
    _, token = await api.user()
    await api.hold(token, flight_id, ["1A"])
    ana = await open_traveller()
    ana.allow_http_errors(409)  # the group's hold is refused, as it should be
    await ana.sign_up()
    await ana.goto(f"/flights/{flight_id}")
    await expect(ana.page.locator(".live")).to_have_text("live")
    await ana.page.get_by_label("Seats for your group").fill("2")
    await ana.page.get_by_role("button", name="Find seats together").click()
    await expect(
        ana.page.get_by_text("Sorry, there are no 2 seats free together: 1 seat is free.")
    ).to_be_visible()
    assert (await in_page(ana, f"/api/v1/holds?flight_id={flight_id}"))["items"] == []
