"""Phone- and desktop-sized screens: nothing scrolls sideways, seats are big enough to tap,
and screenshots of the seat map and checkout are taken at both sizes (into
LASTSEAT_SCREENSHOTS_DIR, `make screenshots` points it at docs/screenshots)."""

from __future__ import annotations

import os
import struct
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from playwright.async_api import expect

from lastseat.config import PROJECT_ROOT
from tests.support.browser import Api, OpenTraveller, hold_in_page

SIZES = {"phone": (390, 844), "desktop": (1280, 900)}


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", header[16:24])
    return width, height


@pytest.fixture(scope="module")
def screenshots() -> Path:
    folder = Path(os.environ.get("LASTSEAT_SCREENSHOTS_DIR", PROJECT_ROOT / "var" / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("size", list(SIZES))
async def test_seat_map_and_checkout_fit_the_screen(
    size: str,
    screenshots: Path,
    api: Api,
    admin: tuple[str, str],
    open_traveller: OpenTraveller,
    make_flight: Callable[..., Awaitable[int]],
) -> None:
    folder = screenshots
    width, height = SIZES[size]
    flight_id = await make_flight(rows=12, letters="ABCDEF")
    # Some seats taken by others, so the map shows every state.
    _, token = await api.user()
    await api.hold(token, flight_id, ["2C", "2D"])
    await api.book(token, flight_id, ["4A", "4B", "5F"])

    traveller = await open_traveller(width=width, height=height)
    page = traveller.page
    await traveller.sign_up()
    await traveller.goto(f"/flights/{flight_id}")
    await page.get_by_role("checkbox", name="Request path").check()
    await expect(page.locator(".live")).to_have_text("live")
    await traveller.seat("3A").click()
    await traveller.seat("3B").click()

    overflow = await page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{size}: the page scrolls sideways by {overflow}px"
    seat = await traveller.seat("7C").bounding_box()
    assert seat is not None and seat["width"] >= 32 and seat["height"] >= 32  # tappable
    for name in ("2C", "4A", "3A"):
        assert await traveller.seat(name).is_visible()
    shot = folder / f"seatmap-{size}.png"
    await page.screenshot(path=shot, full_page=False)
    assert png_size(shot) == (width, height)

    await hold_in_page(traveller, flight_id, [])  # the two chosen above
    await expect(page.get_by_role("table")).to_contain_text("3B")
    overflow = await page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{size}: checkout scrolls sideways by {overflow}px"
    shot = folder / f"checkout-{size}.png"
    await page.screenshot(path=shot, full_page=False)
    assert png_size(shot) == (width, height)
