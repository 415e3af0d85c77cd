"""Readiness checks: does a tier answer yet? Each is a function the supervisor (and `dev`)
polls until it says yes."""

from __future__ import annotations

from collections.abc import Callable

import dns.exception
import dns.message
import dns.query
import dns.rdatatype
import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

from lastseat.config import Settings


def http_ok(url: str, verify: str | bool = False) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(url, timeout=1, verify=verify).status_code == 200
        except httpx.HTTPError:
            return False

    return check


def app_ready(port: int) -> Callable[[], bool]:
    """An app server on loopback `port` answers /readyz (its database is reachable)."""
    return http_ok(f"http://127.0.0.1:{port}/readyz")


def grpc_serving(target: str) -> Callable[[], bool]:
    def check() -> bool:
        with grpc.insecure_channel(target) as channel:
            try:
                answer = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=1
                )
            except grpc.RpcError:
                return False
        return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)

    return check


def dns_answers(settings: Settings) -> Callable[[], bool]:
    def check() -> bool:
        query = dns.message.make_query(settings.site_domain, dns.rdatatype.A)
        try:
            reply = dns.query.udp(query, "127.0.0.1", timeout=1, port=settings.dns_port)
        except (OSError, dns.exception.DNSException):
            return False
        return bool(reply.answer)

    return check
