"""A traveller's whole journey and an admin's, in the browser, through the whole stack."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from playwright.async_api import expect

from lastseat.domain.bcbp import name_field
from tests.support.browser import (
    BERLIN_ARRIVAL,
    PASSWORD,
    Api,
    OpenTraveller,
    hold_in_page,
    in_page,
    name_passengers,
)
from tests.support.mail import barcodes, inbox_line
from tests.support.stack import Stack, eventually_in

OSLO_DEPARTURE = re.compile(r"^Mon,? 3 Mar 2031,? 09:30 (CET|GMT\+1) \(Europe/Oslo\)$")


async def test_sign_up_search_hold_discount_pay_see_and_cancel(
    stack: Stack,
    tmp_path: Path,
    api: Api,
    admin: tuple[str, str],
    open_traveller: OpenTraveller,
    make_flight: Callable[..., Awaitable[int]],
) -> None:
    flight_id = await make_flight()
    code = f"SAVE{uuid.uuid4().hex[:6].upper()}"
    made = await api.call(
        "POST",
        "/api/v1/admin/discounts",
        admin[1],
        json={"code": code, "kind": "percent", "value": 1000},
    )
    assert made.status_code == 201, made.text
    traveller = await open_traveller()
    traveller.allow_http_errors(402)  # the declined card, on purpose
    page = traveller.page
    email = await traveller.sign_up()

    # Search by route; the flight is listed with its seats left.
    await page.get_by_label("From", exact=True).fill("osl")
    await page.get_by_label("To", exact=True).fill("BER")
    await page.get_by_role("button", name="Search").click()
    listed = page.locator(f"li.flight[data-flight='{flight_id}']")
    await expect(listed).to_contain_text("24 seats left")
    # 08:30 UTC, on Oslo's clocks (CET in March: Chromium may name it GMT+1), zone named
    departs = listed.locator("time.departure")
    await expect(departs).to_have_text(OSLO_DEPARTURE)
    await expect(departs).to_have_attribute("datetime", "2031-03-03T09:30:00+01:00")
    # 10:25 UTC, on Berlin's clocks
    arrives = listed.locator("time.arrival")
    await expect(arrives).to_have_text(BERLIN_ARRIVAL)
    await expect(arrives).to_have_attribute("datetime", "2031-03-03T11:25:00+01:00")
    await listed.get_by_role("link", name=re.compile("Choose seats")).click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("OSL → BER")
    await expect(page.locator(".departs time.departure")).to_have_text(OSLO_DEPARTURE)
    await expect(page.locator(".departs time.arrival")).to_have_text(BERLIN_ARRIVAL)
    await expect(page.locator(".live")).to_have_text("live")

    hold_id = await hold_in_page(traveller, flight_id, ["2A", "2B"])
    await expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    await expect(page.locator("main time.departure")).to_have_text(OSLO_DEPARTURE)
    await expect(page.locator("main time.arrival")).to_have_text(BERLIN_ARRIVAL)
    await expect(page.get_by_role("timer")).to_have_text(re.compile(r"^(10:00|9:[0-5]\d)$"))
    server = await in_page(traveller, f"/api/v1/holds/{hold_id}/quote")
    await expect(page.get_by_test_id("total")).to_contain_text(
        f"{server['total']['amount'] // 100}"
    )

    # A code that does not apply: the server's answer (one that tells a guesser nothing
    # of which codes exist), and no discount.
    await page.get_by_role("textbox", name="Discount code").fill("NOSUCHCODE")
    await page.get_by_role("button", name="Apply").click()
    await expect(page.locator(".code-status")).to_have_text(
        "That code does not apply: not valid for this booking."
    )
    # One that does: the server's discounted quote is what the page shows.
    await page.get_by_role("textbox", name="Discount code").fill(code.lower())
    await page.get_by_role("button", name="Apply").click()
    await expect(page.locator(".code-status")).to_contain_text(f"Code {code} applied")
    discounted = await in_page(traveller, f"/api/v1/holds/{hold_id}/quote?discount_code={code}")
    assert discounted["discount"]["amount"] == discounted["subtotal"]["amount"] // 10
    shown_total = await page.get_by_test_id("total").inner_text()
    assert f"{discounted['total']['amount'] // 100:,}" in shown_total.replace("€", "")

    # The travellers, one per seat, named as on their passports.
    group = page.get_by_role("group", name="Seat 2A")
    await expect(group.get_by_label("Given names")).to_have_attribute("autocomplete", "given-name")
    await expect(group.get_by_label("Family name")).to_have_attribute("autocomplete", "family-name")
    named = await name_passengers(page, ["2A", "2B"], "Ørsted-O'Neil")

    # A declined card, in words, then a good one.
    await page.get_by_label("Card").select_option("tok_declined")
    await page.get_by_role("button", name=re.compile("^Pay")).click()
    await expect(page.get_by_role("alert")).to_have_text(re.compile("Your card was declined"))
    await page.get_by_label("Card").select_option("tok_ok")
    await page.get_by_role("button", name=re.compile("^Pay")).click()
    await expect(page.get_by_role("heading", name="Booking confirmed")).to_be_visible()
    reference = await page.get_by_test_id("reference").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{6,}", reference)
    assert await page.get_by_test_id("paid").inner_text() == shown_total
    await expect(page.get_by_test_id("departs")).to_have_text(OSLO_DEPARTURE)
    await expect(page.get_by_test_id("arrives")).to_have_text(BERLIN_ARRIVAL)

    # The server agrees: one booking, at the discounted total.
    token = await api.token(email, PASSWORD)
    [booking] = (await api.call("GET", "/api/v1/bookings", token)).json()["items"]
    assert booking["reference"] == reference
    assert booking["total"] == discounted["total"] and booking["discount_code"] == code
    assert [(p["seat"], p["given_name"], p["family_name"]) for p in booking["passengers"]] == named
    await expect(page.get_by_test_id("passengers")).to_contain_text("2B: Bo Ørsted-O'Neil")

    # The ticket in the inbox: one e-ticket per passenger, each barcode the BCBP string of
    # that passenger's name, the booking, the route and the seat.
    mail = await inbox_line(stack, reference)
    assert email in mail and "(2 attached)" in mail
    saved = stack.lastseat("mail", "save", mail.split()[0], "--to", str(tmp_path))
    assert saved.returncode == 0, saved.stderr
    for (seat, given, family), bcbp_seat in zip(named, ("002A", "002B"), strict=True):
        [code] = barcodes((tmp_path / f"e-ticket-{reference}-{seat}.pdf").read_bytes())
        assert code[2:22] == name_field(family, given)
        assert code[23:30] == reference[:7] and code[30:36] == "OSLBER" and code[48:52] == bcbp_seat

    # Manage booking: the reference and a family name find it, signed in or not.
    found = await api.call(
        "POST",
        "/api/v1/bookings/lookup",
        json={"reference": reference, "family_name": "orsted-o'neil"},
    )
    assert found.status_code == 200 and found.json()["seats"] == ["2A", "2B"]

    # Back to the paid hold's checkout: nothing to pay twice.
    await traveller.goto(f"/checkout/{hold_id}")
    await expect(page.get_by_text("These seats are booked already.")).to_be_visible()
    await expect(page.get_by_role("button", name=re.compile("^Pay"))).to_have_count(0)

    # My bookings, and cancel.
    await page.get_by_role("link", name="My bookings", exact=True).click()
    row = page.locator(f"li[data-reference='{reference}']")
    await expect(row.locator(".status")).to_have_text("Confirmed")
    await expect(row).to_contain_text("Seats 2A, 2B")
    await expect(row.locator("time.departure")).to_have_text(OSLO_DEPARTURE)
    await expect(row.locator("time.arrival")).to_have_text(BERLIN_ARRIVAL)
    await row.get_by_role("button", name=f"Cancel booking {reference}").click()
    await row.get_by_role("button", name="Yes, cancel it").click()
    await expect(page.get_by_role("status").first).to_have_text(
        f"Booking {reference} is cancelled."
    )
    await expect(page.locator(f"li[data-reference='{reference}']").locator(".status")).to_have_text(
        "Cancelled"
    )
    after = (await api.call("GET", f"/api/v1/bookings/{booking['id']}", token)).json()
    assert after["status"] == "cancelled"


async def test_the_request_path_panel_shows_each_hop_of_the_last_call(
    stack: Stack, open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    flight_id = await make_flight()
    traveller = await open_traveller()
    page = traveller.page
    await traveller.goto(f"/flights/{flight_id}")
    await page.get_by_role("checkbox", name="Request path").check()
    panel = page.get_by_role("complementary", name="Request path of the last API call")
    await expect(panel).to_be_visible()
    await expect(panel).to_contain_text(f"GET /api/v1/flights/{flight_id}")
    tiers = await panel.locator("li[data-tier]").evaluate_all("els => els.map(e => e.dataset.tier)")
    assert tiers == ["DNS", "TCP", "TLS", "firewall", "proxy", "app", "database", "total"]
    for tier in tiers:
        assert re.search(
            r"\d+\.\d+ ms", await panel.locator(f"li[data-tier='{tier}'] .ms").inner_text()
        )
    await expect(panel.locator("li[data-tier='proxy']")).to_contain_text("to app server 127.0.0.1:")
    # The request id shown is the one every tier logged.
    request_id = await panel.get_by_test_id("request-id").inner_text()
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    for tier in ("firewall", "proxy", "app"):
        await eventually_in(stack, tier, request_id)


async def test_an_admin_creates_a_flight_and_sees_its_manifest(
    stack: Stack, api: Api, admin: tuple[str, str], open_traveller: OpenTraveller
) -> None:
    browser = await open_traveller()
    page = browser.page
    await browser.sign_in(admin[0])
    await page.get_by_role("link", name="Admin").click()
    form = page.get_by_role("form", name="Create a flight")
    await form.get_by_label("Flight code").fill("LS777")
    await form.get_by_label("From (airport code)").fill("VIE")
    await form.get_by_label("To (airport code)").fill("LIS")
    await form.get_by_label("Departs (UTC)").fill("2031-06-01T07:45")
    await form.get_by_label("Arrives (UTC)").fill("2031-06-01T11:20")
    await form.get_by_role("button", name="Create flight").click()
    await expect(form.locator(".action-message")).to_contain_text(
        "Flight LS777 created with 112 seats"
    )
    href = await form.get_by_role("link", name="Open its seat map").get_attribute("href")
    assert href is not None
    flight_id = int(href.rsplit("/", 1)[1])

    # The flight is real: a traveller books on it through the API.
    email, token = await api.user()
    booked = await api.book(token, flight_id, ["1A", "5F"])

    manifest = page.get_by_role("form", name="Flight manifest")
    await expect(manifest.get_by_label("Flight")).to_have_value(str(flight_id))
    await manifest.get_by_role("button", name="Show manifest").click()
    table = page.get_by_role("table", name="Passengers")
    await expect(table.get_by_role("row")).to_have_count(3)  # header and two seats
    # who flies, per seat, not whose account paid
    await expect(table.get_by_role("row", name=re.compile("^1A"))).to_contain_text("Lee, Ann")
    await expect(table.get_by_role("row", name=re.compile("^5F"))).to_contain_text("Lee, Bo")
    await expect(table).not_to_contain_text(email)
    await expect(table).to_contain_text(booked["reference"])
    await expect(page.locator(".manifest h3")).to_contain_text("2 seats in 1 bookings")
    # 07:45 UTC is 09:45 on Vienna's summer clocks
    # 11:20 UTC is 12:20 on Lisbon's summer clocks: another offset than Vienna's
    await expect(page.locator(".manifest .departs time.arrival")).to_have_text(
        re.compile(r"^Sun,? 1 Jun 2031,? 12:20 (WEST|GMT\+1) \(Europe/Lisbon\)$")
    )
    await expect(page.locator(".manifest .departs time.departure")).to_have_text(
        re.compile(r"^Sun,? 1 Jun 2031,? 09:45 (CEST|GMT\+2) \(Europe/Vienna\)$")
    )
