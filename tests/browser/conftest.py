"""Browser fixtures: the whole stack, a Chromium per traveller, an admin and small flights
(the helpers they use are in tests/support/browser.py)."""

from __future__ import annotations

import contextlib
import os
import signal
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import async_playwright

from lastseat.stack.browser import CHROMIUM, HEADLESS_ARGS, doh_profile, trust_store
from lastseat.stack.postgres import PostgresServer
from tests.support.browser import (
    FLIGHT_NUMBERS,
    PASSWORD,
    Api,
    OpenTraveller,
    Traveller,
    processes_using,
    small_flight,
)
from tests.support.interfaces import interfaces_stay
from tests.support.stack import Stack, running_stack


@pytest.fixture(scope="session")
async def stack(postgres: PostgresServer) -> AsyncIterator[Stack]:
    # Several browsers load a page's modules at once from one address: the per-address
    # limit is raised well above that; the firewall tests keep the strict one.
    async with running_stack(
        postgres, LASTSEAT_RATE_LIMIT_PER_SECOND="2000", LASTSEAT_RATE_LIMIT_BURST="4000"
    ) as stack:
        yield stack


@pytest.fixture(scope="session")
def browser_home(stack: Stack) -> Path:
    """A HOME whose NSS store trusts the stack's CA (Chromium on Linux reads it there)."""
    home = stack.folder / "browser-home"
    trust_store(home, stack.ca)
    return home


@pytest.fixture(scope="session")
async def playwright() -> AsyncIterator[Any]:
    async with async_playwright() as pw:
        yield pw


@pytest.fixture
async def open_traveller(
    stack: Stack, browser_home: Path, playwright: Any
) -> AsyncIterator[OpenTraveller]:
    """Start a Chromium for a traveller; every one is closed, and checked gone, after the
    test, and none may have logged a console error the test did not expect."""
    opened: list[Traveller] = []

    async def open_one(width: int = 1280, height: int = 900, **options: Any) -> Traveller:
        profile = doh_profile(stack.folder / "profiles" / uuid.uuid4().hex[:12], stack.settings)
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
        traveller = Traveller(stack, context, page, profile)
        page.on("console", traveller.on_console)
        page.on("pageerror", lambda error: traveller.problems.append(f"page error: {error}"))
        opened.append(traveller)
        return traveller

    # no network interface may come or go (a cluster elsewhere on the machine) meanwhile
    with interfaces_stay():
        try:
            yield open_one
        finally:
            for traveller in opened:
                with contextlib.suppress(PlaywrightError):
                    await traveller.context.close()
    problems = []
    for traveller in opened:
        problems += traveller.problems
        leftover = processes_using(traveller.profile)
        for pid in leftover:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        assert not leftover, f"browser processes outlived their context: {leftover}"
    assert not problems, problems


@pytest.fixture(scope="session")
def api(stack: Stack) -> Api:
    return Api(stack)


@pytest.fixture(scope="session")
async def admin(stack: Stack, api: Api) -> tuple[str, str]:
    """An admin account, made the way an operator makes one (the CLI); email and token."""
    email = "ops@lastseat.test"
    made = stack.lastseat("admin", "create-user", email, "--password", PASSWORD, "--admin")
    assert made.returncode == 0, made.stderr
    return email, await api.token(email)


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
