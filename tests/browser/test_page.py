"""The page reaches the browser the way DESIGN.md draws it: the name resolved over
lastseat's DNS-over-HTTPS, TLS ended by the firewall, static files from the proxy tier."""

from __future__ import annotations

import json
import socket

import pytest

from tests.support.browser import OpenTraveller
from tests.support.stack import DOMAIN, Stack, eventually_in


async def test_the_page_comes_through_dns_firewall_and_proxy(
    stack: Stack, open_traveller: OpenTraveller
) -> None:
    traveller = await open_traveller()
    local_state = json.loads((traveller.profile / "Local State").read_text())
    assert local_state["dns_over_https"]["mode"] == "secure"  # no fallback to the system

    response = await traveller.page.goto(f"{stack.url}/")
    assert response is not None and response.status == 200
    await traveller.page.wait_for_selector("body[data-ready='true']")
    headers = await response.all_headers()
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-cache"
    assert headers["strict-transport-security"].startswith("max-age=")
    assert await traveller.page.title() == "Find a flight · lastseat"

    # The system resolver does not know the name, so the browser had it from elsewhere:
    # the DoH endpoint, whose questions the firewall logged.
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo(DOMAIN, stack.settings.https_port)
    await eventually_in(stack, "firewall", "GET /dns-query?dns=")
    # The page and its modules came from the proxy tier's static files, the flights list
    # from an app server.
    await eventually_in(stack, "proxy", "GET /js/app.js")
    await eventually_in(stack, "proxy", "GET /styles.css")
    await eventually_in(stack, "app", "/api/v1/flights")


def test_lastseat_browser_opens_the_site_over_its_own_dns(stack: Stack) -> None:
    """`lastseat browser` is the same set-up for a person: here headless, printing the page
    it loaded (the script has run: the flights list is in it)."""
    opened = stack.lastseat("browser", "--headless")
    assert opened.returncode == 0, opened.stdout + opened.stderr
    assert "<title>Find a flight · lastseat</title>" in opened.stdout  # the script ran
    assert f"opening {stack.url}/" in opened.stderr.replace("\n", "")
    assert 'class="flights"' in opened.stdout
    profile = json.loads((stack.folder / "browser" / "profile" / "Local State").read_text())
    assert profile["dns_over_https"]["templates"].startswith("https://127.0.0.1:")
