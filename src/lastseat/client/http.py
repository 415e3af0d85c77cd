"""The HTTP JSON API, asynchronously (httpx)."""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from lastseat.client.closing import AsyncClosing
from lastseat.client.errors import ApiError, problem_name
from lastseat.client.resolve import resolving_transport
from lastseat.domain.requests import PAGE_SIZE


class HttpClient(AsyncClosing):
    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        dns_server: str | None = None,
        ca: str | None = None,
    ) -> None:
        """`dns_server` (host:port) resolves the URL's name through that server, such as
        lastseat's DNS tier; `ca` is a CA file to trust, such as the stack's local CA."""
        self.token = token
        verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca) if ca else True
        if transport is None and dns_server is not None:
            transport = resolving_transport(dns_server, verify=verify)
        self._http = httpx.AsyncClient(
            base_url=base_url, timeout=timeout, transport=transport, verify=verify
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        headers = {}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        response = await self._http.request(
            method, "/api/v1" + path, json=json, params=params, headers=headers
        )
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {}
            problem = problem_name(str(body.get("type", "http-error")))
            raise ApiError(response.status_code, problem, body.get("detail", response.text), body)
        return None if response.status_code == 204 else response.json()

    async def signup(self, email: str, password: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "POST", "/auth/signup", json={"email": email, "password": password}
        )
        return result

    async def login(self, email: str, password: str) -> str:
        body = await self._call("POST", "/auth/login", json={"email": email, "password": password})
        self.token = str(body["access_token"])
        return self.token

    async def flights(
        self,
        origin: str | None = None,
        destination: str | None = None,
        day: str | None = None,
        limit: int = PAGE_SIZE,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        params = {
            "origin": origin,
            "destination": destination,
            "date": day,
            "limit": limit,
            "offset": offset,
        }
        body = await self._call(
            "GET", "/flights", params={k: v for k, v in params.items() if v is not None}
        )
        return list(body["items"])

    async def flight(self, flight_id: int) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", f"/flights/{flight_id}")
        return result

    async def seat_map(self, flight_id: int) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", f"/flights/{flight_id}/seats")
        return result

    async def hold(
        self,
        flight_id: int,
        seats: list[str],
        idempotency_key: str | None = None,
        replaces: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"flight_id": flight_id, "seats": seats}
        if replaces is not None:
            body["replaces"] = replaces
        result: dict[str, Any] = await self._call(
            "POST",
            "/holds",
            json=body,
            idempotency_key=idempotency_key or str(uuid.uuid4()),
        )
        return result

    async def quote(self, hold_id: str, discount_code: str | None = None) -> dict[str, Any]:
        params = {"discount_code": discount_code} if discount_code else None
        result: dict[str, Any] = await self._call("GET", f"/holds/{hold_id}/quote", params=params)
        return result

    async def release(self, hold_id: str) -> None:
        await self._call("DELETE", f"/holds/{hold_id}")

    async def live_holds(
        self, flight_id: int | None = None, limit: int = PAGE_SIZE, offset: int = 0
    ) -> list[dict[str, Any]]:
        """The signed-in caller's own live holds, newest first (one flight's with flight_id)."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if flight_id is not None:
            params["flight_id"] = flight_id
        body = await self._call("GET", "/holds", params=params)
        return list(body["items"])

    async def book(
        self,
        hold_id: str,
        payment_token: str,
        discount_code: str | None = None,
        idempotency_key: str | None = None,
        *,
        passengers: Sequence[Mapping[str, str]],
    ) -> dict[str, Any]:
        """Book the hold: `passengers` has one {seat, given_name, family_name} per held
        seat, with date_of_birth (YYYY-MM-DD) and type (adult, child, infant) if known."""
        body: dict[str, Any] = {
            "hold_id": hold_id,
            "payment": {"token": payment_token},
            "passengers": [dict(p) for p in passengers],
        }
        if discount_code:
            body["discount_code"] = discount_code
        result: dict[str, Any] = await self._call(
            "POST", "/bookings", json=body, idempotency_key=idempotency_key or str(uuid.uuid4())
        )
        return result

    async def find_booking(self, reference: str, family_name: str) -> dict[str, Any]:
        """Manage booking: no sign-in needed."""
        result: dict[str, Any] = await self._call(
            "POST", "/bookings/lookup", json={"reference": reference, "family_name": family_name}
        )
        return result

    async def bookings(self) -> list[dict[str, Any]]:
        return list((await self._call("GET", "/bookings"))["items"])

    async def cancel(self, booking_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("POST", f"/bookings/{booking_id}/cancel")
        return result
