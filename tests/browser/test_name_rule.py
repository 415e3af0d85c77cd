"""The page's name check (web/js/names.js, which only lights the step indicator) says what
the server's (domain/passengers.check_name) says, for names that test each part of the
rule: scripts, joiners, marks, punctuation, spaces and lengths."""

from __future__ import annotations

from playwright.async_api import expect

from lastseat.domain.errors import InvalidRequest
from lastseat.domain.passengers import check_name
from tests.support.browser import OpenTraveller

NAMES = [
    "Ann", "O'Brien-Núñez", "O\u2019Neil", "'t Hooft", "Nguyễn", "Jose\u0301", "李",
    "\U00020000" * 64, "\U00020000" * 65, "محمد\u200cحسین", "ශ්\u200dරී", "\u200dAnna",
    "\u0301Anna", "A" + "\u0301" * 3, "A" + "\u0301" * 4, "R2-D2", "Ann.", "", " ", "-",
    "Ann\u00a0Lee", "山田\u3000太郎", " " * 300 + "A", " " * 200 + "A", "A" * 64, "A" * 65,
    "Ann\u202eLee", "Ann\u200bLee", "\u0e2a\u0e21\u0e0a\u0e32\u0e22",
]  # fmt: skip


def server_accepts(name: str) -> bool:
    try:
        check_name(name, "name")
    except InvalidRequest:
        return False
    return True


async def test_the_page_and_the_server_judge_every_name_alike(
    open_traveller: OpenTraveller,
) -> None:
    traveller = await open_traveller()
    await traveller.goto("/")
    await expect(traveller.page.locator("main")).not_to_have_attribute("aria-busy", "true")
    judged = await traveller.page.evaluate(
        """async (names) => {
            const { isBookableName } = await import("/js/names.js");
            return names.map(isBookableName);
        }""",
        NAMES,
    )
    assert dict(zip(NAMES, judged, strict=True)) == {name: server_accepts(name) for name in NAMES}
