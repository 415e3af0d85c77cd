"""The payment sandbox, decided by test card token as providers' test modes are.

`tok_ok` succeeds, `tok_declined` is declined, `tok_error` fails with a provider error.
Charges are idempotent by key, like a real provider's API.
"""

from __future__ import annotations

import hashlib

from lastseat.domain.errors import InvalidRequest, PaymentDeclined, PaymentProviderError
from lastseat.domain.money import Money

TOKEN_OK, TOKEN_DECLINED, TOKEN_ERROR = "tok_ok", "tok_declined", "tok_error"
TEST_TOKENS = (TOKEN_OK, TOKEN_DECLINED, TOKEN_ERROR)


class SandboxPayments:
    def __init__(self) -> None:
        self.charges: dict[str, tuple[str, Money]] = {}

    async def charge(self, token: str, amount: Money, idempotency_key: str) -> str:
        if token not in TEST_TOKENS:
            raise InvalidRequest(f"unknown test card token; use one of {', '.join(TEST_TOKENS)}")
        if token == TOKEN_DECLINED:
            raise PaymentDeclined("the card was declined")
        if token == TOKEN_ERROR:
            raise PaymentProviderError("the payment provider failed; nothing was charged")
        if amount.amount <= 0:
            raise InvalidRequest("nothing to charge")
        charge_id = "ch_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        self.charges.setdefault(idempotency_key, (charge_id, amount))
        return self.charges[idempotency_key][0]
