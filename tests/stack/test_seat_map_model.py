"""The seat map's positive model at the firewall: exactly `GET|HEAD /api/v1/flights/{id}/seats`
as sent, with no query, body or Origin, is served without ModSecurity from a microcache (never
the cached copy to a signed-in traveller); anything else on that path is refused by nginx or
fully inspected, which the scanner User-Agent each off-model request carries proves (the CRS
refuses it, 913100)."""

from __future__ import annotations

import asyncio
import re
import time
import uuid

import pytest

from lastseat.client import HttpClient
from tests.stack import waf_requests
from tests.stack.test_firewall import pipelined_burst
from tests.support.stack import DOMAIN, Stack

SCANNER = "sqlmap/1.7.2#stable (https://sqlmap.org)"
STALENESS_BOUND_SECONDS = 5.0  # the cache keeps a map 1 s; generous for a loaded machine
_STATUS = re.compile(rb"^HTTP/1\.1 (\d{3}) ")


async def a_flight(stack: Stack) -> int:
    async with HttpClient(stack.url, transport=stack.transport()) as api:
        [flight] = await api.flights(limit=1)
    return int(flight["id"])


async def raw(stack: Stack, head: str, body: bytes = b"") -> tuple[int, bytes]:
    """One request written as is (no client library normalising its path or headers) over
    TLS on its own connection: the status and the whole answer."""
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", stack.settings.https_port, ssl=stack.ssl_context(), server_hostname=DOMAIN
    )
    try:
        writer.write(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=30)
    finally:
        writer.close()
    found = _STATUS.match(answer)
    assert found, answer[:200]
    return int(found.group(1)), answer


def off_model_requests(flight: int) -> list[tuple[str, str, bytes]]:
    """(what, request head without the final blank line, body): each with a scanner's
    User-Agent, which the CRS refuses wherever it inspects the request."""
    seats = f"/api/v1/flights/{flight}/seats"
    common = f"Host: {DOMAIN}\nUser-Agent: {SCANNER}\nConnection: close\n"

    def get(target: str, method: str = "GET", extra: str = "") -> str:
        return f"{method} {target} HTTP/1.1\n{common}{extra}"

    cases = [
        ("a query string", get(seats + "?flight=1"), b""),
        ("an empty query string", get(seats + "?"), b""),
        ("a ;param", get(seats + ";jsessionid=1"), b""),
        ("a trailing slash", get(seats + "/"), b""),
        ("a leading double slash", get("/" + seats), b""),
        ("a double slash inside", get(seats.replace("/flights", "//flights")), b""),
        ("an escaped letter", get(seats.replace("/seats", "/%73eats")), b""),
        ("an escaped dot segment", get(seats.replace("/seats", "/%2e/seats")), b""),
        ("a dot-dot segment", get(f"/api/v1/flights/{flight}/x/../seats"), b""),
        ("escaped dot-dots", get(f"/api/v1/flights/{flight}/%2e%2e/{flight}/seats"), b""),
        ("a climb out", get(seats + "/../../admin/flights"), b""),
        ("a leading zero", get(f"/api/v1/flights/0{flight}/seats"), b""),
        ("a NUL escape", get(seats + "%00"), b""),
        ("an escaped slash", get(seats + "%2f"), b""),
        ("a body with Content-Length", get(seats, extra="Content-Length: 7\n"), b'{"a":1}'),
        (
            "a chunked body",
            get(seats, extra="Transfer-Encoding: chunked\n"),
            b'7\r\n{"a":1}\r\n0\r\n\r\n',
        ),
        (
            "Content-Length and Transfer-Encoding",
            get(seats, extra="Content-Length: 4\nTransfer-Encoding: chunked\n"),
            b"0\r\n\r\n",
        ),
        ("an Origin", get(seats, extra="Origin: https://evil.example\n"), b""),
        ("an overlong header", get(seats, extra=f"X-Pad: {'a' * 20_000}\n"), b""),
    ]
    for method in ("POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND"):
        cases.append(
            (f"method {method}", get(seats, method=method, extra="Content-Length: 0\n"), b"")
        )
    return cases


