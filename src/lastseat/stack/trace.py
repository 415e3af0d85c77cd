"""`lastseat trace URL`: one request through the stack, hop by hop, with the time of each.

The name is resolved through lastseat's DNS tier; the connection and TLS times come from
httpx's trace hooks; the firewall's verdict from the status; the proxy's upstream and
its time, the app's time and the database's from the response headers the tiers set
(X-Upstream, Server-Timing).
"""

from __future__ import annotations

import re
import ssl
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from lastseat.client.resolve import ResolvingBackend, resolving_transport

PROXY_TIMING = re.compile(r'proxy;desc="upstream (\S+) ([\d.]+) s"')
METRIC = re.compile(r"(\w+);dur=([\d.]+)")


@dataclass(frozen=True, slots=True)
class Hop:
    tier: str
    detail: str
    ms: float | None


async def trace(url: str, dns_server: str, ca: str | None) -> tuple[list[Hop], httpx.Response]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    nameserver, _, port = dns_server.rpartition(":")
    started = time.perf_counter()
    address = await ResolvingBackend(nameserver, int(port)).address_of(host)
    hops = [Hop("DNS", f"{host} -> {address} (asked {dns_server})", _ms(started))]

    marks: dict[str, float] = {}

    async def on_trace(name: str, info: dict[str, Any]) -> None:
        marks[name] = time.perf_counter()

    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca) if ca else True
    request_id = f"trace-{uuid.uuid4().hex[:12]}"
    transport = resolving_transport(dns_server, verify=verify)
    async with httpx.AsyncClient(transport=transport, timeout=30) as client:
        response = await client.get(
            url, headers={"X-Request-ID": request_id}, extensions={"trace": on_trace}
        )
    hops.append(
        Hop("TCP", f"connect to {address}:{parts.port or 443}", _span(marks, "connect_tcp"))
    )
    if parts.scheme == "https":
        hops.append(Hop("TLS", f"handshake, SNI {host}", _span(marks, "start_tls")))
    total = _between(marks, "send_request_headers.started", "receive_response_headers.complete")
    blocked = response.status_code == 403 and "firewall" in response.text
    verdict = "blocked (403)" if blocked else f"passed (HTTP {response.status_code})"
    timings = response.headers.get_list("server-timing")
    proxy = next((m for t in timings if (m := PROXY_TIMING.search(t))), None)
    metrics = {name: float(value) for t in timings for name, value in METRIC.findall(t)}
    upstream_ms = float(proxy.group(2)) * 1000 if proxy else None
    hops.append(
        Hop(
            "firewall",
            f"WAF {verdict}; TLS ends here",
            _minus(total, upstream_ms),
        )
    )
    if proxy is not None:
        hops.append(
            Hop("proxy", f"to app server {proxy.group(1)}", _minus(upstream_ms, metrics.get("app")))
        )
    if "app" in metrics:
        db_ms = metrics.get("db", 0.0)
        answered = response.headers.get("x-upstream", "?")
        hops.append(Hop("app", f"{answered} answered", metrics["app"] - db_ms))
        hops.append(Hop("db", "time in database statements", db_ms))
    hops.append(
        Hop("total", f"request id {response.headers.get('x-request-id', request_id)}", total)
    )
    return hops, response


def _minus(whole: float | None, part: float | None) -> float | None:
    """The time a tier adds: its total less the part spent behind it."""
    return None if whole is None or part is None else max(whole - part, 0.0)


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _span(marks: dict[str, float], step: str) -> float | None:
    return _between(marks, f"connection.{step}.started", f"connection.{step}.complete")


def _between(marks: dict[str, float], start: str, end: str) -> float | None:
    begin = next((v for k, v in marks.items() if k.endswith(start)), None)
    finish = next((v for k, v in marks.items() if k.endswith(end)), None)
    if begin is None or finish is None:
        return None
    return (finish - begin) * 1000
