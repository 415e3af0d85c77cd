"""Browser tests: Debian's Chromium, driven by Playwright, against the whole stack.

The browser finds lastseat.test the way a traveller's would with lastseat's DNS: its own
profile asks lastseat's DNS-over-HTTPS endpoint (secure mode, no fallback to the system
resolver, no host-resolver mapping), and trusts the stack's local CA through its own NSS
certificate store. Each traveller is a separate Chromium with its own profile, so two of
them share nothing but the server.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import signal
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import BrowserContext, ConsoleMessage, Page, async_playwright
from playwright.async_api import Error as PlaywrightError

from lastseat.stack.browser import CHROMIUM, HEADLESS_ARGS, doh_profile, trust_store
from tests.support.stack import Site, running_stack
from tests.support.stack import stack_database as stack_database  # this package's own

PASSWORD = "correct horse battery staple"
FLIGHT_NUMBERS = itertools.count(1000)
NETWORK_ERROR = re.compile(r"Failed to load resource: the server responded with a status of (\d+)")


@pytest.fixture(scope="package")
def site(stack_database: str) -> Iterator[Site]:
    # Several browsers load a page's modules at once from one address: the per-address
    # limit is raised well above that; the firewall tests keep the strict one.
    with running_stack(
        stack_database, LASTSEAT_RATE_LIMIT_PER_SECOND="2000", LASTSEAT_RATE_LIMIT_BURST="4000"
    ) as site:
        yield site


@pytest.fixture(scope="package")
def browser_home(site: Site) -> Path:
    """A HOME whose NSS store trusts the stack's CA (Chromium on Linux reads it there)."""
    home = site.folder / "browser-home"
    trust_store(home, site.ca)
    return home


@dataclass
class Traveller:
    """One person at one browser."""

    site: Site
    context: BrowserContext
    page: Page
    profile: Path
    problems: list[str] = field(default_factory=list)
    allowed_statuses: set[int] = field(default_factory=set)

    def allow_http_errors(self, *statuses: int) -> None:
        """Chromium logs every 4xx answer as a console error; a test that provokes one
        (a taken seat, a declined card) says which, and any other still fails it."""
        self.allowed_statuses.update(statuses)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type not in ("error", "warning"):
            return
        found = NETWORK_ERROR.search(message.text)
        if found and int(found.group(1)) in self.allowed_statuses:
            return
        self.problems.append(f"console {message.type}: {message.text}")

    async def goto(self, route: str = "") -> None:
        await self.page.goto(f"{self.site.url}/#{route}")
        await self.page.wait_for_selector("body[data-ready='true']")

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


def _processes_using(path: Path) -> list[int]:
    """Pids whose command line names `path`: what is left of a browser on that profile."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if str(path).encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
    return found


@pytest.fixture(scope="package")
async def playwright() -> AsyncIterator[Any]:
    async with async_playwright() as pw:
        yield pw


OpenTraveller = Callable[..., Awaitable[Traveller]]


@pytest.fixture
async def open_traveller(
    site: Site, browser_home: Path, playwright: Any
) -> AsyncIterator[OpenTraveller]:
    """Start a Chromium for a traveller; every one is closed, and checked gone, after the
    test, and none may have logged a console error the test did not expect."""
    opened: list[Traveller] = []

    async def open_one(width: int = 1280, height: int = 900, **options: Any) -> Traveller:
        profile = doh_profile(site.folder / "profiles" / uuid.uuid4().hex[:12], site.settings)
        context = await playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=list(HEADLESS_ARGS),
            env={**os.environ, "HOME": str(browser_home)},
            viewport={"width": width, "height": height},
            **options,
        )
        context.set_default_timeout(15_000)
        page = context.pages[0] if context.pages else await context.new_page()
        traveller = Traveller(site, context, page, profile)
        page.on("console", traveller.on_console)
        page.on("pageerror", lambda error: traveller.problems.append(f"page error: {error}"))
        opened.append(traveller)
        return traveller

    yield open_one
    problems = []
    for traveller in opened:
        with contextlib.suppress(PlaywrightError):
            await traveller.context.close()
        problems += traveller.problems
        leftover = _processes_using(traveller.profile)
        for pid in leftover:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        assert not leftover, f"browser processes outlived their context: {leftover}"
    assert not problems, problems


class Api:
    """The API over HTTPS through the whole stack, for setting a scene and checking it."""

    def __init__(self, site: Site) -> None:
        self.site = site

    async def token(self, email: str, password: str = PASSWORD) -> str:
        async with self.site.client() as client:
            response = await client.post(
                "/api/v1/auth/login", json={"email": email, "password": password}
            )
        response.raise_for_status()
        return str(response.json()["access_token"])

    async def call(
        self, method: str, path: str, token: str | None = None, **kw: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.site.client() as client:
            return await client.request(method, path, headers=headers, **kw)

    async def hold(self, token: str, flight_id: int, seats: list[str]) -> dict[str, Any]:
        made = await self.call(
            "POST", "/api/v1/holds", token, json={"flight_id": flight_id, "seats": seats}
        )
        assert made.status_code == 201, made.text
        return dict(made.json())

    async def book(self, token: str, flight_id: int, seats: list[str]) -> dict[str, Any]:
        hold = await self.hold(token, flight_id, seats)
        body = {"hold_id": hold["id"], "payment": {"token": "tok_ok"}}
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


@pytest.fixture(scope="package")
def api(site: Site) -> Api:
    return Api(site)


@pytest.fixture(scope="package")
async def admin(site: Site, api: Api) -> tuple[str, str]:
    """An admin account, made the way an operator makes one (the CLI); email and token."""
    email = "ops@lastseat.test"
    made = site.lastseat("admin", "create-user", email, "--password", PASSWORD, "--admin")
    assert made.returncode == 0, made.stderr
    return email, await api.token(email)


def small_flight(code: str, rows: int = 6, letters: str = "ABCD") -> dict[str, object]:
    """One economy cabin: small enough that a test can fill it or see all of it."""
    return {
        "code": code,
        "origin": "OSL",
        "destination": "BER",
        "departs_at": "2031-03-03T08:30:00Z",
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


@pytest.fixture
async def make_flight(api: Api, admin: tuple[str, str]) -> Callable[..., Awaitable[int]]:
    async def make(**kw: Any) -> int:
        code = f"TB{next(FLIGHT_NUMBERS)}"
        made = await api.call(
            "POST", "/api/v1/admin/flights", admin[1], json=small_flight(code, **kw)
        )
        assert made.status_code == 201, made.text
        return int(made.json()["id"])

    return make
