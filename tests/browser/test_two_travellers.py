"""Two travellers on one flight, in two browsers: one's hold shows up live in the other's
seat map, and when both go for the last free seat at once, exactly one gets it."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

from playwright.async_api import expect

from tests.support.browser import HOLD_URL, Api, OpenTraveller


async def test_a_hold_in_one_browser_turns_the_seat_held_in_the_other_within_a_second(
    open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    flight_id = await make_flight()
    ana, ben = await open_traveller(), await open_traveller()
    await ana.sign_up()
    await ben.sign_up()
    for traveller in (ana, ben):
        await traveller.goto(f"/flights/{flight_id}")
        await expect(traveller.page.locator(".live")).to_have_text("live")

    await ana.seat("3C").click()
    await ana.page.get_by_role("button", name="Hold 1 seat").click()
    await expect(ana.page).to_have_url(HOLD_URL)

    # Pushed over the WebSocket: no reload, no polling.
    await expect(ben.seat("3C")).to_have_attribute("data-status", "held", timeout=1000)
    await expect(ben.seat("3C")).to_be_disabled()
    await expect(ben.seat("3C")).to_have_attribute("aria-label", re.compile("held by another"))
    await ben.seat("3C").click(force=True)  # a click on it anyway does nothing
    await expect(ben.seat("3C")).to_have_attribute("aria-pressed", "false")
    await expect(ben.page.get_by_role("button", name="Hold seats")).to_be_disabled()

    # Ana goes back to the map: 3C is hers, with the countdown; she releases it, and Ben
    # sees it free again.
    await ana.goto(f"/flights/{flight_id}")
    await expect(ana.seat("3C")).to_have_attribute("data-status", "mine")
    hold_box = ana.page.get_by_role("region", name="Your hold")
    await expect(hold_box).to_contain_text("You are holding 3C")
    await expect(hold_box.locator(".countdown")).to_have_text(re.compile(r"^\d+:\d\d$"))
    await hold_box.get_by_role("button", name="Release").click()
    await expect(ana.page.get_by_text("Your seats were released.")).to_be_visible()
    await expect(ben.seat("3C")).to_have_attribute("data-status", "available")
    await expect(ben.seat("3C")).to_be_enabled()


async def test_both_click_the_last_free_seat_and_exactly_one_gets_it(
    api: Api, open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    flight_id = await make_flight(rows=1, letters="AB")
    _, token = await api.user()
    await api.hold(token, flight_id, ["1A"])
    ana, ben = await open_traveller(), await open_traveller()
    for traveller in (ana, ben):
        traveller.allow_http_errors(409)  # the loser's hold is refused, as it should be
        await traveller.sign_up()
        await traveller.goto(f"/flights/{flight_id}")
        await expect(traveller.seat("1A")).to_be_disabled()
        await traveller.seat("1B").click()
        await expect(traveller.page.get_by_role("button", name="Hold 1 seat")).to_be_enabled()

    # Both press "Hold" together: the database decides. (force: should the winner's hold
    # reach the other page over the WebSocket first, its button is already disabled and
    # the page says so instead; a click must not wait for it.)
    await asyncio.gather(
        ana.page.get_by_role("button", name="Hold 1 seat").click(force=True),
        ben.page.get_by_role("button", name="Hold 1 seat").click(force=True),
    )
    outcomes = {}
    for name, traveller in (("ana", ana), ("ben", ben)):
        for _ in range(100):  # up to 10 s for the page to settle either way
            if HOLD_URL.search(traveller.page.url):
                outcomes[name] = "won"
                break
            if await traveller.page.get_by_role("alert").is_visible():
                outcomes[name] = await traveller.page.get_by_role("alert").inner_text()
                break
            notice = await traveller.page.locator("#notice").inner_text()
            if "taken" in notice:
                outcomes[name] = notice
                break
            await asyncio.sleep(0.1)
    assert sorted(outcomes) == ["ana", "ben"], outcomes
    winners = [name for name, outcome in outcomes.items() if outcome == "won"]
    assert len(winners) == 1, outcomes
    [loser_message] = [outcome for outcome in outcomes.values() if outcome != "won"]
    assert loser_message in (
        "Sorry, seat 1B was just taken by someone else. Please choose another seat.",
        "Seat 1B was just taken by another traveller.",
    )
    loser = ben if winners == ["ana"] else ana
    await expect(loser.seat("1B")).to_be_disabled()

    # And the server agrees: the seat is held once.
    seats = (await api.call("GET", f"/api/v1/flights/{flight_id}/seats")).json()["seats"]
    assert {s["seat"]: s["status"] for s in seats} == {"1A": "held", "1B": "held"}
