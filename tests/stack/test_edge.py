"""The edge (issue 15): no header switches the firewall off, gRPC is inspected, and every
answer the firewall and proxy tiers give themselves is problem+json with the request id and
the security headers, no banner; the redirect keeps to the site's name; TLS 1.2 offers only
Mozilla's intermediate suites; a foreign origin's preflight gets no CORS header; gRPC
reflection is for operators, not through the firewall."""

from __future__ import annotations

import json
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import uuid
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import grpc
import httpx
import pytest
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from lastseat.browser_policy import BASE_HEADERS, HSTS
from lastseat.client.resolve import ResolvingBackend
from lastseat.config import PROJECT_ROOT
from lastseat.stack import nginx
from lastseat.stack.ports import free_port, port_open
from lastseat.stack.processes import wait_ready
from lastseat.v1 import booking_pb2 as pb
from lastseat.v1 import booking_pb2_grpc
from tests.stack.test_firewall import pipelined_answers
from tests.support.stack import DOMAIN, Stack, eventually_in

F = "/api/v1/flights"
LOGIN = "/api/v1/auth/login"

# What used to pass with a gRPC content type: each is blocked without one.
QUERY_PAYLOADS: dict[str, tuple[str, dict[str, str]]] = {
    "sqli": (F + "?origin=' OR 1=1--", {}),
    "xss": (F + "?q=<script>alert(1)</script>", {}),
    "traversal": (F + "?file=../../../../etc/passwd", {}),
    "scanner": (F, {"User-Agent": "sqlmap/1.7.2#stable (https://sqlmap.org)"}),
}
BODY_PAYLOADS = {
    "sqli": {"email": "' OR '1'='1' --", "password": "x"},
    "xss": {"email": "<script>alert(1)</script>@x.io", "password": "x"},
}
# Content types a client picked to make the firewall look away.
GRPC_TRICKS: dict[str, list[tuple[str, str]]] = {
    "grpc": [("Content-Type", "application/grpc")],
    "grpc+json": [("Content-Type", "application/grpc+json")],
    "grpc-web+json": [("Content-Type", "application/grpc-web+json")],
    "json then grpc": [("Content-Type", "application/json"), ("Content-Type", "application/grpc")],
}

# Mozilla's intermediate profile, the only TLS 1.2 suites the firewall may accept.
INTERMEDIATE = {
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    "DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES256-GCM-SHA384", "DHE-RSA-CHACHA20-POLY1305",
}  # fmt: skip


def blocked(response: httpx.Response, request_id: str) -> bool:
    if response.status_code != 403:
        return False
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:lastseat:problem:firewall-blocked"
    assert response.headers["x-request-id"] == request_id
    return True


async def test_a_grpc_content_type_switches_nothing_off_on_the_rest_routes(stack: Stack) -> None:
    run = uuid.uuid4().hex[:8]
    passed: list[tuple[str, str, int]] = []
    async with stack.client() as client:
        for trick, content_types in GRPC_TRICKS.items():
            for name, (path, headers) in QUERY_PAYLOADS.items():
                request_id = f"edge-{run}-{name}-{len(passed)}-{uuid.uuid4().hex[:6]}"
                sent = [*headers.items(), *content_types, ("X-Request-ID", request_id)]
                response = await client.get(path, headers=sent)
                if not blocked(response, request_id):
                    passed.append((trick, name, response.status_code))
            for name, body in BODY_PAYLOADS.items():
                request_id = f"edge-{run}-body-{name}-{uuid.uuid4().hex[:6]}"
                sent = [*content_types, ("X-Request-ID", request_id)]
                response = await client.post(LOGIN, content=json.dumps(body), headers=sent)
                if not blocked(response, request_id):
                    passed.append((trick, f"body {name}", response.status_code))
            # A clean JSON body under a gRPC type is refused too: never parsed uninspected.
            request_id = f"edge-{run}-clean-{uuid.uuid4().hex[:6]}"
            clean = json.dumps({"email": "edge@example.com", "password": "a password"})
            sent = [*content_types, ("X-Request-ID", request_id)]
            response = await client.post(LOGIN, content=clean, headers=sent)
            if not blocked(response, request_id):
                passed.append((trick, "clean body", response.status_code))
        # On a gRPC method's path, only the exact gRPC type is let through the exception.
        request_id = f"edge-{run}-grpc-path"
        response = await client.post(
            "/lastseat.v1.Booking/ListFlights",
            content=b"{}",
            headers={"Content-Type": "application/grpc+json", "X-Request-ID": request_id},
        )
        if not blocked(response, request_id):
            passed.append(("grpc+json", "gRPC path", response.status_code))
        marker = f"edge-after-{run}"
        assert (await client.get(F, headers={"X-Request-ID": marker})).status_code == 200
    assert not passed, f"not blocked: {passed}"
    await eventually_in(stack, "app", marker)
    assert f"edge-{run}" not in stack.log("app")


