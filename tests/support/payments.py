"""An in-process payment provider for service and in-process API tests.

It keeps the provider's contract (idempotent by key, outcomes by test card token) so the
services can be tested without a network; the end-to-end tests use the real sandbox
process over HTTP instead.
"""

from __future__ import annotations

import asyncio
import itertools

from lastseat.domain.bookings import PaymentStatus
from lastseat.domain.errors import PaymentDeclined, PaymentProviderError, PaymentUnavailable
from lastseat.domain.money import Money


class FakePayments:
    def __init__(self) -> None:
        self.authorized: dict[str, str] = {}  # idempotency key -> authorization id
        self.amounts: dict[str, Money] = {}
        self.state: dict[str, str] = {}
        self.calls: list[tuple[str, str]] = []
        self.capture_fails = False
        self.capture_reply_lost = False  # the capture happens, but its answer never arrives
        self.captures: dict[str, int] = {}  # authorization -> captures performed
        self.failing: set[str] = set()  # authorizations whose every money movement fails
        self.capture_delay = 0.0  # seconds a capture takes on the network
        self.authorize_delay = 0.0  # seconds an authorization takes
        self._ids = itertools.count(1)

    async def authorize(self, token: str, amount: Money, key: str) -> str:
        await asyncio.sleep(self.authorize_delay)
        self.calls.append(("authorize", key))
        if token == "tok_declined":
            raise PaymentDeclined("the card was declined")
        if token == "tok_error":
            raise PaymentProviderError("the payment provider failed; nothing was charged")
        if token == "tok_slow":
            raise PaymentUnavailable("the payment provider did not answer in time")
        if key not in self.authorized:
            authorization = f"auth_{next(self._ids)}"
            self.authorized[key] = authorization
            self.amounts[authorization] = amount
            self.state[authorization] = "authorized"
        return self.authorized[key]

    async def capture(self, authorization: str, key: str) -> None:
        await asyncio.sleep(self.capture_delay)
        self.calls.append(("capture", authorization))
        if self.capture_fails or authorization in self.failing:
            raise PaymentProviderError("capture failed")
        if self.state[authorization] not in ("authorized", "captured"):  # as the provider
            raise PaymentProviderError("only a live authorization can be captured")
        if self.state[authorization] != "captured":  # idempotent: a repeat captures nothing
            self.captures[authorization] = self.captures.get(authorization, 0) + 1
        self.state[authorization] = "captured"
        if self.capture_reply_lost:
            raise PaymentUnavailable("the payment provider did not answer in time")

    async def void(self, authorization: str, key: str) -> None:
        self.calls.append(("void", authorization))
        if authorization in self.failing:
            raise PaymentProviderError("void failed")
        if self.state[authorization] not in ("authorized", "voided"):
            raise PaymentProviderError("only an uncaptured authorization can be voided")
        self.state[authorization] = "voided"

    async def refund(self, authorization: str, key: str) -> None:
        self.calls.append(("refund", authorization))
        if authorization in self.failing:
            raise PaymentProviderError("refund failed")
        if self.state[authorization] not in ("captured", "refunded"):
            raise PaymentProviderError("only a capture can be refunded")
        self.state[authorization] = "refunded"

    async def status(self, authorization: str) -> PaymentStatus:
        self.calls.append(("status", authorization))
        if authorization not in self.state:
            raise PaymentProviderError("no such authorization")
        return PaymentStatus(self.state[authorization])

    async def close(self) -> None:
        return None

    def captured_total(self) -> int:
        return sum(
            self.amounts[auth].amount for auth, state in self.state.items() if state == "captured"
        )
