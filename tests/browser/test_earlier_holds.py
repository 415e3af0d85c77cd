"""Seats chosen while signed out meet the account's earlier holds on that flight (made on
another device): after signing in the traveller sees both and chooses what to hold; the
earlier seats are never folded into the new choice unasked."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from playwright.async_api import Locator, Route, expect

from tests.browser.test_accessibility import axe_violations
from tests.support.browser import HOLD_URL, PASSWORD, Api, OpenTraveller, Traveller, in_page

CHOSEN = ["2A", "2B"]
# A moment on the traveller's own clocks, its day and zone named: "Sun, 29 Nov 2026, 11:50
# UTC (your time)".
YOUR_TIME = r"\w{3}, \d{1,2} \w{3} \d{4}, \d\d:\d\d \S+ \(your time\)"
QUESTION = "Your earlier seats on this flight"


async def choose_then_sign_in(traveller: Traveller, flight_id: int, email: str) -> None:
    """Choose CHOSEN signed out, press Hold, and sign in as `email` from where it leads."""
    page = traveller.page
    await traveller.goto(f"/flights/{flight_id}")
    for seat in CHOSEN:
        await traveller.seat(seat).click()
    await page.get_by_role("button", name="Hold 2 seats").click()
    await expect(page.get_by_text("your choice is kept")).to_be_visible()
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(rf"#/flights/{flight_id}$"))


@dataclass(frozen=True)
class Earlier:
    """A flight, an account, and that account's hold on it made elsewhere (on another
    device)."""

    flight_id: int
    email: str
    token: str
    hold: dict[str, Any]


async def an_earlier_hold(
    api: Api, make_flight: Callable[..., Awaitable[int]], seats: list[str], **flight: int
) -> Earlier:
    flight_id = await make_flight(**flight)
    email, token = await api.user()
    return Earlier(flight_id, email, token, await api.hold(token, flight_id, seats))


async def asked(
    api: Api,
    make_flight: Callable[..., Awaitable[int]],
    open_traveller: OpenTraveller,
    seats: list[str],
    **flight: int,
) -> tuple[Earlier, Traveller, Locator]:
    """An account holding `seats` elsewhere chooses CHOSEN signed out and signs in: the
    earlier hold, the traveller, and the question the page then asks."""
    made = await an_earlier_hold(api, make_flight, seats, **flight)
    traveller = await open_traveller()
    await choose_then_sign_in(traveller, made.flight_id, made.email)
    return made, traveller, traveller.page.get_by_role("group", name=QUESTION)


async def live_holds(traveller: Traveller, flight_id: int) -> list[dict[str, Any]]:
    found = await in_page(traveller, f"/api/v1/holds?flight_id={flight_id}")
    return list(found["items"])


async def test_an_earlier_hold_is_shown_beside_the_new_choice_and_not_merged_unasked(
    api: Api, open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    # an earlier hold, on another device
    made, traveller, question = await asked(api, make_flight, open_traveller, ["5A", "5B"])
    flight_id, earlier, page = made.flight_id, made.hold, traveller.page
    await expect(question).to_contain_text(re.compile(r"5A, 5B, held until " + YOUR_TIME))
    await expect(question).to_contain_text("You have just chosen 2A, 2B.")
    said = question.locator("[aria-live]")
    await expect(said).to_have_attribute("aria-live", "polite")
    await expect(said).to_contain_text("You already hold 2 seats on this flight")
    text = await question.inner_text()
    assert earlier["id"] not in text and "€" not in text, text
    # Beside the action: the question stands where the Hold button was.
    await expect(page.get_by_role("button", name="Hold 2 seats")).to_be_hidden()
    together = question.get_by_role("button", name="Hold all 4 seats together")
    await expect(together).to_be_focused()
    for seat in CHOSEN:
        await expect(traveller.seat(seat)).to_have_attribute("aria-pressed", "true")
    assert await axe_violations(page) == []

    # Nothing was held or merged yet: the server still has only the earlier hold.
    holds = await live_holds(traveller, flight_id)
    assert [(h["id"], h["seats"]) for h in holds] == [(earlier["id"], ["5A", "5B"])]

    # Changing the choice puts the question away: the button says what it will do.
    await traveller.seat("2B").click()
    await expect(question).to_have_count(0)
    await expect(page.get_by_role("button", name="Add 1 seat to your hold")).to_be_visible()


async def test_keeping_both_holds_every_seat_in_one_hold(
    api: Api, open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    flight_id = await make_flight()
    email, token = await api.user()
    # Two earlier holds (two devices): both are shown, and both are kept.
    first = await api.hold(token, flight_id, ["5A"])
    second = await api.hold(token, flight_id, ["6A"])
    traveller = await open_traveller()
    await choose_then_sign_in(traveller, flight_id, email)
    page = traveller.page
    question = page.get_by_role("group", name=QUESTION)
    await expect(question.get_by_role("listitem")).to_have_count(2)
    for seat in ("5A", "6A"):  # the map shows both as the traveller's
        await expect(traveller.seat(seat)).to_have_attribute("data-status", "mine")
    together = question.get_by_role("button", name="Hold all 4 seats together")
    await expect(together).to_be_focused()
    await page.keyboard.press("Enter")

    await expect(page).to_have_url(HOLD_URL)
    await expect(page.get_by_text("Seats 2A, 2B, 5A, 6A on")).to_be_visible()
    holds = await live_holds(traveller, flight_id)
    assert [sorted(h["seats"]) for h in holds] == [["2A", "2B", "5A", "6A"]]
    for old in (first, second):
        ended = await in_page(traveller, f"/api/v1/holds/{old['id']}")
        assert ended["status"] == "released"


async def test_holding_only_the_new_choice_releases_the_earlier_seats(
    api: Api, open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    made, traveller, question = await asked(api, make_flight, open_traveller, ["5A", "5B"])
    flight_id, earlier, page = made.flight_id, made.hold, traveller.page
    only = question.get_by_role("button", name="Hold only 2A, 2B, release 5A, 5B")
    await expect(question.get_by_role("button", name="Hold all 4 seats together")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(only).to_be_focused()
    await page.keyboard.press("Enter")

    await expect(page).to_have_url(HOLD_URL)
    await expect(page.get_by_text("Seats 2A, 2B on")).to_be_visible()
    holds = await live_holds(traveller, flight_id)
    assert [h["seats"] for h in holds] == [CHOSEN]
    ended = await in_page(traveller, f"/api/v1/holds/{earlier['id']}")
    assert ended["status"] == "released"
    seats = await in_page(traveller, f"/api/v1/flights/{flight_id}/seats")
    status = {s["seat"]: s["status"] for s in seats["seats"]}
    assert status["5A"] == status["5B"] == "available"


HOLDS_READ = re.compile(r"/api/v1/holds\?flight_id=")


async def test_a_lost_read_of_the_earlier_holds_is_tried_again(
    api: Api, open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    made = await an_earlier_hold(api, make_flight, ["5A", "5B"])
    flight_id, email = made.flight_id, made.email
    traveller = await open_traveller()
    traveller.allow_network_failures("net::ERR_FAILED")
    lost: list[str] = []

    # Two reads get no answer: the page's first, and what would be the only one again.
    async def lose_first(route: Route) -> None:
        if len(lost) < 2:
            lost.append(route.request.url)
            await route.abort()
        else:
            await route.continue_()

    await traveller.page.route(HOLDS_READ, lose_first)
    await choose_then_sign_in(traveller, flight_id, email)
    question = traveller.page.get_by_role("group", name=QUESTION)
    await expect(question).to_contain_text("5A, 5B, held until")
    assert len(lost) == 2


async def test_no_hold_is_made_until_the_earlier_holds_could_be_read(
    api: Api, open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    made = await an_earlier_hold(api, make_flight, ["5A", "5B"])
    flight_id, email, earlier = made.flight_id, made.email, made.hold
    traveller = await open_traveller()
    traveller.allow_network_failures("net::ERR_FAILED")
    page = traveller.page
    cut = [True]

    async def cut_off(route: Route) -> None:
        if cut[0]:
            await route.abort()
        else:
            await route.continue_()

    await page.route(HOLDS_READ, cut_off)
    await choose_then_sign_in(traveller, flight_id, email)
    hold = page.get_by_role("button", name="Hold 2 seats")
    said = page.locator(".action-message").filter(has_text="could not check")
    await expect(said).to_contain_text(
        "We could not check whether you already hold seats on this flight, so nothing was held"
    )
    # Nothing was held beside the earlier hold.
    holds = await api.call("GET", f"/api/v1/holds?flight_id={flight_id}", made.token)
    assert [h["id"] for h in holds.json()["items"]] == [earlier["id"]]

    # Pressing Hold reads them first; still cut off, it holds nothing and says so again.
    await hold.click()
    await expect(said).to_be_visible()
    holds = await api.call("GET", f"/api/v1/holds?flight_id={flight_id}", made.token)
    assert [h["id"] for h in holds.json()["items"]] == [earlier["id"]]

    # Read at last: the traveller is asked what to hold, as after any sign-in.
    cut[0] = False
    await hold.click()
    question = page.get_by_role("group", name=QUESTION)
    await expect(question).to_contain_text("5A, 5B, held until")
    await expect(said).to_have_count(0)


async def test_earlier_seats_are_listed_by_row_then_letter(
    api: Api, open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    _, _, question = await asked(api, make_flight, open_traveller, ["10A", "5C", "5B"], rows=12)
    await expect(question.get_by_role("listitem")).to_have_text(
        re.compile(r"^5B, 5C, 10A, held until " + YOUR_TIME + "$")
    )
    await expect(
        question.get_by_role("button", name="Hold only 2A, 2B, release 5B, 5C, 10A")
    ).to_be_visible()
