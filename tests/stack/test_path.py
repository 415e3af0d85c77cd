"""The full path: DNS -> firewall (TLS, WAF) -> reverse proxy -> app servers -> database."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import grpc
import httpx
import websockets
from grpc_health.v1 import health_pb2, health_pb2_grpc

from lastseat.client import GrpcClient, HttpClient
from lastseat.client.resolve import ResolvingBackend
from tests.support.passengers import passengers_json
from tests.support.stack import DOMAIN, WAIT_SECONDS, Stack, eventually_in


async def test_a_booking_over_https_with_the_name_resolved_by_lastseat_dns(stack: Stack) -> None:
    async with stack.client() as http, HttpClient(stack.url, transport=stack.transport()) as api:
        await api.signup("path@example.com", "a path password")
        await api.login("path@example.com", "a path password")
        [flight] = await api.flights(limit=1)
        hold = await api.hold(flight["id"], ["4A", "4B"])
        booking = await api.book(hold["id"], "tok_ok", passengers=passengers_json(hold["seats"]))
        assert booking["status"] == "confirmed" and booking["total"] == hold["quote"]["total"]
        mine = await api.bookings()
        assert [b["reference"] for b in mine] == [booking["reference"]]

        request_id = f"path-{uuid.uuid4().hex}"
        response = await http.get("/api/v1/flights", headers={"X-Request-ID": request_id})
        assert response.status_code == 200 and response.http_version == "HTTP/1.1"
        assert response.headers["x-request-id"] == request_id
        timings = response.headers.get_list("server-timing")
        assert any(t.startswith("app;dur=") for t in timings)
        assert any(t.startswith("proxy;") for t in timings)
        assert response.headers["strict-transport-security"].startswith("max-age=")
    for tier in ("firewall", "proxy", "app"):
        await eventually_in(stack, tier, request_id)


async def test_plain_http_is_redirected_to_https(stack: Stack) -> None:
    url = f"http://127.0.0.1:{stack.settings.http_port}/api/v1/flights"
    async with httpx.AsyncClient() as client:
        response = await client.get(url, headers={"Host": DOMAIN})
    assert response.status_code == 301
    assert (
        response.headers["location"]
        == f"https://{DOMAIN}:{stack.settings.https_port}/api/v1/flights"
    )


def test_dns_answers_for_its_zone_over_udp_tcp_and_https(stack: Stack) -> None:
    port = stack.settings.dns_port
    for name in (DOMAIN, f"www.{DOMAIN}", f"any.thing.{DOMAIN}"):
        query = dns.message.make_query(name, dns.rdatatype.A)
        for ask in (dns.query.udp, dns.query.tcp):
            reply = ask(query, "127.0.0.1", timeout=2, port=port)
            assert reply.rcode() == dns.rcode.NOERROR
            assert [r.address for r in reply.answer[0]] == ["127.0.0.1"]
    aaaa = dns.query.udp(dns.message.make_query(DOMAIN, "AAAA"), "127.0.0.1", timeout=2, port=port)
    # Every tier listens on 127.0.0.1 only: no AAAA (NODATA), so no client tries ::1 first.
    assert aaaa.rcode() == dns.rcode.NOERROR and not aaaa.answer
    outside = dns.query.udp(
        dns.message.make_query("example.com", "A"), "127.0.0.1", timeout=2, port=port
    )
    assert outside.rcode() == dns.rcode.REFUSED and not outside.answer
    # DNS-over-HTTPS (RFC 8484), through the firewall tier's TLS
    wire = dns.message.make_query(DOMAIN, dns.rdatatype.A).to_wire()
    encoded = base64.urlsafe_b64encode(wire).rstrip(b"=").decode()
    with httpx.Client(
        verify=stack.ssl_context(), base_url=f"https://127.0.0.1:{stack.settings.https_port}"
    ) as client:
        got = client.get(
            "/dns-query", params={"dns": encoded}, headers={"Accept": "application/dns-message"}
        )
        posted = client.post(
            "/dns-query", content=wire, headers={"Content-Type": "application/dns-message"}
        )
    for response in (got, posted):
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/dns-message"
        assert [r.address for r in dns.message.from_wire(response.content).answer[0]] == [
            "127.0.0.1"
        ]


async def test_websocket_and_grpc_through_the_firewall_and_proxy(stack: Stack) -> None:
    address = await ResolvingBackend("127.0.0.1", stack.settings.dns_port).address_of(DOMAIN)
    https_port = stack.settings.https_port
    async with HttpClient(stack.url, transport=stack.transport()) as api:
        await api.signup("live@example.com", "a live password")
        token = await api.login("live@example.com", "a live password")
        [flight] = await api.flights(limit=1)
        url = f"wss://{DOMAIN}:{https_port}/ws/flights/{flight['id']}"
        async with websockets.connect(
            url, ssl=stack.ssl_context(), host=address, port=https_port
        ) as socket:
            snapshot = json.loads(await asyncio.wait_for(socket.recv(), WAIT_SECONDS))
            assert snapshot["type"] == "snapshot"
            credentials = grpc.ssl_channel_credentials(stack.ca.read_bytes())
            options = [("grpc.ssl_target_name_override", DOMAIN)]
            async with grpc.aio.secure_channel(
                f"{address}:{https_port}", credentials, options
            ) as channel:
                health = await health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest()
                )
                assert health.status == health_pb2.HealthCheckResponse.SERVING
                rpc = GrpcClient("", token=token, channel=channel)
                # WatchFlight has a location of its own at both tiers (a stream's timeout)
                events = rpc.watch(flight["id"])
                first = await asyncio.wait_for(anext(events), WAIT_SECONDS)
                assert first.WhichOneof("event") == "snapshot", first
                held = await rpc.hold(flight["id"], ["9F"])
                assert list(held.seats) == ["9F"]
                streamed = await asyncio.wait_for(anext(events), WAIT_SECONDS)
            change = json.loads(await asyncio.wait_for(socket.recv(), WAIT_SECONDS))
            assert (change["seat"], change["status"]) == ("9F", "held")
            assert streamed.WhichOneof("event") == "seat", streamed


def test_status_shows_every_tier_up(stack: Stack) -> None:
    shown = stack.lastseat("status")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    table = shown.stdout  # the answer on stdout, as `| grep` wants it
    for tier in ("dns", "firewall", "proxy", "app-1", "app-2", "grpc-1", "payments-sandbox"):
        assert tier in table
    assert "down" not in table


def test_trace_shows_every_hop_with_its_time(stack: Stack) -> None:
    traced = stack.lastseat(
        "trace", stack.url + "/api/v1/flights", "--dns", stack.dns, "--ca", str(stack.ca)
    )
    out = traced.stdout
    assert traced.returncode == 0, out
    for hop in ("DNS", "TCP", "TLS", "firewall", "proxy", "app", "db", "total"):
        assert any(line.split("│")[1].strip() == hop for line in out.splitlines() if "│" in line), (
            hop
        )
    assert f"{DOMAIN} -> 127.0.0.1" in out and "WAF passed" in out
    ports = {str(stack.settings.app_port), str(stack.settings.app_port + 1)}
    assert any(f"127.0.0.1:{port} answered" in out for port in ports)


async def test_the_python_clients_and_the_cli_resolve_through_lastseat_dns(stack: Stack) -> None:
    async with HttpClient(stack.url, dns_server=stack.dns, ca=str(stack.ca)) as api:
        over_http = await api.flights()
    target = f"dns://{stack.dns}/{DOMAIN}:{stack.settings.https_port}"
    async with GrpcClient(target, ca=str(stack.ca)) as rpc:
        over_grpc = await rpc.flights()
    assert [f["id"] for f in over_http] == [f.id for f in over_grpc]
    listed = stack.lastseat(
        "flights", "--api", stack.url, "--dns", stack.dns, "--ca", str(stack.ca)
    )
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert over_http[0]["code"] in listed.stdout
