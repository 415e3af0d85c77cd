"""The admin's flight form follows its currency's digits (JPY none, EUR two, KWD three):
what it proposes, what its amount fields accept, and every field a refusal names is marked
where it is, in whichever cabin, with the message by the button a whole sentence."""

from __future__ import annotations

from playwright.async_api import Locator, Page, expect

from tests.browser.test_accessibility import axe_violations
from tests.browser.test_words import open_admin
from tests.support.browser import FLIGHT_NUMBERS, Api, OpenTraveller


async def fill_route(form: Locator) -> None:
    await form.get_by_label("Flight code").fill(f"TY{next(FLIGHT_NUMBERS)}")
    await form.get_by_label("From (airport code)").fill("OSL")
    await form.get_by_label("To (airport code)").fill("BER")
    await form.get_by_label("Departs (UTC)").fill("2031-03-03T08:30")


async def pattern_accepts(field: Locator, typed: str) -> bool:
    await field.fill(typed)
    return not await field.evaluate("el => el.validity.patternMismatch")


def flight_form(page: Page) -> Locator:
    return page.get_by_role("form", name="Create a flight")


async def test_the_flight_form_proposes_and_accepts_amounts_in_the_currency_s_digits(
    admin: tuple[str, str], open_traveller: OpenTraveller
) -> None:
    page = await open_admin(open_traveller, admin)
    form = flight_form(page)
    business = form.get_by_role("group", name="Cabin 1").get_by_label("Fare")
    economy = form.get_by_role("group", name="Cabin 2").get_by_label("Fare")
    await expect(economy).to_have_value("150.00")
    await expect(economy).to_have_accessible_description(
        "Per seat, in the flight's currency, e.g. 150.00"
    )

    # Yen: the proposals are yen fares, without the decimals a yen has not, and the fields
    # refuse those decimals.
    await form.get_by_label("Currency").select_option("JPY")
    await expect(business).to_have_value("160000")
    await expect(economy).to_have_value("20000")
    await expect(economy).to_have_accessible_description(
        "Per seat, in the flight's currency, e.g. 20000"
    )
    await expect(economy).to_have_attribute("inputmode", "numeric")
    window = form.get_by_label("Window seat price")
    for field in (economy, window):
        assert await pattern_accepts(field, "150")
        assert not await pattern_accepts(field, "150.00")
    await window.fill("")
    await economy.fill("150")

    # Back to euros, and again: an amount a currency cannot hold is left as typed, flagged.
    await form.get_by_label("Currency").select_option("EUR")
    await expect(economy).to_have_value("150.00")
    await economy.fill("150.5")
    await form.get_by_label("Currency").select_option("JPY")
    await expect(economy).to_have_value("150.5")
    assert await economy.evaluate("el => el.validity.patternMismatch")
    assert "no decimals" in await economy.evaluate("el => el.validationMessage")
    await economy.fill("150")

    # Three decimals (a dinar) by the same rules; lastseat sells none, the page's money
    # functions know it all the same.
    kwd = await page.evaluate(
        """async () => {
             const m = await import("/js/money.js");
             return [m.wholeAmount(150, "KWD"), m.retyped("150.5", "KWD"),
                     m.retyped("150.0005", "KWD"), m.minorUnits("150.125", "KWD")];
           }"""
    )
    assert kwd == ["150.000", "150.500", None, 150125]


async def test_a_new_currency_replaces_the_proposals_but_keeps_what_was_typed(
    api: Api, admin: tuple[str, str], open_traveller: OpenTraveller
) -> None:
    page = await open_admin(open_traveller, admin)
    form = flight_form(page)
    currency = form.get_by_label("Currency")
    business = form.get_by_role("group", name="Cabin 1").get_by_label("Fare")
    economy = form.get_by_role("group", name="Cabin 2").get_by_label("Fare")
    exit_row = form.get_by_label("Exit row seat price")
    await expect(business).to_have_value("1200.00")
    await expect(exit_row).to_have_accessible_description(
        "Added to seats in each cabin's exit rows, e.g. 25.00"
    )

    await currency.select_option("JPY")
    await expect(business).to_have_value("160000")
    await expect(economy).to_have_value("20000")
    await expect(exit_row).to_have_accessible_description(
        "Added to seats in each cabin's exit rows, e.g. 3300"
    )
    # A fare typed is the admin's: a new currency re-writes its digits, never its amount;
    # the fare still proposed follows the currency, there and back.
    await economy.fill("18000")
    await currency.select_option("EUR")
    await expect(business).to_have_value("1200.00")
    await expect(economy).to_have_value("18000.00")
    await currency.select_option("SEK")
    await expect(business).to_have_value("14000.00")
    await currency.select_option("JPY")
    await expect(business).to_have_value("160000")
    await expect(economy).to_have_value("18000")

    # Created as they stand: yen fares, not ¥1,200 and ¥150.
    await fill_route(form)
    await form.get_by_role("button", name="Create flight").click()
    await expect(form.locator(".action-message")).to_contain_text("created with 112 seats")
    href = await form.get_by_role("link", name="Open its seat map").get_attribute("href")
    assert href is not None
    seats = (await api.call("GET", f"/api/v1/flights/{href.rsplit('/', 1)[1]}/seats")).json()
    price = {s["seat"]: s["price"] for s in seats["seats"]}
    assert price["1A"] == {"amount": 160000, "currency": "JPY"}
    assert price["3A"] == {"amount": 18000, "currency": "JPY"}


async def test_every_field_a_refusal_names_is_marked_in_every_cabin(
    admin: tuple[str, str], open_traveller: OpenTraveller
) -> None:
    page = await open_admin(open_traveller, admin)
    form = flight_form(page)
    await form.get_by_label("Currency").select_option("JPY")
    await fill_route(form)
    fares = [form.get_by_role("group", name=f"Cabin {n}").get_by_label("Fare") for n in (1, 2)]
    window = form.get_by_label("Window seat price")
    submit = form.get_by_role("button", name="Create flight")
    message = form.locator(".action-message")

    # Only the second cabin's fare: it, and nothing else, is marked.
    await fares[1].fill("0")
    await submit.click()
    await expect(message).to_have_text("Cabin 2: Fare must be more than 0.")
    await expect(fares[1]).to_have_attribute("aria-invalid", "true")
    await expect(fares[1]).to_have_accessible_description(
        "Per seat, in the flight's currency, e.g. 20000 Fare must be more than 0"
    )
    await expect(fares[0]).not_to_have_attribute("aria-invalid", "true")
    await expect(form.locator(".field-error")).to_have_count(1)

    # Both cabins and a surcharge at once: each marked by its field, all said by the button
    # in whole sentences.
    await fares[0].fill("0")
    await window.fill("100000001")
    await submit.click()
    await expect(message).to_have_text(
        "Cabin 1: Fare must be more than 0. Cabin 2: Fare must be more than 0. "
        "Window seat price must be at most JP¥100,000,000."
    )
    for field in (*fares, window):
        await expect(field).to_have_attribute("aria-invalid", "true")
    assert await axe_violations(page) == []
    await expect(form.locator(".field-error")).to_have_text(
        ["Fare must be more than 0", "Fare must be more than 0",
         "Window seat price must be at most JP¥100,000,000"]
    )  # fmt: skip

    # Put right, every mark goes.
    await fares[0].fill("1200")
    await fares[1].fill("150")
    await window.fill("")
    await submit.click()
    await expect(message).to_contain_text("created with 112 seats")
    await expect(form.locator("[aria-invalid='true']")).to_have_count(0)
    await expect(form.locator(".field-error")).to_have_count(0)
