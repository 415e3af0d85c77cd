"""A traveller who edits the page's state or its requests still pays what the server
prices: the client holds no price the server would take from it."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable

from playwright.async_api import Request, Route, expect

from tests.support.browser import Api, OpenTraveller, hold_in_page, in_page, name_passengers
from tests.support.stack import Stack, eventually_in

ONE_CENT = r"""() => {
const realFetch = window.fetch;
window.fetch = async (input, init) => {
  const response = await realFetch(input, init);
  const path = new URL(String(input), location.href).pathname;
  if ((init?.method || "GET") !== "GET" || !/^\/api\/v1\/holds\/[0-9a-f-]{36}$/.test(path)) {
    return response;
  }
  const hold = await response.json();
  for (const line of hold.quote.lines) line.price.amount = 1;
  hold.quote.subtotal.amount = 1;
  hold.quote.taxes.amount = 0;
  hold.quote.total.amount = 1;
  return new Response(JSON.stringify(hold), { status: response.status, headers: response.headers });
};
}"""


async def test_a_tampered_price_or_discount_changes_nothing_the_server_charges(
    api: Api,
    admin: tuple[str, str],
    open_traveller: OpenTraveller,
    make_flight: Callable[..., Awaitable[int]],
) -> None:
    flight_id, other_flight = await make_flight(), await make_flight()
    # A 100% code that exists, but only for another flight.
    made = await api.call(
        "POST",
        "/api/v1/admin/discounts",
        admin[1],
        json={"code": "STAFF100", "kind": "percent", "value": 10000, "flight_id": other_flight},
    )
    assert made.status_code == 201, made.text
    traveller = await open_traveller()
    traveller.allow_http_errors(422)  # the server refusing the tampered requests
    page = traveller.page
    email = await traveller.sign_up()

    # 1. The page's own JavaScript: its fetch is wrapped so that the hold it loads says
    # one cent, and everything the page shows and keeps is built from that.
    await page.evaluate(ONE_CENT)
    hold_id = await hold_in_page(traveller, flight_id, ["4A", "4B"])
    await expect(page.get_by_role("button", name="Pay €0.01")).to_be_visible()
    await name_passengers(page, ["4A", "4B"])
    real_quote = await in_page(traveller, f"/api/v1/holds/{hold_id}/quote")
    assert real_quote["total"]["amount"] > 1

    # 2. The request: a price added to the booking body is refused, not used.
    async def add_price(route: Route, request: Request) -> None:
        body = json.loads(request.post_data or "{}")
        body["total"] = {"amount": 1, "currency": "EUR"}
        await route.continue_(post_data=json.dumps(body))

    await page.route("**/api/v1/bookings", add_price)
    await page.get_by_role("button", name=re.compile("^Pay")).click()
    await expect(page.get_by_role("alert")).to_have_text("Total: Extra inputs are not permitted.")
    await page.unroute("**/api/v1/bookings", add_price)

    # 3. The request again: a discount code the page never applied, slipped into the body.
    async def add_code(route: Route, request: Request) -> None:
        body = json.loads(request.post_data or "{}")
        body["discount_code"] = "STAFF100"
        await route.continue_(post_data=json.dumps(body))

    await page.route("**/api/v1/bookings", add_code)
    await page.get_by_role("button", name=re.compile("^Pay")).click()
    await expect(page.get_by_role("alert")).to_contain_text("Discount code STAFF100 does not apply")
    await page.unroute("**/api/v1/bookings", add_code)

    _, token = email, await api.token(email)
    assert (await api.call("GET", "/api/v1/bookings", token)).json()["items"] == []

    # Untampered, it books, at the server's price, whatever the page believed.
    await page.get_by_role("button", name=re.compile("^Pay")).click()
    await expect(page.get_by_role("heading", name="Booking confirmed")).to_be_visible()
    [booking] = (await api.call("GET", "/api/v1/bookings", token)).json()["items"]
    assert booking["total"] == real_quote["total"]
    assert booking["discount_code"] is None
    await expect(page.get_by_test_id("paid")).not_to_have_text("€0.01")


async def test_a_request_the_firewall_blocks_is_explained_with_its_reference(
    stack: Stack, open_traveller: OpenTraveller, make_flight: Callable[..., Awaitable[int]]
) -> None:
    flight_id = await make_flight()
    traveller = await open_traveller()
    traveller.allow_http_errors(403)  # the WAF's answer, on purpose
    page = traveller.page
    await traveller.sign_up()
    await hold_in_page(traveller, flight_id, ["5D"])
    await page.get_by_role("checkbox", name="Request path").check()
    await page.get_by_role("textbox", name="Discount code").fill("' OR 1=1--")
    await page.get_by_role("button", name="Apply").click()
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("Our firewall refused this request")
    reference = re.search(r"\(reference ([0-9a-f]{32})\)", await alert.inner_text())
    assert reference is not None
    panel = page.get_by_role("complementary", name="Request path of the last API call")
    await expect(panel.locator("li[data-tier='firewall']")).to_contain_text("WAF blocked")
    await expect(panel.locator("li[data-tier='app']")).to_have_count(0)  # it never got there
    await eventually_in(stack, "firewall", reference.group(1))
    assert reference.group(1) not in stack.log("app")
