"""`lastseat trace URL`: one request through the stack, hop by hop, with the time of each.

Only the hops the request crossed are listed: a name is resolved through lastseat's DNS
tier (an address needs no DNS); the connection and TLS times come from httpx's trace
hooks; each tier behind says it was crossed in the headers it sets (Server-Timing:
firewall, proxy and app; X-Upstream), which also give the proxy's upstream and its time,
the app's time and the database's. A URL straight to an app server lists no firewall
and no proxy.
"""

from __future__ import annotations

import ipaddress
import re
import ssl
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

import httpx

from lastseat.client.resolve import ResolvingBackend, resolving_transport

FIREWALL_TIMING = "firewall;"
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
    hops = []
    if not _is_address(host):
        nameserver, _, port = dns_server.rpartition(":")
        started = time.perf_counter()
        address = await ResolvingBackend(nameserver, int(port)).address_of(host)
        hops.append(Hop("DNS", f"{host} -> {address} (asked {dns_server})", _ms(started)))
    else:
        address = host

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
    port_number = parts.port or (443 if parts.scheme == "https" else 80)
    hops.append(Hop("TCP", f"connect to {address}:{port_number}", _span(marks, "connect_tcp")))
    if parts.scheme == "https":
        hops.append(Hop("TLS", f"handshake, SNI {host}", _span(marks, "start_tls")))
    total = _between(marks, "send_request_headers.started", "receive_response_headers.complete")
    hops += _tiers_crossed(response, parts, total)
    hops.append(
        Hop("total", f"request id {response.headers.get('x-request-id', request_id)}", total)
    )
    return hops, response


def _tiers_crossed(response: httpx.Response, parts: SplitResult, total: float | None) -> list[Hop]:
    """Firewall, proxy, app and database, each if the response says it was crossed. A
    tier's time is what it adds: the time seen at its front less the time behind it."""
    timings = response.headers.get_list("server-timing")
    blocked = response.status_code == 403 and "firewall" in response.text
    firewall = blocked or any(t.startswith(FIREWALL_TIMING) for t in timings)
    proxy = next((m for t in timings if (m := PROXY_TIMING.search(t))), None)
    metrics = {name: float(value) for t in timings for name, value in METRIC.findall(t)}
    upstream_ms = float(proxy.group(2)) * 1000 if proxy else None
    app_ms = metrics.get("app")
    hops = []
    front = total  # the time seen at the front of the next tier in
    if firewall:
        verdict = "blocked (403)" if blocked else f"passed (HTTP {response.status_code})"
        behind = upstream_ms if proxy else app_ms
        hops.append(Hop("firewall", f"WAF {verdict}; TLS ends here", _minus(front, behind)))
        front = behind
    if proxy is not None:
        hops.append(Hop("proxy", f"to app server {proxy.group(1)}", _minus(front, app_ms)))
    if app_ms is not None:
        db_ms = metrics.get("db")  # absent when no statement ran (/healthz, a cached map)
        answered = response.headers.get("x-upstream") or f"{parts.hostname}:{parts.port}"
        hops.append(Hop("app", f"{answered} answered", app_ms - (db_ms or 0.0)))
        if db_ms is not None:
            hops.append(Hop("db", "time in database statements", db_ms))
    return hops


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _minus(whole: float | None, part: float | None) -> float | None:
    """The time a tier adds: its total less the part spent behind it (none: the whole)."""
    if whole is None or part is None:
        return whole
    return max(whole - part, 0.0)


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
