"""Every route of the OpenAPI document, as anonymous, customer A, customer B and admin.

The routes come from the app's own OpenAPI document, so a new route without an entry
here fails this test until someone decides who may call it.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from lastseat.bootstrap import Services
from lastseat.domain.users import Role
from lastseat.entrypoints.http.app import create_app
from tests.support.flights import FlightBody, flight_body
from tests.support.passengers import FAMILY_NAME, passengers_json

ACTORS = ("anon", "A", "B", "admin")
counter = itertools.count(1)


@dataclass
class World:
    api: httpx.AsyncClient
    tokens: dict[str, str]
    flight_id: int
    emails = {"A": "a@example.com", "B": "b@example.com", "admin": "root@example.com"}
    passwords = {"A": "a-password-1", "B": "b-password-1", "admin": "root-password-1"}

    def auth(self, actor: str) -> dict[str, str]:
        token = self.tokens.get(actor)
        return {} if token is None else {"Authorization": f"Bearer {token}"}

    async def login(self, email: str, password: str) -> str:
        response = await self.api.post(
            "/api/v1/auth/login", json={"email": email, "password": password}
        )
        self.api.cookies.clear()
        return str(response.json()["access_token"])

    async def hold_of_a(self) -> str:
        return (await self.held_by_a())[0]

    async def held_by_a(self) -> tuple[str, str]:
        """A hold of A's, and its seat."""
        seat = f"{3 + next(counter) % 27}{'ABCDEF'[next(counter) % 6]}"
        for _ in range(200):
            response = await self.api.post(
                "/api/v1/holds",
                json={"flight_id": self.flight_id, "seats": [seat]},
                headers=self.auth("A"),
            )
            if response.status_code == 201:
                return str(response.json()["id"]), seat
            seat = f"{3 + next(counter) % 27}{'ABCDEF'[next(counter) % 6]}"
        raise AssertionError("no free seat for A")

    async def flight_on_sale(self, opened: bool = True) -> int:
        """A new flight (made by the admin), on sale through a waiting room if `opened`."""
        made = await self.api.post(
            "/api/v1/admin/flights",
            json=flight_body(code=f"LW{next(counter)}"),
            headers=self.auth("admin"),
        )
        flight_id = int(made.json()["id"])
        if opened:
            sale = await self.api.post(
                f"/api/v1/admin/flights/{flight_id}/sale",
                json=_SALE_BODY,
                headers=self.auth("admin"),
            )
            assert sale.status_code == 201, sale.text
        return flight_id

    async def booking_of_a(self) -> str:
        return str((await self.booked_by_a())["id"])

    async def booked_by_a(self) -> dict[str, Any]:
        response = await self.api.post(
            "/api/v1/bookings", json=await _booking_body(self), headers=self.auth("A")
        )
        booked: dict[str, Any] = response.json()
        return booked


Request = Callable[[World, str], Awaitable[httpx.Response]]


def call(
    method: str,
    path: Callable[[World], Awaitable[str]] | str,
    body: Callable[[World], Awaitable[Any]] | None = None,
) -> Request:
    async def run(world: World, actor: str) -> httpx.Response:
        url = path if isinstance(path, str) else await path(world)
        payload = None if body is None else await body(world)
        return await world.api.request(method, url, json=payload, headers=world.auth(actor))

    return run


_SALE_BODY = {
    "opens_at": "2026-01-01T00:00:00Z",
    "admissions_per_minute": 60,
    "active_cap": 10,
}


async def _sale_body(world: World) -> dict[str, Any]:
    return _SALE_BODY


async def _new_sale_path(world: World) -> str:
    return f"/api/v1/admin/flights/{await world.flight_on_sale(opened=False)}/sale"


async def _open_sale_path(world: World) -> str:
    return f"/api/v1/admin/flights/{await world.flight_on_sale()}/sale"


async def _sale_path(world: World) -> str:
    return f"/api/v1/flights/{await world.flight_on_sale()}/sale"


async def _queue_path(world: World) -> str:
    return f"/api/v1/flights/{await world.flight_on_sale()}/queue"


async def _place(world: World, actor: str) -> httpx.Response:
    """One's place in a line, taken first (by the actor, if signed in)."""
    path = await _queue_path(world)
    await world.api.post(path, headers=world.auth(actor))
    return await world.api.get(path, headers=world.auth(actor))


async def _new_user(world: World) -> dict[str, str]:
    return {"email": f"new{next(counter)}@example.com", "password": "a-new-password"}


