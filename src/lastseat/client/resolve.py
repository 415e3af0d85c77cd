"""Resolve the site's name through lastseat's own DNS tier, not the system resolver.

An httpcore network backend that looks names up with dnspython at a given server, then
connects to the address. The URL keeps the name, so TLS SNI, certificate checks and the
Host header stay those of the site (`lastseat.test`), exactly as through real DNS.
"""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterable
from typing import Any

import dns.asyncresolver
import dns.exception
import httpcore
import httpx


class ResolvingBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, nameserver: str, port: int) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._resolver = dns.asyncresolver.Resolver(configure=False)
        self._resolver.nameservers = [nameserver]
        self._resolver.port = port
        self._resolver.lifetime = 3.0
        self._known: dict[str, str] = {}  # for this backend's life; TTLs here are a minute

    async def address_of(self, host: str) -> str:
        try:
            return str(ipaddress.ip_address(host))
        except ValueError:
            pass
        known = self._known.get(host)
        if known is not None:
            return known
        try:
            answer = await self._resolver.resolve(host, "A")
        except dns.exception.DNSException as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        self._known[host] = address = str(answer[0].address)
        return address

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        address = await self.address_of(host)
        return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return await self._inner.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def resolving_transport(
    dns_server: str, verify: ssl.SSLContext | str | bool = True, http2: bool = False
) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose connections resolve names at `dns_server` (host:port)."""
    host, _, port = dns_server.rpartition(":")
    transport = httpx.AsyncHTTPTransport(verify=verify, http2=http2)
    ssl_context = httpx.create_ssl_context(verify=verify)
    # httpx has no public hook for the network backend: give its pool one.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context,
        http2=http2,
        network_backend=ResolvingBackend(host, int(port)),
    )
    return transport
