"""How long to wait, and when: a throttled Hold says the server's Retry-After, and a
moment tied to no airport (when a booking was made) names the traveller's own zone."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable

from playwright.async_api import Route, expect

from tests.support.browser import Api, OpenTraveller


async def test_a_throttled_hold_says_how_long_to_wait(
    open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    flight_id = await make_flight()
    traveller = await open_traveller()
    traveller.allow_http_errors(429)
    await traveller.sign_up()
    page = traveller.page

    # The server's refusal past its holds-per-customer limit, as it sends it.
    async def throttled(route: Route) -> None:
        if route.request.method != "POST":
            await route.continue_()
            return
        await route.fulfill(
            status=429,
            headers={"Retry-After": "42", "Content-Type": "application/problem+json"},
            body=json.dumps(
                {
                    "type": "urn:lastseat:problem:too-many-attempts",
                    "title": "Too many attempts",
                    "status": 429,
                    "detail": "too many holds placed; try again in 42 seconds",
                }
            ),
        )

    await page.route("**/api/v1/holds", throttled)
    await traveller.goto(f"/flights/{flight_id}")
    await traveller.seat("3A").click()
    await page.get_by_role("button", name="Hold 1 seat").click()
    said = page.locator(".action-message").filter(has_text="Too many")
    await expect(said).to_have_text("Too many attempts. Please wait 42 seconds and try again.")


async def test_when_a_booking_was_made_names_the_travellers_zone(
    api: Api, open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    flight_id = await make_flight()
    traveller = await open_traveller(timezone_id="Europe/Madrid")
    email = await traveller.sign_up()
    booking = await api.book(await api.token(email), flight_id, ["2A"])
    await traveller.goto(f"/bookings/{booking['id']}?new=1")
    booked = traveller.page.get_by_test_id("booked")
    # Madrid's clocks (CET, or CEST in summer), said to be the traveller's own.
    await expect(booked).to_have_text(
        re.compile(r"^\w{3}, \d{1,2} \w{3} \d{4}, \d\d:\d\d (CES?T|GMT\+[12]) \(your time\)$")
    )
