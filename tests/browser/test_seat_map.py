"""The seat map a traveller can read: a price on every seat, exit rows marked EXIT at both
ends and in the legend, premium seats drawn wider, the front of the aircraft, why a seat
costs what it costs (on the phone too), and seat states told apart without colour."""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from PIL import Image, ImageChops
from playwright.async_api import expect

from tests.support.browser import (
    FLIGHT_NUMBERS,
    Api,
    OpenTraveller,
    Traveller,
    hold_in_page,
    small_flight,
)

PHONE = (390, 844)
DESKTOP = (1280, 900)
# Exit row 5; surcharges for the exit row and the windows; a business cabin dearer than economy.
EXIT_ROW_PRICE = "€129"  # economy €99 + exit row €25 + window €5, at the demand of an empty flight


def readable_flight(code: str) -> dict[str, object]:
    economy = {
        "cabin": "economy",
        "rows": [3, 12],
        "letters": "ABCD",
        "aisle_after": "B",
        "exit_rows": [5],
        "fare": {"amount": 9900, "currency": "EUR"},
    }
    business = {
        "cabin": "business",
        "rows": [1, 2],
        "letters": "AC",
        "aisle_after": "A",
        "fare": {"amount": 60000, "currency": "EUR"},
    }
    surcharges = {"exit_row": 2500, "window": 500}
    return {**small_flight(code), "cabins": [business, economy], "surcharges": surcharges}


@pytest.fixture
async def readable_flight_id(api: Api, admin: tuple[str, str]) -> int:
    made = await api.call(
        "POST",
        "/api/v1/admin/flights",
        admin[1],
        json=readable_flight(f"TB{next(FLIGHT_NUMBERS)}"),
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


async def open_map(traveller: Traveller, flight_id: int) -> None:
    await traveller.goto(f"/flights/{flight_id}")
    await expect(traveller.page.locator(".live")).to_have_text("live")


async def box(locator: Any) -> dict[str, float]:
    found = await locator.bounding_box()
    assert found is not None
    return dict(found)


def middle(b: dict[str, float]) -> float:
    return b["y"] + b["height"] / 2


async def test_every_seat_shows_its_price_and_its_type_with_exit_rows_marked_at_both_ends(
    open_traveller: OpenTraveller, readable_flight_id: int
) -> None:
    traveller = await open_traveller(*DESKTOP)
    page = traveller.page
    await open_map(traveller, readable_flight_id)

    await expect(traveller.seat("5A")).to_contain_text(EXIT_ROW_PRICE)
    await expect(traveller.seat("6B")).to_contain_text("€99")
    await expect(traveller.seat("1A")).to_contain_text("€605")  # business €600 + window €5
    await expect(traveller.seat("5A")).to_have_attribute(
        "aria-label",
        "Seat 5A, economy, window seat, exit row with extra legroom, available, €129.00",
    )

    # EXIT at both ends of row 5, level with its seats; no other row has one.
    exits = page.locator(".cabin .exit-label")
    await expect(exits).to_have_count(2)
    left, right = await box(exits.nth(0)), await box(exits.nth(1))
    first, last = await box(traveller.seat("5A")), await box(traveller.seat("5D"))
    assert left["x"] + left["width"] <= first["x"] and right["x"] >= last["x"] + last["width"]
    assert abs(middle(left) - middle(first)) < 4 and abs(middle(right) - middle(last)) < 4

    # Premium seats are drawn wider; the front of the aircraft comes before the first cabin.
    business, economy = await box(traveller.seat("1A")), await box(traveller.seat("3A"))
    assert business["width"] >= 1.2 * economy["width"]
    front = page.get_by_text("Front of the aircraft")
    await expect(front).to_be_visible()
    assert (await box(front))["y"] < business["y"]

    types = page.get_by_role("list", name="Seat types")
    for named in (
        "Price of the seat, before taxes",
        "Wider seat: premium cabin",
        "Exit row",
        "Extra legroom",
        "Extra charge (Exit row seat, Window seat)",
    ):
        await expect(types).to_contain_text(named)
    states = page.get_by_role("list", name="Seat states")
    await expect(states).to_have_text(
        re.compile("Available.*Selected.*Held by you.*Held by others.*Booked")
    )

    # Why a seat costs what it costs: in words, on focus.
    await traveller.seat("5A").focus()
    await expect(page.locator(".seat-detail")).to_have_text(
        "5A: window seat, exit row with extra legroom · €129.00 = "
        "Economy fare €99.00 + Exit row seat €25.00 + Window seat €5.00"
    )


async def test_on_the_phone_the_reason_for_a_price_is_in_view_beside_the_map(
    open_traveller: OpenTraveller, readable_flight_id: int
) -> None:
    traveller = await open_traveller(*PHONE)
    page = traveller.page
    await open_map(traveller, readable_flight_id)
    exits = page.locator(".cabin .exit-label")
    await traveller.seat("5A").scroll_into_view_if_needed()  # both ends fit the phone's width
    await expect(exits.nth(0)).to_be_in_viewport()
    await expect(exits.nth(1)).to_be_in_viewport()
    await traveller.seat("5D").click()  # a tap chooses the seat and explains it
    await expect(traveller.seat("5D")).to_have_attribute("aria-pressed", "true")
    detail = page.locator(".seat-detail")
    await expect(detail).to_contain_text("Exit row seat €25.00 + Window seat €5.00")
    await expect(detail).to_be_in_viewport()
    # Further down the map the line stays in view, and follows the seat tapped.
    await traveller.seat("12C").scroll_into_view_if_needed()
    await traveller.seat("12C").click()
    await expect(detail).to_have_text("12C: aisle seat · €99.00 = Economy fare €99.00")
    await expect(detail).to_be_in_viewport()
    # Nothing of the page is wider than the phone.
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]


