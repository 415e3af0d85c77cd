"""Travellers' words and the admin's: the quote as a bill (no minor units, no rule names),
the request-path panel only for who asks, the admin typing money in major units with the
server's refusal next to the form, a discount-code pattern Chromium can compile, and
manage booking by reference and family name."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from playwright.async_api import Page, Route, expect

from lastseat.domain.discounts import TYPED_CODE_PATTERN
from tests.browser.test_accessibility import axe_violations
from tests.support.browser import (
    BERLIN_ARRIVAL,
    FLIGHT_NUMBERS,
    Api,
    OpenTraveller,
    hold_in_page,
    small_flight,
)
from tests.support.passengers import FAMILY_NAME

OSLO_DEPARTURE = re.compile(r"^Mon,? 3 Mar 2031,? 09:30 (CET|GMT\+1) \(Europe/Oslo\)$")
# What a traveller must never read: the API's rule names, permille, minor units.
DEVELOPER_WORDS = re.compile(r"exit_row|front_row|permille|Demand \d|\d+\.\d%|minor")
MAX_GAP_PX = 40  # between the last cabin and the button under it


async def make_exit_row_flight(api: Api, admin: tuple[str, str]) -> int:
    """Two rows of two seats at €99.00; row 2 is an exit row at €25.00 more."""
    body: dict[str, Any] = small_flight(f"TW{next(FLIGHT_NUMBERS)}", rows=2, letters="AB")
    body["cabins"][0]["exit_rows"] = [2]
    body["surcharges"] = {"exit_row": 2500}
    made = await api.call("POST", "/api/v1/admin/flights", admin[1], json=body)
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


async def test_the_quote_reads_as_a_bill_in_travellers_words(
    api: Api, admin: tuple[str, str], open_traveller: OpenTraveller
) -> None:
    flight_id = await make_exit_row_flight(api, admin)
    _, token = await api.user()
    await api.book(token, flight_id, ["1A", "1B"])  # half full: demand puts the fare up
    traveller = await open_traveller()
    await traveller.sign_up()
    await hold_in_page(traveller, flight_id, ["2A"])
    page = traveller.page
    bill = page.get_by_role("table", name="Your price")
    await expect(bill.locator("tbody tr")).to_have_count(3)
    rows = await bill.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))"
    )
    # 99.00 at 115% is 113.85: the server's line, told as fare, seat extra and demand
    assert rows == [
        ["Seat 2A, economy fare", "€99.00"],
        ["Exit row seat", "+€25.00"],
        ["High demand", "+€14.85"],
    ]
    text = await bill.inner_text()
    assert not DEVELOPER_WORDS.search(text), text
    for minor in ("9900", "2500", "1485", "13885"):
        assert minor not in text.replace(",", "")
    await expect(page.get_by_test_id("subtotal")).to_have_text("€138.85")
    await expect(page.get_by_role("row", name=re.compile("^Taxes and fees"))).to_be_visible()


async def test_the_request_path_panel_is_off_until_the_footer_toggle_or_the_setting(
    api: Api, open_traveller: OpenTraveller
) -> None:
    traveller = await open_traveller()
    page = traveller.page
    panel = page.get_by_role("complementary", name="Request path of the last API call")
    toggle = page.get_by_role("contentinfo").get_by_role("checkbox", name="Request path")
    await traveller.goto("/")
    await expect(toggle).not_to_be_checked()
    await expect(panel).to_be_hidden()
    await toggle.check()
    await expect(panel).to_be_visible()
    await expect(panel).to_contain_text("GET /api/v1/")
    await page.reload()  # the choice is remembered
    await page.wait_for_selector("body[data-ready='true']")
    await expect(toggle).to_be_checked()
    await expect(panel).to_be_visible()
    await toggle.uncheck()
    await expect(panel).to_be_hidden()

    # A site whose public settings turn the panel on shows it to a new visitor, who can
    # still turn it off. (The browser is handed the real answer with the setting on.)
    settings = (await api.call("GET", "/api/v1/config")).json()
    assert settings["request_path_panel"] is False  # the default

    async def panel_on(route: Route) -> None:
        await route.fulfill(json={**settings, "request_path_panel": True})

    newcomer = await open_traveller()
    await newcomer.page.route("**/api/v1/config", panel_on)
    await newcomer.goto("/")
    shown = newcomer.page.get_by_role("complementary", name="Request path of the last API call")
    await expect(shown).to_be_visible()
    await newcomer.page.get_by_role("checkbox", name="Request path").uncheck()
    await expect(shown).to_be_hidden()


async def open_admin(open_traveller: OpenTraveller, admin: tuple[str, str], *also: int) -> Page:
    """The admin page, signed in; refusals (422, and `also`) are provoked on purpose."""
    browser = await open_traveller()
    browser.allow_http_errors(422, *also)
    await browser.sign_in(admin[0])
    await browser.goto("/admin")
    return browser.page


async def test_an_admin_types_money_in_major_units_and_reads_the_servers_refusal(
    api: Api, admin: tuple[str, str], open_traveller: OpenTraveller
) -> None:
    page = await open_admin(open_traveller, admin)
    form = page.get_by_role("form", name="Create a flight")
    cabins = form.locator("fieldset.cabin-fields")
    await expect(cabins).to_have_count(2)
    # No blank gap under the cabins.
    last = await cabins.last.bounding_box()
    add = await form.get_by_role("button", name="Add a cabin").bounding_box()
    assert last and add and 0 <= add["y"] - (last["y"] + last["height"]) < MAX_GAP_PX

    # A cabin added is proposed the rows after the last one; and it can be removed.
    await form.get_by_role("button", name="Add a cabin").click()
    third = form.get_by_role("group", name="Cabin 3")
    await expect(third.get_by_label("First row")).to_have_value("21")
    await expect(third.get_by_label("Last row")).to_have_value("30")
    await form.get_by_role("button", name="Remove cabin 2").click()
    await expect(cabins).to_have_count(2)
    await expect(form.get_by_role("group", name="Cabin 2").get_by_label("First row")).to_have_value(
        "21"
    )
    economy = form.get_by_role("group", name="Cabin 2")
    await economy.get_by_label("First row").fill("2")  # overlaps business (rows 1-2)
    await economy.get_by_label("Last row").fill("6")
    await economy.get_by_label("Exit rows").fill("4")
    await economy.get_by_label("Fare").fill("150")
    await form.get_by_label("Exit row seat price").fill("25.50")
    code = f"TW{next(FLIGHT_NUMBERS)}"
    await form.get_by_label("Flight code").fill(code)
    await form.get_by_label("From (airport code)").fill("OSL")
    await form.get_by_label("To (airport code)").fill("BER")
    await form.get_by_label("Departs (UTC)").fill("2031-03-03T08:30")
    submit = form.get_by_role("button", name="Create flight")
    message = form.locator(".action-message")  # the shared message slot, after the button

    # More decimals than the currency has: refused by the field itself (its pattern follows
    # the currency), before anything is sent.
    await economy.get_by_label("Fare").fill("150.001")
    await submit.click()
    await expect(economy.get_by_label("Fare")).to_be_focused()
    said = await economy.get_by_label("Fare").evaluate("el => el.validationMessage")
    assert "an amount in EUR such as 150.00 (up to 2 decimals)" in said, said
    await expect(message).to_be_empty()
    await economy.get_by_label("Fare").fill("150")

    # The server's own reason, next to the button, not a generic line at the top.
    await submit.click()
    await expect(message).to_have_text("Cabin 2: Its rows overlap those of cabin 1.")
    await expect(message).to_have_attribute("aria-live", "polite")
    assert await message.is_visible() and await submit.is_visible()
    await economy.get_by_label("First row").fill("3")
    await submit.click()
    await expect(message).to_contain_text(f"Flight {code} created with 28 seats")
    href = await form.get_by_role("link", name="Open its seat map").get_attribute("href")
    assert href is not None

    # 1200.00 and 150 became 120000 and 15000 cents; the exit row 2550 more.
    seats = (await api.call("GET", f"/api/v1/flights/{href.rsplit('/', 1)[1]}/seats")).json()
    price = {s["seat"]: s["price"] for s in seats["seats"]}
    assert price["1A"] == {"amount": 120000, "currency": "EUR"}
    assert price["3A"] == {"amount": 15000, "currency": "EUR"}
    assert price["4A"] == {"amount": 15000 + 2550, "currency": "EUR"}


async def test_every_pattern_compiles_as_chromium_reads_it_and_codes_match_the_server(
    admin: tuple[str, str], open_traveller: OpenTraveller
) -> None:
    page = await open_admin(open_traveller, admin)
    broken = await page.locator("input[pattern]").evaluate_all(
        """els => els.flatMap(el => {
             try { new RegExp(`^(?:${el.pattern})$`, "v"); return []; }
             catch (e) { return [`${el.name}: ${e.message}`]; } })"""
    )
    assert broken == []
    # Typed amounts become minor units by their digits and the currency's exponent, never
    # through a float (19.99 * 100 is 1998.9999999999998).
    amounts = [("150.00", "EUR"), ("19.99", "EUR"), ("0.1", "EUR"), ("1.005", "EUR"),
           ("1500", "JPY"), ("1.5", "JPY"), ("1e3", "EUR"), ("-5", "EUR")]  # fmt: skip
    minor = await page.evaluate(
        """async (typed) => {
             const { minorUnits } = await import("/js/money.js");
             return typed.map(([text, currency]) => minorUnits(text, currency));
           }""",
        amounts,
    )
    assert minor == [15000, 1999, 10, None, 1500, None, None, None]
    code = page.get_by_role("form", name="Create a discount code").get_by_label("Code")
    await expect(code).to_have_attribute("maxlength", "32")
    samples = ["SAVE10", "a_b-c", "ab", "-AB", "AB-", "x" * 32, "x" * 33, "AB CD", "ÄBC", "a\\-b"]
    # The pattern as Chromium compiles it, on each sample, agrees with the server's.
    accepted = await code.evaluate(
        "(el, samples) => samples.map(s => new RegExp(`^(?:${el.pattern})$`, 'v').test(s))",
        samples,
    )
    assert accepted == [re.fullmatch(TYPED_CODE_PATTERN, s) is not None for s in samples]
    for typed in (s for s in samples if len(s) <= 32):  # what a person can type in it
        await code.fill(typed)
        mismatch = await code.evaluate("el => el.validity.patternMismatch")
        assert mismatch == (re.fullmatch(TYPED_CODE_PATTERN, typed) is None), typed

    # A refusal the server ties to a field is shown under that field, and the message
    # slot beside the button says it too, naming the field as the form labels it.
    discount = page.get_by_role("form", name="Create a discount code")
    await code.fill(f"CAP{next(FLIGHT_NUMBERS)}")
    await discount.get_by_label("Value").fill("10")
    cap = discount.get_by_label("Redemption cap (optional)")
    await cap.fill("20000000")  # above the server's limit; the browser has none
    await discount.get_by_role("button", name="Create code").click()
    await expect(cap).to_have_attribute("aria-invalid", "true")
    under_cap = discount.locator(".field-error")
    await expect(under_cap).to_have_count(1)
    await expect(under_cap).to_contain_text("10000000")
    await expect(discount.get_by_role("alert")).to_have_text(
        "Redemption cap: Input should be less than or equal to 10000000."
    )
    await cap.fill("5")
    await discount.get_by_role("button", name="Create code").click()
    await expect(discount.locator(".action-message")).to_contain_text("created.")
    await expect(under_cap).to_have_count(0)
    await expect(cap).not_to_have_attribute("aria-invalid", "true")

    # On a phone the admin page fits: nothing (the manifest's long flight names) widens it.
    await page.set_viewport_size({"width": 390, "height": 844})
    overflow = await page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the admin page scrolls sideways by {overflow}px"


async def test_manage_booking_finds_a_booking_by_reference_and_family_name(
    api: Api, open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    flight_id = await make_flight()
    _, token = await api.user()
    booked = await api.book(token, flight_id, ["3A", "3B"])
    traveller = await open_traveller()  # signed out: no account needed
    traveller.allow_http_errors(404, 429)
    page = traveller.page
    await traveller.goto("/")
    await page.get_by_role("link", name="Manage booking").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Manage booking")
    form = page.get_by_role("form", name="Find a booking")
    message = form.locator(".action-message")  # the shared message slot, after the button

    # Found: case and spacing do not matter (the API's rule), the trip is shown.
    await form.get_by_label("Booking reference").fill(f" {booked['reference'].lower()} ")
    await form.get_by_label("Family name").fill(FAMILY_NAME.upper())
    await form.get_by_role("button", name="Find booking").click()
    await expect(message).to_have_text(f"Booking {booked['reference']} found.")
    trip = page.get_by_role("region", name=f"Booking {booked['reference']}")
    await expect(trip.get_by_test_id("seats")).to_have_text("3A, 3B")
    await expect(trip.get_by_test_id("passengers")).to_contain_text("Seat 3B: Bo Lee")
    await expect(trip.get_by_test_id("status")).to_have_text("Confirmed")
    await expect(trip.get_by_test_id("departs")).to_have_text(OSLO_DEPARTURE)
    await expect(trip.get_by_test_id("arrives")).to_have_text(BERLIN_ARRIVAL)
    assert await axe_violations(page) == []

    # A wrong name says only that nothing was found, not which half was wrong.
    await form.get_by_label("Family name").fill("Nobody")
    await form.get_by_role("button", name="Find booking").click()
    await expect(message).to_have_text(
        re.compile("^We found no booking with that reference and family name")
    )
    await expect(message.get_by_role("alert")).to_be_in_viewport()
    await expect(trip).to_have_count(0)

    # Past the server's limit for this reference: how long to wait, from Retry-After.
    for _ in range(20):
        guess = await api.call(
            "POST",
            "/api/v1/bookings/lookup",
            json={"reference": booked["reference"], "family_name": "Guess"},
        )
        if guess.status_code == 429:
            break
        assert guess.status_code == 404, guess.text
    assert guess.status_code == 429 and guess.headers["Retry-After"].isdigit()
    await form.get_by_role("button", name="Find booking").click()
    await expect(message).to_have_text(
        re.compile(r"^Too many look-ups\. .* wait (about \d+ minutes|\d+ seconds?) before")
    )
