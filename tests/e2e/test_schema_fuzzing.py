"""Schema fuzzing (schemathesis) of every documented operation: bad input never gets a 5xx."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.e2e.conftest import Stack, make_flight

# Fuzz as a signed-in customer so requests get past authentication into validation.
EXAMPLES = 20
CUSTOMER = {"email": "fuzz@example.com", "password": "fuzz-password-1"}


@pytest.fixture(scope="module")
def fuzz_target(stack: Stack) -> dict[str, Any]:
    httpx.post(stack.url() + "/api/v1/auth/signup", json=CUSTOMER)
    token = httpx.post(stack.url() + "/api/v1/auth/login", json=CUSTOMER).json()["access_token"]
    return {
        "base_url": stack.url(),
        "headers": {"Authorization": f"Bearer {token}"},
        "stack": stack,
    }


def _operations(base_url: str) -> list[Any]:
    loaded = schemathesis.openapi.from_url(base_url + "/api/openapi.json")
    return [result.ok() for result in loaded.get_all_operations()]


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

    return fuzz  # type: ignore[no-any-return]


async def test_the_fuzzed_stack_still_books(fuzz_target: dict[str, Any]) -> None:
    stack: Stack = fuzz_target["stack"]
    async with httpx.AsyncClient(timeout=30) as client:
        flight_id = await make_flight(client, stack, "LS900")
        hold = await client.post(
            stack.url() + "/api/v1/holds",
            json={"flight_id": flight_id, "seats": ["3A"]},
            headers=fuzz_target["headers"],
        )
        assert hold.status_code == 201
