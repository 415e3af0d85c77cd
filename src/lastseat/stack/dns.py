"""The DNS tier: authoritative for the site's domain, over UDP, TCP and DNS-over-HTTPS.

`lastseat.test` and every name under it resolve to the firewall tier's address. Names
outside the zone are refused: this server answers for its zone only, it is no resolver.
DNS-over-HTTPS (RFC 8484, GET ?dns= and POST application/dns-message on /dns-query) is
served over plain HTTP on loopback; the firewall tier adds TLS in front, so a browser can
resolve through it.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from typing import Any

import structlog
from dnslib import AAAA, QTYPE, RCODE, RR, SOA, A, DNSLabel, DNSRecord
from dnslib.server import BaseResolver, DNSLogger, DNSServer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

TTL = 60
DNS_MESSAGE = "application/dns-message"
MAX_MESSAGE = 4_096
log = structlog.get_logger("lastseat.dns")


class ZoneResolver(BaseResolver):  # type: ignore[misc]
    """Every name of the zone answers with the firewall tier's address: an A record if it is
    IPv4, AAAA if IPv6, and the other type has no data (NOERROR, no answer) rather than an
    address nothing listens on, which a client would try first and fail on."""

    def __init__(self, domain: str, address: str) -> None:
        self.zone = DNSLabel(domain)
        served = ipaddress.ip_address(address)
        self.qtype = "A" if served.version == 4 else "AAAA"
        self.rdata = A(str(served)) if served.version == 4 else AAAA(str(served))
        self.soa = SOA(
            mname=f"ns.{domain}", rname=f"hostmaster.{domain}", times=(1, 3600, 600, 86400, TTL)
        )

    def resolve(self, request: DNSRecord, handler: Any) -> DNSRecord:
        reply = request.reply()  # sets QR and AA: we are the authority for the zone
        question = request.q
        name = question.qname
        if not name.matchSuffix(self.zone):
            reply.header.rcode = RCODE.REFUSED
            reply.header.aa = 0
            return reply
        qtype = QTYPE[question.qtype]
        if qtype in (self.qtype, "ANY"):
            reply.add_answer(RR(name, getattr(QTYPE, self.qtype), rdata=self.rdata, ttl=TTL))
        if qtype == "SOA" and name == self.zone:
            reply.add_answer(RR(self.zone, QTYPE.SOA, rdata=self.soa, ttl=TTL))
        if not reply.rr:  # the name exists, not with that type: NOERROR with the SOA
            reply.add_auth(RR(self.zone, QTYPE.SOA, rdata=self.soa, ttl=TTL))
        return reply


class _QuietLogger(DNSLogger):  # type: ignore[misc]
    """dnslib prints every query; log refusals and errors only, as structured lines."""

    def __init__(self) -> None:
        super().__init__(log="-request,-reply,-truncated,-data", prefix=False)

    def log_error(self, handler: Any, e: Any) -> None:
        log.warning("dns_error", error=str(e))


def start_servers(resolver: ZoneResolver, host: str, port: int) -> list[DNSServer]:
    """UDP and TCP servers on background threads."""
    servers = [
        DNSServer(resolver, address=host, port=port, tcp=tcp, logger=_QuietLogger())
        for tcp in (False, True)
    ]
    for server in servers:
        server.start_thread()
    return servers


def doh_app(resolver: ZoneResolver) -> Starlette:
    """RFC 8484 on /dns-query; also /healthz for the supervisor."""

    def answer(wire: bytes) -> Response:
        try:
            request = DNSRecord.parse(wire)
        except Exception:  # dnslib raises several types for malformed input
            return Response("not a DNS message", status_code=400, media_type="text/plain")
        reply = resolver.resolve(request, None)
        return Response(
            bytes(reply.pack()), media_type=DNS_MESSAGE, headers={"Cache-Control": f"max-age={TTL}"}
        )

    async def dns_query(request: Request) -> Response:
        if request.method == "GET":
            encoded = request.query_params.get("dns", "")
            try:
                wire = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            except (binascii.Error, ValueError):
                return Response("bad dns parameter", status_code=400, media_type="text/plain")
            return answer(wire[:MAX_MESSAGE])
        if request.headers.get("content-type") != DNS_MESSAGE:
            return Response("use application/dns-message", status_code=415)
        return answer((await request.body())[:MAX_MESSAGE])

    async def healthz(_: Request) -> Response:
        return Response("ok", media_type="text/plain")

    return Starlette(
        routes=[
            Route("/dns-query", dns_query, methods=["GET", "POST"]),
            Route("/healthz", healthz),
        ]
    )
