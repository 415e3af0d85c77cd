"""Client addresses as the per-address limits count them."""

from __future__ import annotations

import pytest

from lastseat.domain.addresses import client_network


@pytest.mark.parametrize(
    ("given", "party"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),  # same /64, same party
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("fe80::1%eth0", "fe80::/64"),
        ("testclient", None),
        ("", None),
        (None, None),
        ("1" * 130, None),  # a long X-Forwarded-For is not an address
        ("203.0.113.9, 198.51.100.1", None),
    ],
)
def test_an_address_is_counted_as_its_party(given: str | None, party: str | None) -> None:
    assert client_network(given) == party