async def grpc_channel(stack: Stack, user_agent: str | None = None) -> grpc.aio.Channel:
    address = await ResolvingBackend("127.0.0.1", stack.settings.dns_port).address_of(DOMAIN)
    options: list[tuple[str, str]] = [("grpc.ssl_target_name_override", DOMAIN)]
    if user_agent is not None:
        options.append(("grpc.primary_user_agent", user_agent))
    credentials = grpc.ssl_channel_credentials(stack.ca.read_bytes())
    return grpc.aio.secure_channel(f"{address}:{stack.settings.https_port}", credentials, options)


async def list_flights(
    stack: Stack,
    metadata: Sequence[tuple[str, str]] = (),
    user_agent: str | None = None,
    request: pb.ListFlightsRequest | None = None,
) -> grpc.StatusCode:
    async with await grpc_channel(stack, user_agent) as channel:
        stub = booking_pb2_grpc.BookingStub(channel)  # type: ignore[no-untyped-call]
        try:
            reply = await stub.ListFlights(request or pb.ListFlightsRequest(), metadata=metadata)
        except grpc.aio.AioRpcError as exc:
            return exc.code()
        assert len(reply.flights) > 0
        return grpc.StatusCode.OK


async def test_grpc_metadata_is_inspected_and_a_clean_call_works(stack: Stack) -> None:
    assert await list_flights(stack) == grpc.StatusCode.OK
    refused = grpc.StatusCode.PERMISSION_DENIED  # (HTTP 403 from the firewall)
    assert await list_flights(stack, user_agent="sqlmap/1.7.2#stable") == refused
    assert await list_flights(stack, [("cookie", "theme=' OR 1=1--")]) == refused
    assert await list_flights(stack, [("referer", "<script>alert(1)</script>")]) == refused
    # The protobuf body is judged by no rule (binary): the app validates it, and says why.
    odd = pb.ListFlightsRequest(origin="' OR 1=1--")
    assert await list_flights(stack, request=odd) == grpc.StatusCode.INVALID_ARGUMENT
    assert await list_flights(stack) == grpc.StatusCode.OK


def assert_own_answer(response: httpx.Response, status: int, tls: bool = True) -> None:
    """An answer the firewall or proxy tier gave itself: problem+json with the request id
    (header and body), the security headers, no banner."""
    assert response.status_code == status, (status, response.status_code, response.text)
    headers = response.headers
    assert "server" not in headers, headers
    assert headers["content-type"] == "application/problem+json", headers
    request_id = headers["x-request-id"]
    for name, value in BASE_HEADERS:
        assert headers[name] == value, (name, headers)
    assert headers.get("strict-transport-security") == (HSTS if tls else None)
    if response.request.method == "HEAD":
        assert response.content == b""
        return
    assert b"<html" not in response.content.lower()
    body = response.json()
    assert body["request_id"] == request_id and body["type"].startswith("urn:lastseat:problem:")
    assert body["status"] == status


async def test_every_answer_of_the_firewall_and_proxy_is_problem_json(stack: Stack) -> None:
    rid = f"own-{uuid.uuid4().hex[:8]}"
    async with stack.client() as client:
        not_found = await client.get("/no-such-page", headers={"X-Request-ID": rid})
        assert_own_answer(not_found, 404)
        assert not_found.json()["request_id"] == rid
        assert_own_answer(await client.head("/no-such-page"), 404)
        assert_own_answer(await client.delete("/index.html"), 405)
        assert_own_answer(await client.get(F + "?origin=' OR 1=1--"), 403)
        assert_own_answer(await client.get("/" + "a" * 9000), 414)
        big = await client.post(LOGIN, content=b"{" + b" " * 200_000 + b"}",
                                headers={"Content-Type": "application/json"})  # fmt: skip
        assert_own_answer(big, 413)
        nested = "[" * 100 + "]" * 100  # deeper than the firewall parses JSON
        refused = await client.post(
            LOGIN, content=nested, headers={"Content-Type": "application/json"}
        )
        assert_own_answer(refused, 400)
        too_large = await client.get(F, headers={"X-Big": "b" * 20_000})
        assert_own_answer(too_large, 431)
        assert_own_answer(await client.get("/dns-query?dns=not-base64!"), 400)
    async with stack.client(local_address="127.0.0.66") as denied:
        assert_own_answer(await denied.get(F), 403)
        assert_own_answer(await denied.head(F), 403)
    base = f"127.0.0.1:{stack.settings.https_port}"
    async with httpx.AsyncClient(base_url=f"http://{base}") as plain:
        assert_own_answer(await plain.get("/"), 400)  # plain HTTP to the HTTPS port
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.settings.http_port}") as http:
        moved = await http.get("/api/v1/flights?x=1", headers={"Host": DOMAIN})
        assert_own_answer(moved, 301, tls=False)
        assert_own_answer(await http.head("/"), 301, tls=False)
        assert_own_answer(await http.get("/" + "a" * 9000), 414, tls=False)


