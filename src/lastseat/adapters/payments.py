"""The payment provider, reached over HTTP as real providers are (see `payments_sandbox`).

The secret key goes only into the Authorization header of requests to the provider; it is
never logged, and provider errors are reported without echoing what the provider said.
"""

from __future__ import annotations

from typing import Any

import httpx
import structlog

from lastseat.config import Settings
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
        self._client = httpx.AsyncClient(
            base_url=settings.payments_url,
            timeout=settings.payments_timeout_seconds,
            headers={"Authorization": f"Bearer {settings.payments_secret_key.get_secret_value()}"},
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def _post(self, path: str, key: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = await self._client.post(path, json=body, headers={"Idempotency-Key": key})
        except httpx.TimeoutException:
            log.warning("payment_provider_timeout", path=path.split("/")[2])
            raise PaymentUnavailable("the payment provider did not answer in time") from None
        except httpx.TransportError as exc:
            log.warning("payment_provider_unreachable", error=type(exc).__name__)
            raise PaymentUnavailable("the payment provider cannot be reached") from None
        if response.status_code == 402:
            raise PaymentDeclined("the card was declined")
        if response.status_code == 401:
            log.error("payment_provider_refused_key")  # the configured key is wrong
            raise PaymentUnavailable("payments are unavailable; nothing was charged")
        if response.status_code == 400:
            raise InvalidRequest("the payment details were not accepted")
        if response.status_code >= 300:
            log.warning(
                "payment_provider_error",
                status=response.status_code,
                operation=path.rsplit("/", 1)[-1],
            )
            raise PaymentProviderError("the payment provider failed; nothing was charged")
        return response.json()

    async def authorize(self, token: str, amount: Money, key: str) -> str:
        body = {"amount": amount.amount, "currency": amount.currency, "token": token}
        reply = await self._post("/v1/authorizations", key, body)
        return str(reply["id"])

    async def capture(self, authorization: str, key: str) -> None:
        await self._post(f"/v1/authorizations/{authorization}/capture", key)

    async def void(self, authorization: str, key: str) -> None:
        await self._post(f"/v1/authorizations/{authorization}/void", key)

    async def refund(self, authorization: str, key: str) -> None:
        await self._post(f"/v1/authorizations/{authorization}/refund", key)
