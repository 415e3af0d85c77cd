"""Which secrets count as development values: the default in any dress, or too short."""

from __future__ import annotations

import secrets

import pytest
from pydantic import SecretStr

from lastseat.config import Settings

DEV_PAYMENTS = "sk_test_lastseat_sandbox_dev_key"
STRONG = secrets.token_urlsafe(32)


def _settings(signing: str, payments: str) -> Settings:
    return Settings(
        _env_file=None,
        token_signing_key=SecretStr(signing),
        payments_secret_key=SecretStr(payments),
    )


@pytest.mark.parametrize(
    "payments",
    [DEV_PAYMENTS, DEV_PAYMENTS + "_", DEV_PAYMENTS.upper(), f" {DEV_PAYMENTS} ", "x", " ", ""],
)
def test_a_development_value_in_any_dress_or_a_short_one_is_not_a_secret(payments: str) -> None:
    assert _settings(STRONG, payments).development_secrets() == ["LASTSEAT_PAYMENTS_SECRET_KEY"]


def test_generated_secrets_pass() -> None:
    assert _settings(STRONG, secrets.token_urlsafe(32)).development_secrets() == []
    assert Settings(_env_file=None).development_secrets() == [
        "LASTSEAT_TOKEN_SIGNING_KEY",
        "LASTSEAT_PAYMENTS_SECRET_KEY",
    ]