def refused_or_inspected(status: int, answer: bytes) -> bool:
    """A firewall refusal: the CRS's (403, it inspected the request) or nginx's own 4xx
    (problem+json: a malformed request never reaches a location)."""
    problem = b"application/problem+json" in answer.split(b"\r\n\r\n", 1)[0].lower()
    return 400 <= status < 500 and problem and (status != 403 or b"firewall-blocked" in answer)


async def test_every_request_off_the_model_is_refused_or_fully_inspected(stack: Stack) -> None:
    flight = await a_flight(stack)
    slipped = []
    for what, head, body in off_model_requests(flight):
        status, answer = await raw(stack, head, body)
        if not refused_or_inspected(status, answer):
            slipped.append((what, status, answer[:300]))
    assert not slipped, f"off the model and neither refused nor inspected: {slipped}"


async def test_off_the_model_without_an_attack_still_gets_the_map_through_the_waf(
    stack: Stack,
) -> None:
    """A campaign link to the seat map (a query the model does not allow) is inspected, not
    refused: the traveller gets the map as before."""
    flight = await a_flight(stack)
    async with stack.client() as client:
        response = await client.get(
            f"/api/v1/flights/{flight}/seats", params={"utm_source": "newsletter"}
        )
    assert response.status_code == 200, response.text
    assert response.json()["flight_id"] == flight
    assert 'firewall;desc="WAF passed"' in response.headers.get_list("server-timing")


async def test_on_the_model_the_map_comes_from_the_microcache_with_its_own_request_id(
    stack: Stack,
) -> None:
    flight = await a_flight(stack)
    path = f"/api/v1/flights/{flight}/seats"
    statuses = []
    async with stack.client() as client:
        for index in range(20):  # until one is a hit: the cache keeps a map for 1 s
            request_id = f"seat-map-{uuid.uuid4().hex[:8]}-{index}"
            response = await client.get(path, headers={"X-Request-ID": request_id})
            assert response.status_code == 200, response.text
            assert response.headers["x-request-id"] == request_id
            assert response.headers["cache-control"] == "no-cache"  # the client revalidates
            timing = response.headers.get_list("server-timing")
            status = [t for t in timing if t.startswith('firewall;desc="seat-map model')]
            assert status, timing
            statuses.append(status[0])
            if "HIT" in status[0]:
                etag = response.headers["etag"]
                unchanged = await client.get(path, headers={"If-None-Match": etag})
                assert unchanged.status_code in (200, 304)
                break
    assert any("HIT" in status for status in statuses), statuses


async def test_a_signed_in_traveller_never_gets_the_cached_map(stack: Stack) -> None:
    """The seats a traveller just held show at once in the map they read next, signed in by
    token or by session cookie; an anonymous reader sees them within the cache's second."""
    email = f"map-{uuid.uuid4().hex[:8]}@example.com"
    async with HttpClient(stack.url, transport=stack.transport()) as api:
        await api.signup(email, "a seat map password")
        token = await api.login(email, "a seat map password")
        [flight] = await api.flights(limit=1)
    path = f"/api/v1/flights/{flight['id']}/seats"
    async with stack.client() as client:
        assert (await client.get(path)).status_code == 200  # (the anonymous map, cached)
        seat = next(
            s["seat"]
            for s in (await client.get(path)).json()["seats"]
            if s["status"] == "available"
        )
        bearer = {"Authorization": f"Bearer {token}"}
        hold = await client.post(
            "/api/v1/holds", json={"flight_id": flight["id"], "seats": [seat]}, headers=bearer
        )
        assert hold.status_code == 201, hold.text
        signed_in = await client.get(path, headers=bearer)
        assert "cache BYPASS" in " ".join(signed_in.headers.get_list("server-timing"))
        assert _status(signed_in.json(), seat) == "held"
        by_cookie = await client.get(path, headers={"Cookie": "lastseat_session=any-session"})
        assert "cache BYPASS" in " ".join(by_cookie.headers.get_list("server-timing"))
        assert _status(by_cookie.json(), seat) == "held"
        deadline = time.monotonic() + STALENESS_BOUND_SECONDS
        while _status((await client.get(path)).json(), seat) != "held":
            assert time.monotonic() < deadline, "the anonymous map never showed the hold"
            await asyncio.sleep(0.1)


