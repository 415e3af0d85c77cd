"""The checkout as a traveller reads it on a desktop: one seat is "Seat 1A ... is yours",
and the passengers and payment form is one column, heading to Pay, at 1280 pixels."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable

from playwright.async_api import expect

from tests.support.browser import OpenTraveller, hold_in_page

ALIGNED_PX = 2  # how far apart left edges may be and still line up


async def test_one_seat_is_said_as_one_and_the_pay_form_is_one_column(
    open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    traveller = await open_traveller(1280, 900)
    page = traveller.page
    await traveller.sign_up()
    flight_id = await make_flight()
    await hold_in_page(traveller, flight_id, ["1A"])
    await expect(page.locator("main p").filter(has_text="yours for")).to_contain_text("Seat 1A on ")
    await expect(page.locator("main p").filter(has_text="yours for")).to_contain_text(
        ", is yours for "
    )

    form = page.get_by_role("form", name="Passengers and payment")
    parts = [
        form.get_by_role("heading", name="Passengers"),
        form.get_by_text("The name of the traveller in each seat"),
        form.get_by_role("group", name="Seat 1A"),
        form.get_by_label("Card"),
        form.get_by_role("button", name="Pay"),
    ]
    boxes = []
    for part in parts:
        box = await part.bounding_box()
        assert box is not None
        boxes.append(box)
    # Top to bottom, each below the one before, all from the same left edge.
    for above, below in itertools.pairwise(boxes):
        assert below["y"] >= above["y"] + above["height"], (above, below)
    card_field = await form.locator(".field").filter(has=page.get_by_label("Card")).bounding_box()
    assert card_field is not None
    lefts = [boxes[0]["x"], boxes[2]["x"], card_field["x"], boxes[4]["x"]]
    assert max(lefts) - min(lefts) <= ALIGNED_PX, lefts
    # Given and family names side by side in the traveller's group, fitting the form.
    group = form.get_by_role("group", name="Seat 1A")
    given = await group.get_by_label("Given names").bounding_box()
    family = await group.get_by_label("Family name").bounding_box()
    assert given and family and abs(given["y"] - family["y"]) <= ALIGNED_PX
    form_box = await form.bounding_box()
    assert form_box and family["x"] + family["width"] <= form_box["x"] + form_box["width"]
