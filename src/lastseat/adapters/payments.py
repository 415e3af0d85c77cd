"""The payment provider, reached over HTTP as real providers are (see `payments_sandbox`).

The secret key goes only into the Authorization header of requests to the provider; it is
never logged, and provider errors are reported without echoing what the provider said.

aiohttp rather than httpx here: on the booking path, httpx spent ~930 us of CPU per
provider request against ~185 us for aiohttp (measured against the sandbox), and every
booking makes two.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import structlog

from lastseat.config import Settings
from lastseat.domain.bookings import PaymentStatus
from lastseat.domain.checkout import check_payment_token
from lastseat.domain.errors import (
    InvalidRequest,
    PaymentDeclined,
    PaymentProviderError,
    PaymentUnavailable,
)
from lastseat.domain.money import Money

log = structlog.get_logger("lastseat.payments")


class HttpPayments:
    def __init__(self, settings: Settings) -> None:
        self._base = settings.payments_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=settings.payments_timeout_seconds)
        self._auth = f"Bearer {settings.payments_secret_key.get_secret_value()}"
        self._session: aiohttp.ClientSession | None = None  # made inside the running loop

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout, headers={"Authorization": self._auth}
            )
        return self._session

    async def _post(self, path: str, key: str, body: dict[str, Any] | None = None) -> Any:
        if not (key.isascii() and key.isprintable()):
            # Refused before any request is built: it would split the Idempotency-Key header.
            raise InvalidRequest("the payment request was not accepted")
        return await self._send("POST", path, {"Idempotency-Key": key}, body)

    async def _send(
        self, method: str, path: str, headers: dict[str, str], body: dict[str, Any] | None = None
    ) -> Any:
        try:
            async with self._client().request(
                method, self._base + path, json=body, headers=headers
            ) as response:
                status = response.status
                reply = await response.json(content_type=None) if status < 300 else None
        except TimeoutError:
            log.warning("payment_provider_timeout", operation=path.rsplit("/", 1)[-1])
            raise PaymentUnavailable("the payment provider did not answer in time") from None
        except aiohttp.ClientError as exc:
            log.warning("payment_provider_unreachable", error=type(exc).__name__)
            raise PaymentUnavailable("the payment provider cannot be reached") from None
        except ValueError:  # a 2xx whose body is not JSON
            log.warning("payment_provider_unreadable", operation=path.rsplit("/", 1)[-1])
            raise PaymentProviderError("the payment provider's answer could not be read") from None
        if status == 402:
            raise PaymentDeclined("the card was declined")
        if status == 401:
            log.error("payment_provider_refused_key")  # the configured key is wrong
            raise PaymentUnavailable("payments are unavailable; nothing was charged")
        if status == 400:
            raise InvalidRequest("the payment details were not accepted")
        if status >= 300:
            log.warning("payment_provider_error", status=status, operation=path.rsplit("/", 1)[-1])
            raise PaymentProviderError("the payment provider failed; nothing was charged")
        return reply

    async def authorize(self, token: str, amount: Money, key: str) -> str:
        # Defence in depth: every entrypoint checks the token already; the key embeds it.
        check_payment_token(token)
        body = {"amount": amount.amount, "currency": amount.currency, "token": token}
        reply = await self._post("/v1/authorizations", key, body)
        return str(reply["id"])

    async def capture(self, authorization: str, key: str) -> None:
        await self._post(f"/v1/authorizations/{authorization}/capture", key)

    async def void(self, authorization: str, key: str) -> None:
        await self._post(f"/v1/authorizations/{authorization}/void", key)

    async def refund(self, authorization: str, key: str) -> None:
        await self._post(f"/v1/authorizations/{authorization}/refund", key)

    async def status(self, authorization: str) -> PaymentStatus:
        if not authorization.isascii() or not authorization.replace("_", "").isalnum():
            raise InvalidRequest("not an authorization id")
        reply = await self._send("GET", f"/v1/authorizations/{authorization}", {})
        try:
            return PaymentStatus(reply["status"])
        except (KeyError, TypeError, ValueError):
            log.warning("payment_provider_unreadable", operation="status")
            raise PaymentProviderError("the payment provider's answer could not be read") from None