def _status(seat_map: dict[str, list[dict[str, str]]], seat: str) -> str:
    return next(s["status"] for s in seat_map["seats"] if s["seat"] == seat)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_on_the_model_client_headers_are_judged_by_no_rule(stack: Stack, method: str) -> None:
    """The trade-off (docs/firewall.md): on the model, what a client adds (an attack in a
    cookie, the Referer, the User-Agent) is judged by no rule, and the map is served; the
    firewall sends none of it on (`proxy_pass_request_headers off`: the request line, Host
    and the request id only)."""
    flight = await a_flight(stack)
    marker = f"model-{uuid.uuid4().hex[:8]}"
    async with stack.client() as client:
        response = await client.request(
            method,
            f"/api/v1/flights/{flight}/seats",
            headers={
                "X-Request-ID": marker,
                "User-Agent": SCANNER,
                "Referer": "<script>alert(1)</script>",
                "Cookie": "theme=' OR 1=1--",
            },
        )
    assert response.status_code == 200, response.text
    assert not waf_requests.firewall_blocked(response)


async def test_the_rate_limit_holds_on_the_model(stack: Stack) -> None:
    """A burst of seat-map reads from one address gets 429s, and a refusal's problem page
    is never replaced by the map (an internal redirect is off the model): an overlong
    header gets its 431 problem+json."""
    flight = await a_flight(stack)
    statuses = await pipelined_burst(
        stack, "127.0.0.4", count=800, connections=8, path=f"/api/v1/flights/{flight}/seats"
    )
    assert len(statuses) == 800
    assert statuses.count(429) > 0, "no 429 in a burst of 800"
    assert set(statuses) <= {200, 429}
    status, answer = await raw(
        stack,
        f"GET /api/v1/flights/{flight}/seats HTTP/1.1\nHost: {DOMAIN}\nConnection: close\n"
        f"X-Pad: {'a' * 20_000}\n",
    )
    assert status == 431
    assert b"application/problem+json" in answer


async def test_an_http2_body_without_a_length_neither_hangs_nor_locks_the_map(
    stack: Stack,
) -> None:
    """An HTTP/2 GET whose body comes without a length announces nothing the model can see,
    so it is on the model: the firewall must send the proxy no body framing (it used to say
    "chunked", and the proxy waited for a body for a minute per app server while the cache
    lock kept every anonymous reader on an old map)."""
    flight = await a_flight(stack)
    path = f"/api/v1/flights/{flight}/seats"
    curl = [
        "curl", "--silent", "--http2", "--cacert", str(stack.ca),
        "--resolve", f"{DOMAIN}:{stack.settings.https_port}:127.0.0.1",
        "--max-time", "20", "--output", "/dev/null", "--write-out", "%{http_version} %{http_code}",
    ]  # fmt: skip
    bodied = await asyncio.create_subprocess_exec(
        *curl, "-X", "GET", "-H", "Content-Length:", "--data-binary", "x", stack.url + path,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    answer, _ = await bodied.communicate()
    assert bodied.returncode == 0, f"curl exited {bodied.returncode} (28: no answer in 20 s)"
    version, status = answer.decode().split()
    assert version == "2"
    assert status in {"200", "400"}, status
    waited = [line for line in stack.log("proxy").splitlines() if path in line and " 408 " in line]
    assert not waited, waited  # the proxy waited for a body that never came
    async with stack.client() as client:
        read = await client.get(path)
    assert read.status_code == 200, read.text
