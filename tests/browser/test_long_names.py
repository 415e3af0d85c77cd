"""Names as long as the server takes (64 characters, or one 35-letter word) wrap inside
their cards on a 390-pixel phone: no page that shows them grows wider than the screen."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from playwright.async_api import Page, expect

from tests.support.browser import Api, OpenTraveller, hold_in_page

PHONE = (390, 844)
SURNAME = "Wolfeschlegelsteinhausenbergerdorff"  # 35 letters, one word
LONGEST = "Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaftsch"  # 64


async def assert_fits(page: Page, where: str) -> None:
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE[0], f"{where} is {width} px wide on a {PHONE[0]} px phone"


async def test_the_longest_names_fit_a_phone_on_every_page_that_shows_them(
    api: Api, open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    assert len(LONGEST) == 64 and len(SURNAME) == 35
    flight_id = await make_flight()
    traveller = await open_traveller(*PHONE)
    page = traveller.page
    email = await traveller.sign_up()
    token = await api.token(email)
    hold = await api.hold(token, flight_id, ["2A", "2B"])
    passengers = [
        {"seat": "2A", "given_name": LONGEST, "family_name": LONGEST},
        {"seat": "2B", "given_name": "Ann", "family_name": SURNAME},
    ]
    made = await api.call(
        "POST",
        "/api/v1/bookings",
        token,
        json={"hold_id": hold["id"], "payment": {"token": "tok_ok"}, "passengers": passengers},
    )
    assert made.status_code == 201, made.text
    booking = made.json()

    await traveller.goto(f"/bookings/{booking['id']}?new=1")
    await expect(page.get_by_test_id("passengers")).to_contain_text(LONGEST)
    await assert_fits(page, "The confirmation")

    await traveller.goto("/bookings")
    await expect(page.locator(f"li[data-reference='{booking['reference']}']")).to_be_visible()
    await assert_fits(page, "My bookings")

    await traveller.goto("/manage")
    await page.get_by_label("Booking reference").fill(booking["reference"])
    await page.get_by_label("Family name").fill(SURNAME)
    await page.get_by_role("button", name="Find booking").click()
    await expect(page.get_by_test_id("passengers")).to_contain_text(LONGEST)
    await assert_fits(page, "Manage booking")

    await hold_in_page(traveller, flight_id, ["3A"])
    group = page.get_by_role("group", name="Seat 3A")
    await group.get_by_label("Given names").fill(LONGEST)
    await group.get_by_label("Family name").fill(LONGEST)
    await assert_fits(page, "The checkout")
