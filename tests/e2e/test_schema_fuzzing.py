"""Schema fuzzing (schemathesis) of every documented operation: bad input never gets a 5xx."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from lastseat.domain.checkout import PAYMENT_TOKEN_PATTERN
from tests.support.over_http import make_flight
from tests.support.passengers import passengers_json
from tests.support.servers import AppServers

# Fuzz as a signed-in customer so requests get past authentication into validation.
EXAMPLES = 20
JSON = "application/json"
CUSTOMER = {"email": "fuzz@example.com", "password": "fuzz-password-1"}


@pytest.fixture(scope="module")
def fuzz_target(app_servers: AppServers) -> dict[str, Any]:
    httpx.post(app_servers.url() + "/api/v1/auth/signup", json=CUSTOMER)
    token = httpx.post(app_servers.url() + "/api/v1/auth/login", json=CUSTOMER).json()[
        "access_token"
    ]
    return {
        "base_url": app_servers.url(),
        "headers": {"Authorization": f"Bearer {token}"},
        "app_servers": app_servers,
    }


def _operations(base_url: str) -> list[schemathesis.APIOperation[Any, Any, Any, Any]]:
    loaded = schemathesis.openapi.from_url(base_url + "/api/openapi.json")
    operations = []
    for result in loaded.get_all_operations():
        assert isinstance(result, Ok), result.err()  # the schema describes every operation
        operations.append(result.ok())
    return operations


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_input_makes_a_server_error(fuzz_target: dict[str, Any], mode: GenerationMode) -> None:
    base_url = fuzz_target["base_url"]
    operations = _operations(base_url)
    assert len(operations) >= 14  # every route of the contract is documented and fuzzed
    fuzzed = 0
    for operation in operations:
        headers = dict(fuzz_target["headers"])
        if operation.path == "/api/v1/auth/logout":
            headers = {}  # logging the fuzzing user out would leave the rest unauthenticated
        try:
            _fuzzer(operation, mode, base_url, headers)()
            fuzzed += 1
        except Unsatisfiable:
            # an operation without parameters or body has no invalid input to generate
            assert mode is GenerationMode.NEGATIVE, operation.label
    assert fuzzed >= (len(operations) if mode is GenerationMode.POSITIVE else 10)


def _fuzzer(
    operation: Any, mode: GenerationMode, base_url: str, headers: dict[str, str]
) -> Callable[[], None]:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def fuzz(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        assert response.status_code < 500, (
            case.method,
            case.formatted_path,
            response.status_code,
            response.text,
        )
        if response.status_code >= 400:
            assert response.headers["content-type"] == ["application/problem+json"]

    return fuzz


async def test_the_fuzzed_stack_still_books(fuzz_target: dict[str, Any]) -> None:
    app_servers: AppServers = fuzz_target["app_servers"]
    async with httpx.AsyncClient(timeout=30) as client:
        flight_id = await make_flight(client, app_servers, "LS900")
        hold = await client.post(
            app_servers.url() + "/api/v1/holds",
            json={"flight_id": flight_id, "seats": ["3A"]},
            headers=fuzz_target["headers"],
        )
        assert hold.status_code == 201


# Checkout with a live hold: a body with a random hold id stops at "hold not found" and never
# reaches the payment provider, so here every body names a live hold of the fuzzing user.
BOOKING_EXAMPLES = 60
# Outcomes the sandbox is told to produce: a provider failure (502) or a timeout (503).
PROVIDER_FAILURES = {"tok_error", "tok_slow"}
TOKENS = st.one_of(
    st.sampled_from(["tok_ok", "tok_declined"]),
    st.sampled_from(["tok_ok\r\nX-Injected: 1", "tok_ok\n", "tok\x00ok", "tok ok", "tök"]),
    st.from_regex(PAYMENT_TOKEN_PATTERN, fullmatch=True),
    st.text(max_size=80),
)
CODES = st.one_of(
    st.sampled_from(["NOPE", " tenoff ", "SPRING10\r\nX-Injected: 1", "NO\x00PE", ""]),
    st.text(max_size=80),
)


class LiveHold:
    """One live hold of the fuzzing user at a time, a new seat once one is booked."""

    def __init__(self, base_url: str, headers: dict[str, str], flight_id: int) -> None:
        self._base_url = base_url
        self._headers = headers
        self._flight_id = flight_id
        self._seats = iter(f"{row}{letter}" for row in range(3, 31) for letter in "ABCDEF")
        self.seat = ""
        self.id = self._new()

    def _new(self) -> str:
        self.seat = next(self._seats)
        response = httpx.post(
            self._base_url + "/api/v1/holds",
            json={"flight_id": self._flight_id, "seats": [self.seat]},
            headers=self._headers,
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def after(self, status: int) -> None:
        if status < 300 or status == 409:  # booked (or gone): the next example needs another
            self.id = self._new()


async def test_checkout_with_a_live_hold_makes_no_server_error(
    fuzz_target: dict[str, Any],
) -> None:
    base_url, headers = fuzz_target["base_url"], fuzz_target["headers"]
    async with httpx.AsyncClient(timeout=30) as client:
        flight_id = await make_flight(client, fuzz_target["app_servers"], "LS901")
    [operation] = [
        op for op in _operations(base_url) if (op.method, op.path) == ("post", "/api/v1/bookings")
    ]
    hold = LiveHold(base_url, headers, flight_id)
    statuses: Counter[int] = Counter()
    cases = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    def checkout(payment: dict[str, Any]) -> Any:
        return operation.Case(body={"hold_id": "", "payment": payment}, media_type=JSON)

    # `named`: the live hold's seat gets a passenger (a generated list names no held seat)
    @given(case=cases, token=st.none() | TOKENS, code=st.none() | CODES, named=st.booleans())
    @example(case=checkout({"token": "tok_ok"}), token=None, code=None, named=True)
    @example(case=checkout({"token": "tok_declined"}), token=None, code=None, named=True)
    @example(
        case=checkout({"token": "tok_ok"}), token="tok_ok\r\nX-Injected: 1", code=None, named=True
    )
    @settings(
        max_examples=BOOKING_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any, token: str | None, code: str | None, named: bool) -> None:
        if isinstance(case.body, dict):
            case.body["hold_id"] = hold.id
            if named:
                case.body["passengers"] = passengers_json([hold.seat])
            if token is not None:
                case.body["payment"] = {"token": token}
            if code is not None:
                case.body["discount_code"] = code
            payment = case.body.get("payment")
            token_sent = payment.get("token") if isinstance(payment, dict) else None
            assume(not (isinstance(token_sent, str) and token_sent in PROVIDER_FAILURES))
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        statuses[response.status_code] += 1
        hold.after(response.status_code)
        assert response.status_code < 500, (case.body, response.status_code, response.text)
        if response.status_code >= 400:
            assert response.headers["content-type"] == ["application/problem+json"]

    await asyncio.to_thread(fuzz)
    # The live hold got bodies through to the provider: paid for, declined, and refused.
    assert {201, 402, 422} <= set(statuses), statuses
