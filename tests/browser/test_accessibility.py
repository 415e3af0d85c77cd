"""Every control has an accessible name (read from Chromium's own accessibility tree), every
page passes the axe-core audit (WCAG 2.x A and AA rules: contrast, labels, landmarks, ARIA),
and the seat map works with the keyboard alone: a traveller tabs to a seat and books it
with Enter."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, expect

from tests.support.browser import (
    HOLD_URL,
    PASSWORD,
    Api,
    OpenTraveller,
    Traveller,
    hold_in_page,
    name_passengers,
)

CONTROLS = {
    "button", "link", "textbox", "searchbox", "combobox", "listbox", "checkbox", "radio",
    "spinbutton", "slider", "switch", "menuitem", "tab",
}  # fmt: skip
MAX_TABS = 300
AXE = Axe()
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


async def axe_violations(page: Page) -> list[str]:
    results = await AXE.run(page, options=WCAG_AA)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
    ]


async def unnamed_controls(traveller: Traveller) -> list[str]:
    """Controls in the page's accessibility tree whose accessible name is empty."""
    cdp = await traveller.context.new_cdp_session(traveller.page)
    try:
        tree = await cdp.send("Accessibility.getFullAXTree")
    finally:
        await cdp.detach()
    missing = []
    for node in tree["nodes"]:
        role = node.get("role", {}).get("value")
        if node.get("ignored") or role not in CONTROLS:
            continue
        if not str(node.get("name", {}).get("value", "")).strip():
            missing.append(f"{role} {node.get('backendDOMNodeId')}")
    return missing


async def test_every_page_has_labels_for_every_control_and_passes_axe(
    api: Api,
    admin: tuple[str, str],
    open_traveller: OpenTraveller,
    make_flight: Callable[..., Awaitable[int]],
) -> None:
    flight_id = await make_flight()
    traveller = await open_traveller()
    page = traveller.page
    checked: dict[str, int] = {}

    async def check(name: str) -> None:
        await page.wait_for_load_state("networkidle")
        controls = await page.locator("button, a, input, select").count()
        assert controls > 0, name
        assert await unnamed_controls(traveller) == [], name
        assert await axe_violations(page) == [], name
        checked[name] = controls

    for route in ("/", "/login", "/signup", "/manage"):
        await traveller.goto(route)
        await check(route)
    await traveller.sign_up()
    await traveller.goto(f"/flights/{flight_id}")
    # A move by the hash alone is not a page load: goto can return before the map is drawn.
    await expect(page.locator("button.seat")).to_have_count(24)
    await check("seat map")
    labels = await page.locator("button.seat").evaluate_all(
        "els => els.map(e => e.getAttribute('aria-label'))"
    )
    assert len(labels) == 24 and all(
        re.fullmatch(r"Seat \d+[A-Z], economy, .+, €\d+\.\d\d", x) for x in labels
    )
    await hold_in_page(traveller, flight_id, ["1A"])
    await check("checkout")
    await name_passengers(page, ["1A"])
    await page.get_by_role("button", name=re.compile("^Pay")).click()
    await expect(page.get_by_role("heading", name="Booking confirmed")).to_be_visible()
    await check("booking")
    await traveller.goto("/bookings")
    await check("my bookings")
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_text("You are signed out.")).to_be_visible()
    await traveller.sign_in(admin[0], PASSWORD)
    await traveller.goto("/admin")
    await check("admin")
    assert len(checked) == 9


async def focused(page: Page) -> dict[str, Any]:
    element: dict[str, Any] = await page.evaluate(
        """() => { const el = document.activeElement;
                   return {tag: el.tagName, seat: el.dataset.seat || null,
                           text: el.textContent.trim(),
                           label: el.labels?.[0]?.textContent || null}; }"""
    )
    return element


async def tab_until(page: Page, wanted: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """Press Tab until the focused element is the one wanted; what was passed on the way."""
    passed = []
    for _ in range(MAX_TABS):
        await page.keyboard.press("Tab")
        now = await focused(page)
        passed.append(now)
        if wanted(now):
            return passed
    raise AssertionError(f"not reached in {MAX_TABS} Tabs; passed {passed[-5:]}")


async def test_the_seat_map_books_with_the_keyboard_alone(
    api: Api, open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    flight_id = await make_flight()
    email, _ = await api.user()
    traveller = await open_traveller()
    page = traveller.page

    await traveller.goto("/login")
    await tab_until(page, lambda el: el["label"] == "Email")
    await page.keyboard.type(email)
    await tab_until(page, lambda el: el["label"] == "Password")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()

    await traveller.goto(f"/flights/{flight_id}")
    await expect(page.locator(".live")).to_have_text("live")
    passed = await tab_until(page, lambda el: el["seat"] == "3B")
    seats = [el["seat"] for el in passed if el["seat"]]
    assert seats == ["1A", "1B", "1C", "1D", "2A", "2B", "2C", "2D", "3A", "3B"]  # reading order
    await page.keyboard.press("Enter")
    await expect(traveller.seat("3B")).to_have_attribute("aria-pressed", "true")
    await page.keyboard.press("Space")  # Space toggles too
    await expect(traveller.seat("3B")).to_have_attribute("aria-pressed", "false")
    await page.keyboard.press("Enter")
    await tab_until(page, lambda el: el["text"] == "Hold 1 seat")
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(HOLD_URL)

    await name_passengers(page, ["3B"])
    await tab_until(page, lambda el: el["text"].startswith("Pay "))
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Booking confirmed")).to_be_visible()
    assert "3B" in await page.locator("dl.booking").inner_text()
