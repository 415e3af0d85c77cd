"""The firewall's false positives, and that the exclusions for them stay narrow: the
legitimate set (waf_legitimate.json: campaign links, partner links, the API as its clients
use it, with a browser's analytics and consent cookies) passes with zero refusals; the
attack set (waf_attacks.json, many in the very parameters the exclusions name) is refused."""

from __future__ import annotations

import uuid
from typing import Any

from lastseat.client import HttpClient
from tests.stack import waf_requests
from tests.support.stack import Stack


async def values_for(stack: Stack) -> dict[str, Any]:
    """A user, a flight and a hold of this stack, for the sets' placeholders."""
    email = f"fp-{uuid.uuid4().hex[:8]}@example.com"
    async with HttpClient(stack.url, transport=stack.transport()) as api:
        await api.signup(email, "a false positive password")
        token = await api.login(email, "a false positive password")
        [flight] = await api.flights(limit=1)
        hold = await api.hold(flight["id"], ["20C"])
    return {"flight_id": flight["id"], "hold_id": hold["id"], "token": token}


async def test_the_legitimate_set_passes_the_firewall_with_zero_refusals(stack: Stack) -> None:
    legitimate = waf_requests.load(waf_requests.LEGITIMATE)
    cases = legitimate["requests"]
    assert len(cases) >= 50
    values = await values_for(stack)
    refused = []
    answers = {}
    async with stack.client() as client:
        for case in cases:
            request = waf_requests.build(client, case, values, legitimate["jars"])
            response = await client.send(request)
            answers[case["name"]] = response
            if waf_requests.firewall_blocked(response) or response.status_code == 400:
                refused.append((case["name"], response.status_code, response.text[:200]))
    assert not refused, f"{len(refused)} of {len(cases)} refused: {refused}"
    # The code as printed reaches the app, which explains what a code may hold.
    printed = answers["quote with discount_code='10% OFF'"]
    assert printed.status_code == 422, printed.text
    assert printed.json()["type"] != waf_requests.FIREWALL_BLOCKED
    assert answers["quote with discount_code='SPRING-25'"].status_code == 200


async def test_the_attack_set_is_refused_despite_the_exclusions(stack: Stack) -> None:
    attacks = waf_requests.load(waf_requests.ATTACKS)["requests"]
    assert len(attacks) >= 50
    values = {"hold_id": str(uuid.uuid4()), "flight_id": 1, "token": "x"}
    passed = []
    async with stack.client() as client:
        for attack in attacks:
            response = await client.send(waf_requests.build(client, attack, values))
            if not waf_requests.firewall_blocked(response):
                passed.append((attack, response.status_code))
    assert not passed, f"not refused: {passed}"
