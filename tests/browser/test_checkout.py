"""The checkout as a traveller reads it on a desktop: one seat is "Seat 1A ... is yours",
and the passengers and payment form is one column, heading to Pay, at 1280 pixels."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable

from playwright.async_api import Locator, Page, expect

from tests.support.browser import OpenTraveller, hold_in_page

ALIGNED_PX = 2  # how far apart left edges may be and still line up


def passenger_groups(page: Page) -> tuple[Locator, Locator]:
    """The checkout's fields for seats 1A and 1B."""
    form = page.get_by_role("form", name="Passengers and payment")
    return form.get_by_role("group", name="Seat 1A"), form.get_by_role("group", name="Seat 1B")


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


async def test_passengers_is_done_only_when_every_seat_has_a_bookable_name(
    open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    traveller = await open_traveller(1280, 900)
    page = traveller.page
    await traveller.sign_up()
    await hold_in_page(traveller, await make_flight(), ["1A", "1B"])
    steps = page.get_by_role("navigation", name="Booking steps")
    current = steps.locator("[aria-current='step']")
    done = steps.locator("li[data-state='done']")
    await expect(current).to_have_text("Current step: Passengers")
    await expect(done).to_have_text(["Done: Seats"])
    # One seat named, the other not yet; then a name no passport carries: not done.
    first, second = passenger_groups(page)
    await first.get_by_label("Given names").fill("Ann")
    await first.get_by_label("Family name").fill("Lee")
    await expect(current).to_have_text("Current step: Passengers")
    await second.get_by_label("Given names").fill("R2-D2")
    await second.get_by_label("Family name").fill("Lee")
    await expect(current).to_have_text("Current step: Passengers")
    await expect(done).to_have_text(["Done: Seats"])
    # A name of 64 supplementary-plane characters is typed whole (no UTF-16 maxlength cut).
    long_name = "\U00020000" * 64
    await second.get_by_label("Given names").fill(long_name)
    await expect(second.get_by_label("Given names")).to_have_value(long_name)
    await expect(current).to_have_text("Current step: Pay")
    await expect(done).to_have_text(["Done: Seats", "Done: Passengers"])


async def test_every_name_the_server_refuses_is_marked_at_its_own_field(
    open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    traveller = await open_traveller(390, 844)
    traveller.allow_http_errors(422)
    page = traveller.page
    await traveller.sign_up()
    await hold_in_page(traveller, await make_flight(), ["1A", "1B"])
    first, second = passenger_groups(page)
    await first.get_by_label("Given names").fill("Ann")
    await first.get_by_label("Family name").fill("Lee")
    await second.get_by_label("Given names").fill("R2-D2")  # no passport carries digits
    await second.get_by_label("Family name").fill("Lee")
    await page.get_by_role("button", name="Pay").click()
    refused = second.get_by_label("Given names")
    await expect(refused).to_have_attribute("aria-invalid", "true")
    await expect(refused).to_have_accessible_description(
        "Seat 1B: the given name must be 1 to 64 characters: letters, spaces, hyphens and"
        " apostrophes, as on the passport"
    )
    for accepted in (first.get_by_label("Given names"), second.get_by_label("Family name")):
        await expect(accepted).not_to_have_attribute("aria-invalid", "true")
    # the one announced message, beside Pay, says it in the server's words
    await expect(page.get_by_role("alert")).to_contain_text("Seat 1B: the given name must be")
    # being put right, the field is no longer marked
    await refused.fill("Artoo")
    await expect(refused).not_to_have_attribute("aria-invalid", "true")
    await expect(second.locator(".field-error")).to_have_count(0)