def differing_share(a: bytes, b: bytes) -> float:
    """The share of pixels that differ by more than a faint shade (in grey levels)."""
    first = Image.open(io.BytesIO(a)).convert("L")
    second = Image.open(io.BytesIO(b)).convert("L").resize(first.size)
    difference = ImageChops.difference(first, second)
    histogram = difference.histogram()
    return sum(histogram[40:]) / (first.width * first.height)


def is_grey(png: bytes) -> bool:
    red, green, blue = Image.open(io.BytesIO(png)).convert("RGB").split()
    spreads = [ImageChops.difference(red, green), ImageChops.difference(green, blue)]
    return all(max(spread.histogram()[9:], default=0) == 0 for spread in spreads)


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_seat_states_differ_in_their_pixels_under_colour_blindness_and_without_colour(
    api: Api,
    open_traveller: OpenTraveller,
    make_flight: Callable[..., Awaitable[int]],
    size: tuple[int, int],
) -> None:
    flight_id = await make_flight(rows=2)
    _, other = await api.user()
    await api.hold(other, flight_id, ["1B"])
    await api.book(other, flight_id, ["1C"])
    traveller = await open_traveller(*size)
    await traveller.sign_up()
    await hold_in_page(traveller, flight_id, ["1D"])
    await open_map(traveller, flight_id)
    await traveller.seat("2A").click()
    states = {"available": "1A", "held": "1B", "booked": "1C", "mine": "1D", "selected": "2A"}
    for status, seat in states.items():
        if status != "selected":
            await expect(traveller.seat(seat)).to_have_attribute("data-status", status)
    await expect(traveller.seat("2A")).to_have_attribute("aria-pressed", "true")
    # Only the state is compared: the seat names and prices (which differ) are hidden.
    await traveller.page.evaluate(
        """() => document.querySelectorAll('.seat-name, .seat-price')
                   .forEach((el) => { el.style.visibility = 'hidden'; })"""
    )
    cdp = await traveller.page.context.new_cdp_session(traveller.page)
    for deficiency in ("deuteranopia", "achromatopsia"):
        await cdp.send("Emulation.setEmulatedVisionDeficiency", {"type": deficiency})
        shots = {
            status: await traveller.seat(seat).screenshot(animations="disabled")
            for status, seat in states.items()
        }
        if deficiency == "achromatopsia":  # the emulation is on: not a colour is left
            assert all(is_grey(shot) for shot in shots.values())
        for (a, shot_a), (b, shot_b) in itertools.combinations(shots.items(), 2):
            share = differing_share(shot_a, shot_b)
            assert share >= 0.15, f"{deficiency}: {a} and {b} differ in {share:.1%} of pixels"
    await cdp.send("Emulation.setEmulatedVisionDeficiency", {"type": "none"})
