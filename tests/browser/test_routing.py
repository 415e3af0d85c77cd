"""Moving on before a page has drawn: a view still waiting for the server when the traveller
goes elsewhere draws nothing into the page it left (it once put the checkout below the seat
map)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from playwright.async_api import Route, expect

from tests.support.browser import OpenTraveller, hold_in_page, in_page

WAIT_SECONDS = 15.0  # a bound on waiting for the browser's request, not a performance figure


async def test_a_checkout_answered_after_the_traveller_went_back_draws_nothing(
    open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    traveller = await open_traveller()
    page = traveller.page
    await traveller.sign_up()
    flight_id = await make_flight()
    hold_id = await hold_in_page(traveller, flight_id, ["1A"])
    await expect(page.get_by_role("heading", name="Checkout")).to_be_visible()

    # The checkout's first answer is kept back until the traveller is on the seat map.
    asked, answer = asyncio.Event(), asyncio.Event()

    async def keep_back(route: Route) -> None:
        asked.set()
        await answer.wait()
        await route.continue_()

    await page.route(f"**/api/v1/holds/{hold_id}", keep_back)
    await page.evaluate("(hash) => { location.hash = hash; }", f"#/flights/{flight_id}")
    await expect(page.locator(".live[data-state='live']")).to_be_visible()  # its feed is up
    await page.evaluate("(hash) => { location.hash = hash; }", f"#/checkout/{hold_id}")
    await asyncio.wait_for(asked.wait(), WAIT_SECONDS)
    await page.evaluate("(hash) => { location.hash = hash; }", f"#/flights/{flight_id}")
    await expect(traveller.seat("1A")).to_be_visible()

    # Let the stale checkout have its answers: the hold, then its flight.
    flight_path = f"/api/v1/flights/{flight_id}"
    async with page.expect_request_finished(lambda r: r.url.endswith(flight_path)):
        answer.set()
    await in_page(traveller, "/api/v1/config")  # one more round trip: its drawing has run

    await expect(page.locator("main h1")).to_have_count(1)
    await expect(page.get_by_role("heading", name="Checkout")).to_have_count(0)
    await expect(page.locator("main form")).to_have_count(0)
    steps = page.get_by_role("navigation", name="Booking steps")
    await expect(steps.locator("[aria-current='step']")).to_have_text("Current step: Seats")
    await expect(traveller.seat("1A")).to_be_visible()
