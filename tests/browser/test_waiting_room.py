"""The waiting page of a flight on sale through a waiting room (docs/waiting-room.md): a
countdown before the opening, one's place moving as the line is let in, a reload that
keeps the place, and at one's turn the seat map, where a hold carries the admission."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from playwright.async_api import expect

from tests.browser.test_accessibility import axe_violations, unnamed_controls
from tests.support.browser import HOLD_URL, Api, OpenTraveller, in_page

# How long an app server may go on not knowing that a sale was opened (the default of
# LASTSEAT_SALE_REFRESH_SECONDS), and a little more.
SALE_KNOWN_SECONDS = 1.5


async def _open_sale(
    api: Api, admin_token: str, flight_id: int, opens_in: float, rate: int
) -> None:
    opens_at = datetime.now(UTC) + timedelta(seconds=opens_in)
    body = {"opens_at": opens_at.isoformat(), "admissions_per_minute": rate, "active_cap": 50}
    path = f"/api/v1/admin/flights/{flight_id}/sale"
    opened = await api.call("POST", path, admin_token, json=body)
    assert opened.status_code == 201, opened.text
    await asyncio.sleep(SALE_KNOWN_SECONDS)


async def test_the_countdown_then_the_seat_map_at_ones_turn(
    api: Api,
    admin: tuple[str, str],
    open_traveller: OpenTraveller,
    make_flight: Callable[..., Awaitable[int]],
) -> None:
    flight_id = await make_flight()
    ana = await open_traveller()
    await ana.sign_up()
    await _open_sale(api, admin[1], flight_id, opens_in=8, rate=60)
    await ana.goto(f"/flights/{flight_id}")  # on sale: the page sends her to the line
    assert ana.page.url.endswith(f"#/flights/{flight_id}/wait")
    await expect(ana.page.get_by_role("heading", level=1)).to_contain_text("Waiting room")
    timer = ana.page.get_by_role("timer")
    await expect(timer).to_have_text(re.compile(r"^0:0\d$"))
    first = await timer.text_content()
    await expect(timer).not_to_have_text(first or "")  # it counts down
    await expect(ana.page.locator(".line-position")).to_contain_text("You are in line")
    assert await axe_violations(ana.page) == []
    assert await unnamed_controls(ana) == []
    # the opening, then her turn: the seat map, with how long she has
    await expect(ana.page).to_have_url(re.compile(rf"#/flights/{flight_id}$"), timeout=20_000)
    await expect(ana.page.get_by_text("It is your turn")).to_be_visible()
    await expect(ana.page.locator(".live")).to_have_text("live")
    await ana.seat("1A").click()
    await ana.page.get_by_role("button", name="Hold 1 seat").click()
    await expect(ana.page).to_have_url(HOLD_URL)
    [hold] = (await in_page(ana, f"/api/v1/holds?flight_id={flight_id}"))["items"]
    assert hold["seats"] == ["1A"]


async def test_ones_place_moves_and_a_reload_keeps_it(
    api: Api,
    admin: tuple[str, str],
    open_traveller: OpenTraveller,
    make_flight: Callable[..., Awaitable[int]],
) -> None:
    flight_id = await make_flight()
    await _open_sale(api, admin[1], flight_id, opens_in=0, rate=30)  # one every 2 s
    ahead = [(await api.user())[1] for _ in range(3)]
    for token in ahead:  # three came first
        joined = await api.call("POST", f"/api/v1/flights/{flight_id}/queue", token)
        assert joined.status_code == 201, joined.text
    ben = await open_traveller()
    await ben.sign_up()
    await ben.goto(f"/flights/{flight_id}")
    position = ben.page.locator(".line-position")
    await expect(position).to_have_text(re.compile(r"^You are number [123] in line\.$"))
    place = await in_page(ben, f"/api/v1/flights/{flight_id}/queue")
    seen = {await position.text_content()}
    await ben.page.reload()  # the same place, not the back of the line
    await ben.page.wait_for_selector("body[data-ready='true']")
    await expect(position).to_have_text(re.compile(r"^You are number [123] in line\.$"))
    assert (await in_page(ben, f"/api/v1/flights/{flight_id}/queue"))["place_id"] == place[
        "place_id"
    ]
    for _ in range(40):  # bounded: the line moves one every 2 s
        if not ben.page.url.endswith("/wait"):
            break
        text = await position.text_content()
        if text:
            seen.add(text)
        await asyncio.sleep(0.25)
    await expect(ben.page).to_have_url(re.compile(rf"#/flights/{flight_id}$"), timeout=10_000)
    numbers = {int(n) for text in seen for n in re.findall(r"number (\d+)", text or "")}
    assert len(numbers) >= 2 and 1 in numbers, seen  # it moved, down to the front
    await expect(ben.page.get_by_text("It is your turn")).to_be_visible()