async def test_the_proxy_tier_answers_problem_json_itself(stack: Stack) -> None:
    proxy = f"http://127.0.0.1:{stack.settings.proxy_port}"
    async with httpx.AsyncClient(base_url=proxy) as client:
        response = await client.get("/missing.css", headers={"X-Request-ID": "proxy-own-1"})
        assert_own_answer(response, 404)
        assert response.headers["x-request-id"] == "proxy-own-1"
        assert_own_answer(await client.post("/index.html", content=b"x"), 405)
        assert "server" not in (await client.get(F)).headers


def test_the_proxy_tier_with_no_app_server_up_answers_502_problem_json(stack: Stack) -> None:
    """The proxy tier's config, as `up` writes it, run on its own with its one app server
    gone: nginx's 502 is problem+json too."""
    folder = Path(tempfile.mkdtemp(prefix="test-proxy-", dir=PROJECT_ROOT / "var"))
    folder.chmod(0o755)  # (nginx workers run as nobody when the tests run as root)
    settings = stack.settings.model_copy(
        update={"stack_dir": folder, "proxy_port": free_port(), "proxy_grpc_port": free_port()}
    )
    conf = nginx.write_proxy(settings, app_ports=[free_port()])  # nothing listens there
    proxy = subprocess.Popen(nginx.nginx_command(conf), stderr=subprocess.DEVNULL)
    try:
        listening = partial(port_open, settings.proxy_port)
        wait_ready("the proxy tier", proxy, listening, conf.parent / "error.log", 10)
        with httpx.Client(base_url=f"http://127.0.0.1:{settings.proxy_port}") as client:
            gone = client.get(F, headers={"X-Request-ID": "proxy-502"})
            assert_own_answer(gone, 502)
            assert gone.json()["request_id"] == "proxy-502"
            # a POST with an Idempotency-Key takes another route (the retrying location)
            keyed = client.post("/api/v1/holds", json={}, headers={"Idempotency-Key": "k-502"})
            assert_own_answer(keyed, 502)
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


async def test_a_burst_gets_429_problem_json_with_hsts(stack: Stack) -> None:
    # pipelined: a burst on any machine (one request after another was none on a loaded one)
    answers = await pipelined_answers(stack, "127.0.0.7", count=480, connections=8, path="/")
    assert len(answers) == 480
    limited = [r for r in answers if r.status_code == 429]
    assert limited, "no 429 in a burst of 480"
    assert_own_answer(limited[0], 429)
    assert limited[0].headers["retry-after"] == "1"
    assert all("server" not in r.headers for r in answers)


async def test_the_redirect_ignores_a_foreign_host(stack: Stack) -> None:
    url = f"http://127.0.0.1:{stack.settings.http_port}/api/v1/flights?origin=MAD"
    async with httpx.AsyncClient() as client:
        for host in ("evil.example", "evil.example:1234", DOMAIN):
            response = await client.get(url, headers={"Host": host})
            assert response.status_code == 301
            expected = f"https://{DOMAIN}:{stack.settings.https_port}/api/v1/flights?origin=MAD"
            assert response.headers["location"] == expected


def tls12_suites(port: int) -> set[str]:
    """The TLS 1.2 suites the firewall accepts, of every one this OpenSSL can offer."""
    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    probe.set_ciphers("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    candidates = [c["name"] for c in probe.get_ciphers() if c["protocol"] != "TLSv1.3"]
    assert len(candidates) > 30
    accepted = set()
    for name in candidates:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_2
        context.set_ciphers(f"{name}:@SECLEVEL=0")
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            try:
                with context.wrap_socket(raw, server_hostname=DOMAIN) as tls:
                    cipher = tls.cipher()
                    assert cipher is not None
                    accepted.add(cipher[0])
            except (ssl.SSLError, ConnectionResetError):
                continue
    return accepted


@pytest.mark.parametrize("weak", ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384",
                                  "ECDHE-ECDSA-AES128-CCM8", "ECDHE-ECDSA-CAMELLIA128-SHA256",
                                  "ECDHE-ECDSA-ARIA128-GCM-SHA256"])  # fmt: skip