async def _a_credentials(world: World) -> dict[str, str]:
    return {"email": "a@example.com", "password": "a-password-1"}


async def _logout(world: World, actor: str) -> httpx.Response:
    # log out a fresh session of the actor, so the matrix keeps its own tokens
    headers = {}
    if actor != "anon":
        token = await world.login(world.emails[actor], world.passwords[actor])
        headers = {"Authorization": f"Bearer {token}"}
    return await world.api.post("/api/v1/auth/logout", headers=headers)


async def _change_password(world: World, actor: str) -> httpx.Response:
    # changing the password ends every session: sign in again with the new one afterwards
    current = world.passwords.get(actor, "whatever-password")
    new = f"{current}-next"
    response = await world.api.post(
        "/api/v1/me/password",
        json={"current_password": current, "new_password": new},
        headers=world.auth(actor),
    )
    if response.status_code == 204:
        world.passwords[actor] = new
        world.tokens[actor] = await world.login(world.emails[actor], new)
    return response


async def _hold_path(world: World) -> str:
    return f"/api/v1/holds/{await world.hold_of_a()}"


async def _booking_path(world: World) -> str:
    return f"/api/v1/bookings/{await world.booking_of_a()}"


async def _booking_body(world: World) -> dict[str, Any]:
    hold_id, seat = await world.held_by_a()
    return {
        "hold_id": hold_id,
        "payment": {"token": "tok_ok"},
        "passengers": passengers_json([seat]),
    }


async def _lookup_body(world: World) -> dict[str, Any]:
    """Anyone with a booking's reference and a passenger's family name (no sign-in)."""
    booked = await world.booked_by_a()
    return {"reference": booked["reference"], "family_name": FAMILY_NAME}


async def _hold_body(world: World) -> dict[str, Any]:
    return {"flight_id": world.flight_id, "seats": [f"{3 + next(counter) % 27}F"]}


async def _flight_body(world: World) -> FlightBody:
    return flight_body(code=f"LM{next(counter)}")


async def _discount_body(world: World) -> dict[str, Any]:
    return {"code": f"CODE{next(counter)}", "kind": "percent", "value": 500}


async def _flight_path(world: World) -> str:
    return f"/api/v1/flights/{world.flight_id}"


async def _seats_path(world: World) -> str:
    return f"/api/v1/flights/{world.flight_id}/seats"


async def _manifest_path(world: World) -> str:
    return f"/api/v1/admin/flights/{world.flight_id}/manifest"


async def _quote_path(world: World) -> str:
    return f"/api/v1/holds/{await world.hold_of_a()}/quote"


async def _cancel_path(world: World) -> str:
    return f"/api/v1/bookings/{await world.booking_of_a()}/cancel"


OWNER_ONLY: dict[str, int | None] = {
    "anon": 401,
    "A": None,
    "B": 404,
    "admin": 404,
}  # others' ids do not exist
ADMIN_ONLY: dict[str, int | None] = {"anon": 401, "A": 403, "B": 403, "admin": None}
SIGNED_IN: dict[str, int | None] = {"anon": 401, "A": None, "B": None, "admin": None}
PUBLIC: dict[str, int | None] = {"anon": None, "A": None, "B": None, "admin": None}

