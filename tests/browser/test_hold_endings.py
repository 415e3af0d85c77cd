"""A hold that ends under an open page ended one of three ways, and only the server knows
which: paid for (perhaps in another tab, with its own Idempotency-Key), released, or
expired. A page says the one that happened: a hold paid for in another tab is a booking,
shown with a way to it, never "expired"."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from playwright.async_api import Page, WebSocketRoute, expect

from tests.support.browser import OpenTraveller, Traveller, hold_in_page, name_passengers

BOOKING_URL = re.compile(r"#/bookings/([0-9a-f-]{36})\?new=1$")
SEATS = ["3A", "3B"]


async def second_tab(traveller: Traveller, url: str, feed: list[bool] | None = None) -> Page:
    """The same traveller (same session) in another tab of their browser, at `url`; with
    `feed`, its live seat feed reaches the page only while feed[0] is true."""
    page = await traveller.context.new_page()
    page.on("console", traveller.on_console)
    page.on("pageerror", lambda error: traveller.problems.append(f"page error: {error}"))
    if feed is not None:

        async def passing(ws: WebSocketRoute) -> None:
            server = ws.connect_to_server()
            server.on_message(lambda message: ws.send(message) if feed[0] else None)

        await page.route_web_socket(re.compile(r"/ws/flights/"), passing)
    await page.goto(url)
    await page.wait_for_function(
        "() => document.querySelector('main').dataset.shows === location.hash"
    )
    return page


async def pay_in(page: Page) -> tuple[str, str]:
    """Pay on this checkout; the booking's id and reference from its confirmation."""
    await page.get_by_role("button", name=re.compile("^Pay")).click()
    await expect(page).to_have_url(BOOKING_URL)
    found = BOOKING_URL.search(page.url)
    assert found is not None
    reference = await page.get_by_test_id("reference").inner_text()
    return found.group(1), reference


async def test_paying_in_a_second_tab_for_a_hold_booked_in_the_first_shows_that_booking(
    open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    flight_id = await make_flight()
    traveller = await open_traveller()
    traveller.allow_http_errors(409)  # the second tab's payment, refused as hold-gone
    await traveller.sign_up()
    await hold_in_page(traveller, flight_id, SEATS)
    first = traveller.page
    second = await second_tab(traveller, first.url)
    for page in (first, second):
        await name_passengers(page, SEATS)
    await expect(second.get_by_role("timer")).to_be_visible()

    booking_id, reference = await pay_in(first)
    pay = second.get_by_role("button", name=re.compile("^Pay"))
    await pay.click()

    said = second.locator(".action-message").filter(has_text="booked already")
    await expect(said).to_contain_text("These seats are booked already")
    link = said.get_by_role("link", name=f"See booking {reference}")
    await expect(link).to_have_attribute("href", f"#/bookings/{booking_id}")
    await expect(second.get_by_role("timer")).to_have_count(0)  # the countdown stopped
    await expect(pay).to_be_disabled()
    await expect(pay).to_have_text(re.compile(r"^Pay €"))  # not stuck on "Paying…"
    await expect(second.locator("main")).not_to_contain_text("expired")
    await link.click()
    await expect(second.get_by_test_id("reference")).to_have_text(reference)


async def test_the_seat_map_shows_a_hold_paid_for_in_another_tab_as_that_booking(
    open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    flight_id = await make_flight()
    traveller = await open_traveller()
    await traveller.sign_up()
    await hold_in_page(traveller, flight_id, SEATS)
    first = traveller.page
    second = await second_tab(traveller, first.url.split("#")[0] + f"#/flights/{flight_id}")
    hold_box = second.get_by_role("region", name="Your hold")
    await expect(hold_box).to_contain_text("You are holding 3A, 3B")

    await name_passengers(first, SEATS)
    booking_id, reference = await pay_in(first)

    # The live feed says its seats are booked: the map asks the server what became of it.
    await expect(hold_box).to_be_hidden()
    said = second.locator(".action-message").filter(has_text="booked already")
    await expect(said).to_contain_text("Seats 3A, 3B are booked already")
    await expect(said.get_by_role("link", name=f"See booking {reference}")).to_have_attribute(
        "href", f"#/bookings/{booking_id}"
    )
    await expect(second.locator("main")).not_to_contain_text("expired")
    for seat in SEATS:
        seat_button = second.locator(f"button.seat[data-seat='{seat}']")
        await expect(seat_button).to_have_attribute("data-status", "booked")


async def test_adding_to_a_hold_paid_for_in_another_tab_says_it_is_booked(
    open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    flight_id = await make_flight()
    traveller = await open_traveller()
    traveller.allow_http_errors(409)  # growing the paid-for hold, refused as hold-gone
    await traveller.sign_up()
    await hold_in_page(traveller, flight_id, SEATS)
    first = traveller.page
    feed = [True]
    flight_url = first.url.split("#")[0] + f"#/flights/{flight_id}"
    second = await second_tab(traveller, flight_url, feed)
    await expect(second.get_by_role("region", name="Your hold")).to_contain_text("3A, 3B")

    # Paid for while the second tab's live feed is quiet: it learns on growing the hold.
    feed[0] = False
    await name_passengers(first, SEATS)
    booking_id, reference = await pay_in(first)
    await second.locator("button.seat[data-seat='4A']").click()
    await second.get_by_role("button", name="Add 1 seat to your hold").click()

    said = second.locator(".action-message").filter(has_text="booked already")
    await expect(said).to_contain_text(
        "Seats 3A, 3B are booked already, paid for in another tab or window."
        " Your new choice was not held: hold it on its own."
    )
    await expect(said.get_by_role("link", name=f"See booking {reference}")).to_have_attribute(
        "href", f"#/bookings/{booking_id}"
    )
    await expect(second.get_by_role("region", name="Your hold")).to_be_hidden()
    await expect(second.get_by_role("button", name="Hold 1 seat")).to_be_enabled()
    await expect(second.locator("main")).not_to_contain_text("expired")
