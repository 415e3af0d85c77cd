"""What a client may send at checkout as free text: a payment token and a discount code.

One rule each, used by the HTTP schema, the gRPC servicer and the payment adapter alike.
The token travels on to the payment provider inside a request and its idempotency key (an
HTTP header), and the code into a database query: a control character in either could split
a header or break a query (PostgreSQL text cannot hold NUL), so both are plain ASCII.
"""

from __future__ import annotations

import re

from lastseat.domain.errors import InvalidRequest

MAX_PAYMENT_TOKEN_LENGTH = 64
MAX_DISCOUNT_CODE_LENGTH = 64
# Providers' card tokens are opaque identifiers ("tok_...", "pm_..."): letters, digits, _, -.
PAYMENT_TOKEN_PATTERN = rf"^[A-Za-z0-9_-]{{1,{MAX_PAYMENT_TOKEN_LENGTH}}}$"
# A code as typed: any case, spaces around it (it is normalised before it is looked up).
DISCOUNT_CODE_PATTERN = rf"^[A-Za-z0-9 _-]{{1,{MAX_DISCOUNT_CODE_LENGTH}}}$"

_PAYMENT_TOKEN = re.compile(PAYMENT_TOKEN_PATTERN)
_DISCOUNT_CODE = re.compile(DISCOUNT_CODE_PATTERN)


def check_payment_token(token: str) -> str:
    rule = f"a payment token is 1 to {MAX_PAYMENT_TOKEN_LENGTH} letters, digits, _ or -"
    return _matching(_PAYMENT_TOKEN, token, rule)


def check_discount_code(code: str) -> str:
    rule = f"a discount code is 1 to {MAX_DISCOUNT_CODE_LENGTH} letters, digits, spaces, _ or -"
    return _matching(_DISCOUNT_CODE, code, rule)


def _matching(pattern: re.Pattern[str], text: str, rule: str) -> str:
    # fullmatch: with match, "$" would also accept text that ends in a newline.
    if pattern.fullmatch(text) is None:
        raise InvalidRequest(rule)
    return text