def test_tls12_refuses_each_weak_suite(stack: Stack, weak: str) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(stack.ca)
    context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.set_ciphers(f"{weak}:@SECLEVEL=0")
    except ssl.SSLError:
        # A client that cannot offer the suite proves nothing about the server: a failure,
        # not a skip (Debian 12's OpenSSL offers each of these).
        pytest.fail(f"this OpenSSL cannot offer {weak}, so its refusal cannot be checked")
    with socket.create_connection(("127.0.0.1", stack.settings.https_port), timeout=5) as raw:
        with pytest.raises(ssl.SSLError):
            context.wrap_socket(raw, server_hostname=DOMAIN)


def test_tls12_offers_only_the_intermediate_profile(stack: Stack) -> None:
    accepted = tls12_suites(stack.settings.https_port)
    assert accepted, "no TLS 1.2 suite accepted at all"
    assert accepted <= INTERMEDIATE, accepted - INTERMEDIATE


async def test_a_foreign_preflight_gets_no_cors_header(stack: Stack) -> None:
    own = f"https://{DOMAIN}:{stack.settings.https_port}"
    asked = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization",
    }
    async with stack.client() as client:
        foreign = await client.options(F, headers={"Origin": "https://evil.example", **asked})
        allowed = await client.options(F, headers={"Origin": own, **asked})
    assert foreign.status_code == 400
    assert foreign.headers["content-type"] == "application/problem+json"
    assert not any(name.startswith("access-control-") for name in foreign.headers)
    assert allowed.status_code == 200  # the site's own origin still gets its answer
    assert allowed.headers["access-control-allow-origin"] == own


async def reflected_services(
    channel: grpc.aio.Channel, request_id: str = ""
) -> set[str] | grpc.StatusCode:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    metadata = [("x-request-id", request_id)] if request_id else []
    try:
        answers = [a async for a in stub.ServerReflectionInfo(iter([request]), metadata=metadata)]
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return {s.name for a in answers for s in a.list_services_response.service}


async def test_grpc_reflection_answers_operators_only(stack: Stack) -> None:
    assert not stack.settings.grpc_reflection_public  # the default
    request_id = f"reflect-{uuid.uuid4().hex[:8]}"
    async with await grpc_channel(stack) as public:
        # (the client sees the 403 as PERMISSION_DENIED, or INTERNAL when nginx's reset of
        # the stream it stopped reading arrives first: the firewall's log says which)
        refused = await reflected_services(public, request_id)
    assert refused in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.INTERNAL)
    await eventually_in(stack, "firewall", f"rid={request_id}")
    [line] = [x for x in stack.log("firewall").splitlines() if f"rid={request_id}" in x]
    assert '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo HTTP/2.0" 403' in line
    assert request_id not in stack.log("proxy")  # it never went past the firewall
    direct = f"127.0.0.1:{stack.settings.grpc_ports[0]}"  # a gRPC server's own port
    async with grpc.aio.insecure_channel(direct) as channel:
        services = await reflected_services(channel)
    assert isinstance(services, set) and "lastseat.v1.Booking" in services
    assert await list_flights(stack) == grpc.StatusCode.OK  # the API itself still answers


async def test_the_api_docs_and_their_files_pass_the_firewall(stack: Stack) -> None:
    async with stack.client() as client:
        page = await client.get("/api/docs")
        assert (
            page.status_code == 200
            and "'unsafe-inline'" not in page.headers["content-security-policy"]
        )
        for asset in re.findall(r'(?:src|href)="([^"]+)"', page.text):
            assert asset.startswith("/api/docs/")
            assert (await client.get(asset)).status_code == 200, asset


async def test_static_files_carry_the_request_id_and_the_security_headers(stack: Stack) -> None:
    async with stack.client() as client:
        for path in ("/", "/styles.css", "/js/app.js", "/favicon.svg"):
            rid = f"static-{uuid.uuid4().hex[:8]}"
            response = await client.get(path, headers={"X-Request-ID": rid})
            assert response.status_code == 200, path
            assert response.headers["x-request-id"] == rid, path
            assert "server" not in response.headers
            for name, value in BASE_HEADERS:
                assert response.headers[name] == value, (path, name)
            assert response.headers["strict-transport-security"] == HSTS
