"""The admin forms say the server's limits in the units the admin typed: money in major
units of the form's currency, percent codes in percent, never minor units or basis points."""

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