# (method, path template) -> (request, who gets what; None means the route's success status)
MATRIX: dict[tuple[str, str], tuple[Request, dict[str, int | None], int]] = {
    ("POST", "/api/v1/auth/signup"): (call("POST", "/api/v1/auth/signup", _new_user), PUBLIC, 201),
    ("POST", "/api/v1/auth/login"): (
        call("POST", "/api/v1/auth/login", _a_credentials),
        PUBLIC,
        200,
    ),
    ("POST", "/api/v1/auth/logout"): (_logout, PUBLIC, 204),
    ("GET", "/api/v1/me"): (call("GET", "/api/v1/me"), SIGNED_IN, 200),
    ("POST", "/api/v1/me/password"): (_change_password, SIGNED_IN, 204),
    ("GET", "/api/v1/flights"): (call("GET", "/api/v1/flights"), PUBLIC, 200),
    ("GET", "/api/v1/flights/{flight_id}"): (call("GET", _flight_path), PUBLIC, 200),
    ("GET", "/api/v1/flights/{flight_id}/seats"): (call("GET", _seats_path), PUBLIC, 200),
    ("POST", "/api/v1/holds"): (call("POST", "/api/v1/holds", _hold_body), SIGNED_IN, 201),
    ("GET", "/api/v1/holds"): (call("GET", "/api/v1/holds"), SIGNED_IN, 200),
    ("GET", "/api/v1/holds/{hold_id}"): (call("GET", _hold_path), OWNER_ONLY, 200),
    ("DELETE", "/api/v1/holds/{hold_id}"): (call("DELETE", _hold_path), OWNER_ONLY, 204),
    ("GET", "/api/v1/holds/{hold_id}/quote"): (call("GET", _quote_path), OWNER_ONLY, 200),
    ("POST", "/api/v1/bookings"): (
        call("POST", "/api/v1/bookings", _booking_body),
        OWNER_ONLY,
        201,
    ),
    ("GET", "/api/v1/bookings"): (call("GET", "/api/v1/bookings"), SIGNED_IN, 200),
    ("POST", "/api/v1/bookings/lookup"): (
        call("POST", "/api/v1/bookings/lookup", _lookup_body),
        PUBLIC,
        200,
    ),
    ("GET", "/api/v1/bookings/{booking_id}"): (call("GET", _booking_path), OWNER_ONLY, 200),
    ("POST", "/api/v1/bookings/{booking_id}/cancel"): (call("POST", _cancel_path), OWNER_ONLY, 200),
    ("POST", "/api/v1/admin/flights"): (
        call("POST", "/api/v1/admin/flights", _flight_body),
        ADMIN_ONLY,
        201,
    ),
    ("GET", "/api/v1/admin/flights/{flight_id}/manifest"): (
        call("GET", _manifest_path),
        ADMIN_ONLY,
        200,
    ),
    ("POST", "/api/v1/admin/discounts"): (
        call("POST", "/api/v1/admin/discounts", _discount_body),
        ADMIN_ONLY,
        201,
    ),
    ("POST", "/api/v1/admin/flights/{flight_id}/sale"): (
        call("POST", _new_sale_path, _sale_body),
        ADMIN_ONLY,
        201,
    ),
    ("DELETE", "/api/v1/admin/flights/{flight_id}/sale"): (
        call("DELETE", _open_sale_path),
        ADMIN_ONLY,
        204,
    ),
    ("GET", "/api/v1/flights/{flight_id}/sale"): (call("GET", _sale_path), PUBLIC, 200),
    ("POST", "/api/v1/flights/{flight_id}/queue"): (call("POST", _queue_path), SIGNED_IN, 201),
    ("GET", "/api/v1/flights/{flight_id}/queue"): (_place, SIGNED_IN, 200),
    ("GET", "/api/v1/config"): (call("GET", "/api/v1/config"), PUBLIC, 200),
    ("GET", "/healthz"): (call("GET", "/healthz"), PUBLIC, 200),
    ("GET", "/readyz"): (call("GET", "/readyz"), PUBLIC, 200),
}


# Customer A holds a seat for every route and actor tried: more than one customer may hold
# at once (those limits have tests of their own).
@pytest.mark.settings(
    hold_max_seats_per_flight=10_000,
    hold_max_seats_per_customer=10_000,
    customer_max_seats_per_flight=10_000,
    holds_per_customer=10_000,
)
async def test_every_route_answers_each_caller_as_the_matrix_says(services: Services) -> None:
    transport = httpx.ASGITransport(app=create_app(services.settings, services))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as api:
        await services.accounts.ensure_user("root@example.com", "root-password-1", Role.ADMIN)
        for email, password in (
            ("a@example.com", "a-password-1"),
            ("b@example.com", "b-password-1"),
        ):
            await services.accounts.signup(email, password)
        world = World(api, {}, 0)
        world.passwords = dict(World.passwords)
        world.tokens = {
            actor: await world.login(world.emails[actor], world.passwords[actor])
            for actor in ("A", "B", "admin")
        }
        created = await api.post(
            "/api/v1/admin/flights", json=flight_body(code="LM1"), headers=world.auth("admin")
        )
        world.flight_id = int(created.json()["id"])

        spec = (await api.get("/api/openapi.json")).json()
        routes = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
        missing = routes - MATRIX.keys()
        assert not missing, f"routes with no authorization entry: {sorted(missing)}"
        assert not MATRIX.keys() - routes, "matrix entries for routes that no longer exist"

        failures = []
        for route, (request, expected, success) in sorted(MATRIX.items()):
            for actor in ACTORS:
                want = expected[actor] or success
                api.cookies.clear()  # bearer tokens only: cookie sessions have their CSRF test
                response = await request(world, actor)
                if response.status_code != want:
                    failures.append(f"{route} as {actor}: {response.status_code}, wanted {want}")
        assert not failures, "\n".join(failures)
