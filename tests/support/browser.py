"""Browser tests' helpers: a traveller at a Chromium of their own, the API for setting a
scene through the whole stack, and the small flights the tests fill.

The browser finds lastseat.test the way a traveller's would with lastseat's DNS: its own
profile asks lastseat's DNS-over-HTTPS endpoint (secure mode, no fallback to the system
resolver, no host-resolver mapping), and trusts the stack's local CA through its own NSS
certificate store. Each traveller is a separate Chromium with its own profile, so two of
them share nothing but the server.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import BrowserContext, ConsoleMessage, Page, expect

from tests.support.passengers import FAMILY_NAME, given_name, passengers_json
from tests.support.stack import Stack

PASSWORD = "correct horse battery staple"
FLIGHT_NUMBERS = itertools.count(1000)
# The checkout page of a hold, with its id.
HOLD_URL = re.compile(r"#/checkout/([0-9a-f-]{36})$")
NETWORK_ERROR = re.compile(r"Failed to load resource: the server responded with a status of (\d+)")


@dataclass
class Traveller:
    """One person at one browser."""

    stack: Stack
    context: BrowserContext
    page: Page
    profile: Path
    problems: list[str] = field(default_factory=list)
    allowed_statuses: set[int] = field(default_factory=set)
    allowed_failures: set[str] = field(default_factory=set)

    def allow_http_errors(self, *statuses: int) -> None:
        """Chromium logs every 4xx answer as a console error; a test that provokes one
        (a taken seat, a declined card) says which, and any other still fails it."""
        self.allowed_statuses.update(statuses)

    def allow_network_failures(self, *errors: str) -> None:
        """Chromium logs a request the test aborts ("net::ERR_FAILED") as a console error;
        a test that cuts one off says which error, and any other still fails it."""
        self.allowed_failures.update(errors)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type not in ("error", "warning"):
            return
        if any(
            f"Failed to load resource: {error}" in message.text for error in self.allowed_failures
        ):
            return
        found = NETWORK_ERROR.search(message.text)
        if found and int(found.group(1)) in self.allowed_statuses:
            return
        self.problems.append(f"console {message.type}: {message.text}")

    async def goto(self, route: str = "") -> None:
        """Open `route` and wait until the page shows it whole: a change of the hash alone
        returns before the new route is drawn."""
        await self.page.goto(f"{self.stack.url}/#{route}")
        await self.page.wait_for_selector("body[data-ready='true']")
        await self.page.wait_for_function(
            "() => document.querySelector('main').dataset.shows === location.hash"
        )

    async def sign_up(self, email: str | None = None) -> str:
        email = email or f"traveller-{uuid.uuid4().hex[:10]}@example.com"
        await self.goto("/signup")
        await self.page.get_by_label("Email").fill(email)
        await self.page.get_by_label("Password").fill(PASSWORD)
        await self.page.get_by_role("button", name="Create account").click()
        await self.page.get_by_text(f"Signed in as {email}").wait_for()
        return email

    async def sign_in(self, email: str, password: str = PASSWORD) -> None:
        await self.goto("/login")
        await self.page.get_by_label("Email").fill(email)
        await self.page.get_by_label("Password").fill(password)
        await self.page.get_by_role("button", name="Sign in").click()
        await self.page.get_by_text(f"Signed in as {email}").wait_for()

    def seat(self, name: str) -> Any:
        return self.page.locator(f"button.seat[data-seat='{name}']")


def processes_using(path: Path) -> list[int]:
    """Pids whose command line names `path`: what is left of a browser on that profile."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if str(path).encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
    return found


OpenTraveller = Callable[..., Awaitable[Traveller]]


