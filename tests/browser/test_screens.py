"""Phone- and desktop-sized screens: nothing scrolls sideways, seats are big enough to tap,
and screenshots of the seat map and checkout are taken at both sizes (into
LASTSEAT_SCREENSHOTS_DIR, `make screenshots` points it at docs/screenshots)."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest
from playwright.async_api import expect

from lastseat.config import PROJECT_ROOT
from tests.support.browser import FLIGHT_NUMBERS, Api, OpenTraveller, hold_in_page, small_flight

SIZES = {"phone": (390, 844), "desktop": (1280, 900)}
EXIT_ROW = 5
CHOSEN = ["5A", "5B"]  # in the exit row, so the checkout's bill shows its surcharges


def pictured_flight(code: str) -> dict[str, object]:
    """What the README's pictures show: a business cabin of wider seats, an exit row marked
    EXIT, and surcharges on the exit row, windows and aisles."""
    return {
        **small_flight(code),
        "cabins": [
            {"cabin": "business", "rows": [1, 2], "letters": "ACDF", "aisle_after": "C",
             "fare": {"amount": 42000, "currency": "EUR"}},
            {"cabin": "economy", "rows": [3, 12], "letters": "ABCDEF", "aisle_after": "C",
             "exit_rows": [EXIT_ROW], "fare": {"amount": 9900, "currency": "EUR"}},
        ],
        "surcharges": {"exit_row": 2500, "window": 500, "aisle": 300},
    }  # fmt: skip


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
) -> None:
    folder = screenshots
    width, height = SIZES[size]
    made = await api.call(
        "POST", "/api/v1/admin/flights", admin[1], json=pictured_flight(f"TB{next(FLIGHT_NUMBERS)}")
    )
    assert made.status_code == 201, made.text
    flight_id = int(made.json()["id"])
    # Some seats taken by others, so the map shows every state.
    _, token = await api.user()
    await api.hold(token, flight_id, ["2C", "2D"])
    await api.book(token, flight_id, ["4A", "4B", "6F"])

    traveller = await open_traveller(width=width, height=height)
    page = traveller.page
    await traveller.sign_up()
    await traveller.goto(f"/flights/{flight_id}")
    await page.get_by_role("checkbox", name="Request path").check()
    await expect(page.locator(".live")).to_have_text("live")
    for chosen in CHOSEN:
        await traveller.seat(chosen).click()

    overflow = await page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{size}: the page scrolls sideways by {overflow}px"
    seat = await traveller.seat("7C").bounding_box()
    assert seat is not None and seat["width"] >= 32 and seat["height"] >= 32  # tappable
    for name in ("2C", "4A", *CHOSEN):
        assert await traveller.seat(name).is_visible()
    # The picture shows what the map draws: EXIT at the exit row, wider premium seats, a
    # surcharge's price.
    # The map from its first cabin's heading, just below the sticky line about the seat.
    await page.locator(".cabin").first.evaluate(
        """cabin => {
             cabin.scrollIntoView({block: "start"});
             window.scrollBy(0, -document.querySelector(".seat-detail").offsetHeight - 16);
           }"""
    )
    await expect(traveller.seat("1A")).to_be_in_viewport()
    await expect(page.locator(".cabin .exit-label").first).to_be_in_viewport()
    business, economy = await traveller.seat("1A").bounding_box(), seat
    assert business is not None and business["width"] > economy["width"]
    await expect(traveller.seat("5A")).to_contain_text("€129")  # €99 + exit row €25 + window €5
    shot = folder / f"seatmap-{size}.png"
    await page.screenshot(path=shot, full_page=False)
    assert png_size(shot) == (width, height)

    await hold_in_page(traveller, flight_id, [])  # the two chosen above
    await expect(page.get_by_role("table")).to_contain_text("Exit row seat")
    overflow = await page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{size}: checkout scrolls sideways by {overflow}px"
    shot = folder / f"checkout-{size}.png"
    await page.screenshot(path=shot, full_page=False)
    assert png_size(shot) == (width, height)
