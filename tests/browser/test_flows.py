"""Flows that keep what the traveller did, and messages where the eye is: a refusal shown
beside the control that caused it, a selection kept through signing up, a hold that grows
instead of stranding the first, a lost answer retried with its key, and an expired
checkout that offers nothing it cannot do."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from playwright.async_api import Route, expect

from tests.support.browser import HOLD_URL, PASSWORD, Api, OpenTraveller, hold_in_page, in_page
from tests.support.stack import Stack

PHONE = {"width": 390, "height": 844}
UNFORWARDED = {"host", "content-length", "accept-encoding"}
NEAR_PX = 120  # how far below the Hold button its message may start
ENDS_IN = timedelta(seconds=3)
WAIT_MS = 15_000  # a bound on waiting for the page's own timers, not a performance figure


async def forward(stack: Stack, route: Route) -> httpx.Response:
    """Send the browser's request to lastseat as it is (cookie, CSRF header, key, body),
    from the test instead of from the browser, so the test decides what the browser gets
    back. (Playwright's own route.fetch cannot resolve the site's name: only lastseat's DNS
    knows it, and only the browser and the stack's clients ask that.)"""
    request = route.request
    headers = {k: v for k, v in (await request.all_headers()).items() if k not in UNFORWARDED}
    path = request.url.removeprefix(stack.url)
    async with stack.client() as client:
        return await client.request(
            request.method, path, headers=headers, content=request.post_data_buffer
        )


async def test_a_taken_seat_is_told_beside_the_hold_button_on_a_phone(
    api: Api, open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    flight_id = await make_flight(rows=24)
    _, other = await api.user()
    traveller = await open_traveller(**PHONE)
    traveller.allow_http_errors(409)
    await traveller.sign_up()
    await traveller.goto(f"/flights/{flight_id}")
    page = traveller.page
    await traveller.seat("24C").click()
    await traveller.seat("24D").click()

    # Someone else takes 24D just as the traveller presses Hold (before the live update
    # could reach the page): the server refuses, and says which seat.
    async def taken_first(route: Route) -> None:
        await api.hold(other, flight_id, ["24D"])
        await route.continue_()

    await page.route("**/api/v1/holds", taken_first)
    hold_button = page.get_by_role("button", name="Hold 2 seats")
    await hold_button.click()
    message = page.get_by_role("alert")
    await expect(message).to_have_text(
        "Sorry, seat 24D was just taken by someone else. Please choose another seat."
    )
    await expect(message).to_be_in_viewport()
    live = message.locator("xpath=ancestor::*[@aria-live][1]")
    await expect(live).to_have_attribute("aria-live", "assertive")
    button_box = await page.locator(".selection button.primary").bounding_box()
    message_box = await message.bounding_box()
    assert button_box is not None and message_box is not None
    assert 0 <= message_box["y"] - (button_box["y"] + button_box["height"]) <= NEAR_PX
    await expect(traveller.seat("24C")).to_have_attribute("aria-pressed", "true")
    await expect(page.get_by_role("button", name="Hold 1 seat")).to_be_enabled()

    # A seat taken live while choosing is told in the same place.
    await page.unroute("**/api/v1/holds", taken_first)
    await api.hold(other, flight_id, ["24C"])
    await expect(message).to_have_text("Seat 24C was just taken by another traveller.")
    await expect(message).to_be_in_viewport()


async def test_sign_up_states_the_password_rule_and_shows_the_server_s_detail(
    open_traveller: OpenTraveller,
) -> None:
    traveller = await open_traveller(**PHONE)
    traveller.allow_http_errors(422)
    await traveller.goto("/signup")
    page = traveller.page
    password = page.get_by_label("Password")
    await expect(password).to_have_accessible_description(re.compile("^8 to 256 characters"))
    await page.get_by_label("Email").fill("short-password@example.com")
    await password.fill("short")
    await page.get_by_role("button", name="Create account").click()
    message = page.get_by_role("alert")
    await expect(message).to_have_text("Password must be 8 to 256 characters.")
    await expect(message).to_be_in_viewport()


async def test_a_signed_out_hold_keeps_the_selection_through_sign_up_into_checkout(
    open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    flight_id = await make_flight()
    traveller = await open_traveller()
    page = traveller.page
    await traveller.goto(f"/flights/{flight_id}")
    steps = page.get_by_role("navigation", name="Booking steps")
    await expect(steps.locator("[aria-current='step']")).to_contain_text("Seats")
    for seat in ("2A", "2B"):
        await traveller.seat(seat).click()
    await page.get_by_role("button", name="Hold 2 seats").click()
    await expect(page.get_by_text("your choice is kept")).to_be_visible()
    await page.get_by_role("link", name="Create an account").click()
    # Not before the sign-up form replaces the sign-in one (each has an Email field).
    await expect(page.get_by_role("heading", name="Sign up")).to_be_visible()
    await page.get_by_label("Email").fill("kept-selection@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()

    await expect(page).to_have_url(HOLD_URL)
    await expect(page.get_by_text("Seats 2A, 2B on")).to_be_visible()
    await expect(steps.locator("[aria-current='step']")).to_contain_text("Passengers")
    found = HOLD_URL.search(page.url)
    assert found is not None
    hold = await in_page(traveller, f"/api/v1/holds/{found.group(1)}")
    assert hold["seats"] == ["2A", "2B"] and hold["status"] == "active"


async def test_a_second_selection_grows_the_hold_instead_of_stranding_the_first(
    open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    flight_id = await make_flight()
    traveller = await open_traveller()
    await traveller.sign_up()
    page = traveller.page
    first = await hold_in_page(traveller, flight_id, ["3A"])
    await page.get_by_role("link", name="Back to the seat map").click()
    await expect(traveller.seat("3A")).to_have_attribute("data-status", "mine")
    await traveller.seat("3B").click()
    await page.get_by_role("button", name="Add 1 seat to your hold").click()
    await expect(page).to_have_url(re.compile(r"#/checkout/(?!" + first + r")[0-9a-f-]{36}$"))
    await expect(page.get_by_text("Seats 3A, 3B on")).to_be_visible()

    await page.get_by_role("link", name="Back to the seat map").click()
    for seat in ("3A", "3B"):
        await expect(traveller.seat(seat)).to_have_attribute("data-status", "mine")
    labels = await page.locator("button.seat").evaluate_all("bs => bs.map(b => b.ariaLabel)")
    assert not [label for label in labels if "held by another" in label]
    old = await in_page(traveller, f"/api/v1/holds/{first}")
    assert old["status"] == "released"


async def test_a_hold_made_in_one_browser_is_yours_in_another_and_grows_there(
    open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    flight_id = await make_flight()
    first_browser = await open_traveller()
    email = await first_browser.sign_up()
    first = await hold_in_page(first_browser, flight_id, ["4A", "4B"])

    # Another browser (its own profile: no sessionStorage, no cookies) signed in as the same
    # traveller: the server says the seats are theirs.
    second_browser = await open_traveller()
    await second_browser.sign_in(email)
    page = second_browser.page
    await second_browser.goto(f"/flights/{flight_id}")
    for seat in ("4A", "4B"):
        await expect(second_browser.seat(seat)).to_have_attribute("data-status", "mine")
    labels = await page.locator("button.seat").evaluate_all("bs => bs.map(b => b.ariaLabel)")
    assert not [label for label in labels if "held by another" in label]
    await expect(page.get_by_text("You are holding 4A, 4B")).to_be_visible()
    await second_browser.seat("6A").click()
    await page.get_by_role("button", name="Add 1 seat to your hold").click()
    await expect(page).to_have_url(re.compile(r"#/checkout/(?!" + first + r")[0-9a-f-]{36}$"))
    await expect(page.get_by_text("Seats 4A, 4B, 6A on")).to_be_visible()

    live = await in_page(second_browser, f"/api/v1/holds?flight_id={flight_id}")
    assert [hold["seats"] for hold in live["items"]] == [["4A", "4B", "6A"]]
    old = await in_page(first_browser, f"/api/v1/holds/{first}")
    assert old["status"] == "released"


async def test_an_expired_checkout_says_so_and_offers_nothing_to_pay(
    stack: Stack, open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    flight_id = await make_flight()
    traveller = await open_traveller()
    page = traveller.page
    await traveller.sign_up()

    # The hold as the server sends it, but ending a few seconds after the server's clock
    # (its Date header), as a hold does at the end of its ten minutes.
    async def ending_soon(route: Route) -> None:
        answer = await forward(stack, route)
        hold = answer.json()
        server_now = parsedate_to_datetime(answer.headers["date"])
        hold["expires_at"] = (server_now + ENDS_IN).isoformat().replace("+00:00", "Z")
        await route.fulfill(
            status=answer.status_code, headers={"date": answer.headers["date"]}, json=hold
        )

    await page.route("**/api/v1/holds/*", ending_soon)
    await hold_in_page(traveller, flight_id, ["5A"])
    pay = page.get_by_role("button", name=re.compile("^Pay"))
    ended = page.get_by_text("Your hold expired and the seats were released.")
    await expect(ended).to_be_visible(timeout=WAIT_MS)
    await expect(pay).to_be_disabled()
    await expect(page.get_by_role("button", name="Apply")).to_be_disabled()
    family = page.get_by_role("group", name="Seat 5A").get_by_label("Family name")
    await expect(family).to_be_disabled()
    again = page.get_by_role("link", name="Choose seats again")
    await expect(again).to_have_attribute("href", f"#/flights/{flight_id}")


async def test_a_lost_hold_answer_is_retried_with_the_same_key_and_gets_the_same_hold(
    stack: Stack, open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    flight_id = await make_flight()
    traveller = await open_traveller()
    traveller.allow_network_failures("net::ERR_FAILED")
    await traveller.sign_up()
    page = traveller.page
    keys: list[str] = []
    lost: list[dict[str, Any]] = []

    # The first request reaches the server and is carried out, but its answer never
    # reaches the browser; later ones go through.
    async def lose_first_answer(route: Route) -> None:
        keys.append(await route.request.header_value("idempotency-key") or "")
        if lost:
            await route.continue_()
            return
        answer = await forward(stack, route)
        assert answer.status_code == 201, answer.text
        lost.append(answer.json())
        await route.abort()

    await page.route("**/api/v1/holds", lose_first_answer)
    held = await hold_in_page(traveller, flight_id, ["6A", "6B"])
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0]
    assert held == lost[0]["id"]  # the retry got the hold the lost answer was about
    hold = await in_page(traveller, f"/api/v1/holds/{held}")
    assert hold["seats"] == ["6A", "6B"] and hold["status"] == "active"


async def test_the_live_feed_reporting_my_own_hold_first_is_not_called_someone_else_s(
    stack: Stack, open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    """The hold commits, the live feed tells the page its seats are held, and only then
    does the hold's answer arrive: the page waits for the answer instead of telling the
    traveller their own seat was just taken by someone else."""
    flight_id = await make_flight()
    traveller = await open_traveller()
    await traveller.sign_up()
    page = traveller.page
    said_meanwhile: list[str] = []

    async def answer_after_the_feed(route: Route) -> None:
        answer = await forward(stack, route)
        await expect(traveller.seat("2A")).to_have_attribute("data-status", "held")
        said_meanwhile.append(await page.locator("main").inner_text())
        await route.fulfill(
            status=answer.status_code,
            content_type=answer.headers["content-type"],
            body=answer.content,
        )

    await page.route("**/api/v1/holds", answer_after_the_feed)
    held = await hold_in_page(traveller, flight_id, ["2A"])
    [meanwhile] = said_meanwhile
    assert "taken" not in meanwhile, meanwhile
    hold = await in_page(traveller, f"/api/v1/holds/{held}")
    assert hold["seats"] == ["2A"] and hold["status"] == "active"


async def test_with_lastseat_out_of_reach_the_map_says_so_and_offers_no_hold(
    open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    flight_id = await make_flight()
    traveller = await open_traveller()
    traveller.allow_network_failures("net::ERR_FAILED")
    await traveller.sign_up()
    await traveller.goto(f"/flights/{flight_id}")
    page = traveller.page
    await traveller.seat("1A").click()

    async def unreachable(route: Route) -> None:
        await route.abort()

    await page.route("**/api/v1/**", unreachable)
    await page.get_by_role("button", name="Hold 1 seat").click()
    # after the page's few retries, each unanswered
    await expect(page.get_by_role("alert")).to_have_text(
        "We could not reach lastseat. Check your connection and try again.", timeout=WAIT_MS
    )
    await expect(page.get_by_text("We cannot reach lastseat right now.")).to_be_visible()
    await expect(page.get_by_role("button", name="Hold 1 seat")).to_be_disabled()

    await page.unroute("**/api/v1/**", unreachable)  # back: the page notices by itself
    offline = page.get_by_text("We cannot reach lastseat right now.")
    await expect(offline).to_be_hidden(timeout=WAIT_MS)
    await expect(page.get_by_role("button", name="Hold 1 seat")).to_be_enabled()