class Api:
    """The API over HTTPS through the whole stack, for setting a scene and checking it."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    async def token(self, email: str, password: str = PASSWORD) -> str:
        async with self.stack.client() as client:
            response = await client.post(
                "/api/v1/auth/login", json={"email": email, "password": password}
            )
        response.raise_for_status()
        return str(response.json()["access_token"])

    async def call(
        self, method: str, path: str, token: str | None = None, **kw: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.stack.client() as client:
            return await client.request(method, path, headers=headers, **kw)

    async def hold(self, token: str, flight_id: int, seats: list[str]) -> dict[str, Any]:
        made = await self.call(
            "POST", "/api/v1/holds", token, json={"flight_id": flight_id, "seats": seats}
        )
        assert made.status_code == 201, made.text
        return dict(made.json())

    async def book(self, token: str, flight_id: int, seats: list[str]) -> dict[str, Any]:
        hold = await self.hold(token, flight_id, seats)
        body = {
            "hold_id": hold["id"],
            "payment": {"token": "tok_ok"},
            "passengers": passengers_json(hold["seats"]),
        }
        made = await self.call("POST", "/api/v1/bookings", token, json=body)
        assert made.status_code == 201, made.text
        return dict(made.json())

    async def user(self, email: str | None = None) -> tuple[str, str]:
        email = email or f"api-{uuid.uuid4().hex[:10]}@example.com"
        made = await self.call(
            "POST", "/api/v1/auth/signup", json={"email": email, "password": PASSWORD}
        )
        assert made.status_code == 201, made.text
        return email, await self.token(email)


# small_flight's arrival, 10:25 UTC, on Berlin's clocks. Berlin keeps Oslo's offset: the
# zone named is what tells the arrival's clocks from the departure's.
BERLIN_ARRIVAL = re.compile(r"^Mon,? 3 Mar 2031,? 11:25 (CET|GMT\+1) \(Europe/Berlin\)$")


def small_flight(code: str, rows: int = 6, letters: str = "ABCD") -> dict[str, object]:
    """One economy cabin: small enough that a test can fill it or see all of it."""
    return {
        "code": code,
        "origin": "OSL",
        "destination": "BER",
        "departs_at": "2031-03-03T08:30:00Z",
        "arrives_at": "2031-03-03T10:25:00Z",  # 11:25 on Berlin's clocks
        "cabins": [
            {
                "cabin": "economy",
                "rows": [1, rows],
                "letters": letters,
                "aisle_after": letters[len(letters) // 2 - 1] if len(letters) > 1 else "",
                "fare": {"amount": 9900, "currency": "EUR"},
            }
        ],
    }


async def in_page(traveller: Traveller, path: str) -> Any:
    """GET from inside the page, with its session: what the server says, not the page."""
    return await traveller.page.evaluate(
        "async (path) => (await fetch(path, {credentials: 'same-origin'})).json()", path
    )


async def hold_in_page(traveller: Traveller, flight_id: int, seats: list[str]) -> str:
    """Choose `seats` on the flight's map and hold them; with none, hold what the page has
    selected already."""
    page = traveller.page
    if seats:
        await traveller.goto(f"/flights/{flight_id}")
        for seat in seats:
            await traveller.seat(seat).click()
            await expect(traveller.seat(seat)).to_have_attribute("aria-pressed", "true")
    count = await page.locator("button.seat[aria-pressed='true']").count()
    assert count > 0
    plural = "" if count == 1 else "s"
    await page.get_by_role("button", name=f"Hold {count} seat{plural}").click()
    await expect(page).to_have_url(HOLD_URL)
    found = HOLD_URL.search(page.url)
    assert found is not None
    return found.group(1)


async def name_passengers(
    page: Page, seats: list[str], family_name: str = FAMILY_NAME
) -> list[tuple[str, str, str]]:
    """Fill in the checkout's traveller for each seat, as a person would: by the labels of
    the seat's group. Returns (seat, given name, family name) for each."""
    named = []
    for i, seat in enumerate(seats):
        group = page.get_by_role("group", name=f"Seat {seat}")
        await group.get_by_label("Given names").fill(given_name(i))
        await group.get_by_label("Family name").fill(family_name)
        named.append((seat, given_name(i), family_name))
    return named
