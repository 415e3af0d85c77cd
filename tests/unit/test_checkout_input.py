"""A payment token and a discount code are plain ASCII: the rule, and the payment adapter
refusing a bad token before it builds a request to the provider."""

from __future__ import annotations

import pytest

from lastseat.adapters.payments import HttpPayments
from lastseat.config import Settings
from lastseat.domain.checkout import check_discount_code, check_payment_token
from lastseat.domain.errors import InvalidRequest
from lastseat.domain.money import Money
from lastseat.stack.ports import free_port

HOSTILE = [
    "tok_ok\r\nX-Injected: 1",
    "tok_ok\n",  # a trailing newline: a regex "$" alone would let it through
    "tok\x00ok",
    "tok ok",
    "tök",
    "",
    "t" * 65,
]


@pytest.mark.parametrize("token", ["tok_ok", "tok_declined", "pm-1234_ABCD", "t" * 64])
def test_provider_tokens_are_accepted(token: str) -> None:
    assert check_payment_token(token) == token


@pytest.mark.parametrize("token", HOSTILE)
def test_anything_else_is_refused_as_a_payment_token(token: str) -> None:
    with pytest.raises(InvalidRequest):
        check_payment_token(token)


@pytest.mark.parametrize("code", ["SPRING10", "tenoff", " SPRING-25 ", "A_B"])
def test_discount_codes_as_typed_are_accepted(code: str) -> None:
    assert check_discount_code(code) == code


@pytest.mark.parametrize("code", ["CODE\r\nX: 1", "CODE\n", "CO\x00DE", "CODÉ", "", "C" * 65])
def test_control_characters_are_refused_in_a_discount_code(code: str) -> None:
    with pytest.raises(InvalidRequest):
        check_discount_code(code)


@pytest.mark.parametrize("token", HOSTILE[:3])
async def test_the_payment_adapter_refuses_before_building_a_request(token: str) -> None:
    # Nothing listens on the port: a request made would fail as PaymentUnavailable.
    settings = Settings(_env_file=None, payments_url=f"http://127.0.0.1:{free_port()}")
    payments = HttpPayments(settings)
    try:
        with pytest.raises(InvalidRequest):
            await payments.authorize(token, Money(1_000, "EUR"), f"hold-1-{token}-1000")
        with pytest.raises(InvalidRequest):
            await payments.capture("auth_1", f"capture-{token}")
    finally:
        await payments.close()
