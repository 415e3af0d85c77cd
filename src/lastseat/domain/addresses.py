"""Client addresses, as the per-address limits count them.

An IPv4 address is one party. An IPv6 address is not: one home or phone is usually given a
whole /64, so an address inside it costs nothing new; the /64 is the party. Anything that
is not an IP address (a test transport, a Unix socket) is no address at all.
"""

from __future__ import annotations

import ipaddress

IPV6_PARTY_PREFIX = 64


def client_network(address: str | None) -> str | None:
    """The party an address belongs to, for limits per address; None if not an address."""
    if not address or len(address) > 64:
        return None
    try:
        parsed = ipaddress.ip_address(address.strip().split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_PARTY_PREFIX}", strict=False))
    return str(parsed)
