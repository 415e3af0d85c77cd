"""The admin forms say the server's limits in the units the admin typed: money in major
units of the form's currency, percent codes in percent, never minor units or basis points;
and the flight rules the server refuses a field for (rows that overlap, a departure past),
at that field and by the button, in whole sentences naming fields as the form labels them
and times as typed in it."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.test_words import open_admin
from tests.support.browser import FLIGHT_NUMBERS, OpenTraveller

PERCENT_RULE = "A percent discount is 0.01% to 100%"


async def test_refused_amounts_are_said_in_the_units_the_admin_typed(
    admin: tuple[str, str], open_traveller: OpenTraveller
) -> None:
    page = await open_admin(open_traveller, admin)
    form = page.get_by_role("form", name="Create a flight")
    await form.get_by_label("Flight code").fill(f"TW{next(FLIGHT_NUMBERS)}")
    await form.get_by_label("From (airport code)").fill("OSL")
    await form.get_by_label("To (airport code)").fill("BER")
    await form.get_by_label("Departs (UTC)").fill("2031-03-03T08:30")
    message = form.locator(".action-message")
    economy = form.get_by_role("group", name="Cabin 2")
    submit = form.get_by_role("button", name="Create flight")

    await economy.get_by_label("Fare").fill("0")
    await submit.click()
    await expect(message).to_have_text("Cabin 2: Fare must be more than 0.")
    await economy.get_by_label("Fare").fill("1000000.01")
    await submit.click()
    await expect(message).to_have_text("Cabin 2: Fare must be at most €1,000,000.00.")

    # A surcharge's limit under its own field, in the flight's currency.
    await economy.get_by_label("Fare").fill("150")
    await form.get_by_role("group", name="Cabin 1").get_by_label("Fare").fill("1200")
    await form.get_by_label("Currency").select_option("JPY")
    await form.get_by_label("Window seat price").fill("100000001")
    await submit.click()
    await expect(form.locator(".field-error")).to_have_text(
        "Window seat price must be at most JP¥100,000,000"
    )

    # A percent discount out of range, as typed (150 meaning 150%).
    discount = page.get_by_role("form", name="Create a discount code")
    await discount.get_by_label("Code").fill(f"PCT{next(FLIGHT_NUMBERS)}")
    value = discount.get_by_label("Value")
    create = discount.get_by_role("button", name="Create code")
    await value.fill("0")  # refused by the API's schema, under the field
    await create.click()
    await expect(discount.locator(".field-error")).to_have_text(PERCENT_RULE)
    await value.fill("150")  # refused by the discount rule (in basis points there)
    await create.click()
    await expect(discount.locator(".action-message")).to_have_text(PERCENT_RULE)
    await expect(discount.locator(".field-error")).to_have_count(0)


async def test_a_flight_s_refused_rules_mark_their_fields_in_the_form_s_words(
    admin: tuple[str, str], open_traveller: OpenTraveller
) -> None:
    page = await open_admin(open_traveller, admin, 409)  # the flight created twice
    form = page.get_by_role("form", name="Create a flight")
    code = form.get_by_label("Flight code")
    origin = form.get_by_label("From (airport code)")
    departs = form.get_by_label("Departs (UTC)")
    arrives = form.get_by_label("Arrives (UTC)")
    economy = form.get_by_role("group", name="Cabin 2")
    message = form.locator(".action-message")
    submit = form.get_by_role("button", name="Create flight")
    marked = form.locator("[aria-invalid='true']")

    # The route and the times: every field refused at once, each marked.
    await code.fill(f"TW{next(FLIGHT_NUMBERS)}")
    await origin.fill("QQQ")
    await form.get_by_label("To (airport code)").fill("BER")
    await departs.fill("2020-01-10T09:00")
    await arrives.fill("2020-01-10T08:00")
    await submit.click()
    await expect(message).to_have_text(
        "No airport in use has the code QQQ. "
        "The flight must depart in the future: Fri, 10 Jan 2020, 09:00 UTC has passed. "
        "The flight must arrive after it departs, Fri, 10 Jan 2020, 09:00 UTC."
    )
    await expect(marked).to_have_count(3)
    for field in (origin, departs, arrives):
        await expect(field).to_have_attribute("aria-invalid", "true")
    await expect(departs).to_have_accessible_description(
        "The flight must depart in the future: Fri, 10 Jan 2020, 09:00 UTC has passed"
    )

    # The cabins: each rule at the field it is about, in the cabin it is in.
    await origin.fill("OSL")
    await departs.fill("2031-03-03T08:30")
    await arrives.fill("2031-03-03T10:30")
    await economy.get_by_label("First row").fill("2")
    await economy.get_by_label("Exit rows").fill("1")
    await economy.get_by_label("Aisle after").fill("F")
    await submit.click()
    await expect(message).to_have_text(
        "Cabin 2: Its rows overlap those of cabin 1. "
        "Cabin 2: Exit rows must be rows of this cabin, 2 to 20. "
        "Cabin 2: Aisle after must be seat letters of this cabin other than the last one."
    )
    await expect(marked).to_have_count(3)
    for label in ("First row", "Exit rows", "Aisle after"):
        await expect(economy.get_by_label(label)).to_have_attribute("aria-invalid", "true")
    await expect(form.locator(".field-error")).to_have_text(  # in the form's order
        ["Its rows overlap those of cabin 1",
         "Aisle after must be seat letters of this cabin other than the last one",
         "Exit rows must be rows of this cabin, 2 to 20"]
    )  # fmt: skip

    # A flight that already departs then: its code and departure, the time as typed.
    await economy.get_by_label("First row").fill("3")
    await economy.get_by_label("Exit rows").fill("")
    await economy.get_by_label("Aisle after").fill("C")
    await submit.click()
    await expect(message).to_contain_text("created with 112 seats")
    await expect(marked).to_have_count(0)
    await submit.click()
    typed = await code.input_value()
    await expect(message).to_have_text(
        f"Flight {typed} already departs at Mon, 3 Mar 2031, 08:30 UTC."
    )
    for field in (code, departs):
        await expect(field).to_have_attribute("aria-invalid", "true")
    await expect(marked).to_have_count(2)
