"""The DNS tier answers with the address that is served, and only that one."""

from __future__ import annotations

from dnslib import QTYPE, RCODE, DNSRecord

from lastseat.stack.dns import ZoneResolver

DOMAIN = "lastseat.test"


def ask(resolver: ZoneResolver, name: str, qtype: str) -> DNSRecord:
    return resolver.resolve(DNSRecord.question(name, qtype), None)


def test_an_ipv4_site_answers_a_and_has_no_aaaa() -> None:
    resolver = ZoneResolver(DOMAIN, "127.0.0.1")
    for name in (DOMAIN, f"www.{DOMAIN}"):
        a = ask(resolver, name, "A")
        assert [str(rr.rdata) for rr in a.rr] == ["127.0.0.1"]
        aaaa = ask(resolver, name, "AAAA")  # NODATA: the name exists, no address of that type
        assert aaaa.header.rcode == RCODE.NOERROR and not aaaa.rr
        assert [QTYPE[rr.rtype] for rr in aaaa.auth] == ["SOA"]
    assert [QTYPE[rr.rtype] for rr in ask(resolver, DOMAIN, "ANY").rr] == ["A"]


def test_an_ipv6_site_answers_aaaa_and_has_no_a() -> None:
    resolver = ZoneResolver(DOMAIN, "::1")
    assert [str(rr.rdata) for rr in ask(resolver, DOMAIN, "AAAA").rr] == ["::1"]
    a = ask(resolver, DOMAIN, "A")
    assert a.header.rcode == RCODE.NOERROR and not a.rr


def test_names_outside_the_zone_are_refused() -> None:
    reply = ask(ZoneResolver(DOMAIN, "127.0.0.1"), "example.com", "A")
    assert reply.header.rcode == RCODE.REFUSED and not reply.rr
