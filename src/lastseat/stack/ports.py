"""Loopback ports: a free one to listen on, and whether one is taken.

Ports are picked outside the kernel's ephemeral range. A port picked inside it can be given,
between the pick and the bind, to any process's outgoing connection as its own port (CI lost
a stack's app server that way, with hundreds of connections opening beside it); outside it,
only another pick can take it, and picks are random over thousands of ports."""

from __future__ import annotations

import os
import random
import socket
from pathlib import Path

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST = 10000  # below: ports that well-known services may expect to find free
TRIES = 200
# "k/n": this process and its children pick from the k-th of n equal shares of the ports.
# Parallel runs on one machine (the test suite's workers) each take a share of their own:
# a port one has picked and not yet bound (an app server binds after its start-up, seconds
# later) is then never picked by another, which would bind it first (CI lost an app server
# so: "address already in use").
SHARE_ENV = "LASTSEAT_PORT_SHARE"


def _listening_ports() -> range:
    """The ports not handed out as connections' own: below the ephemeral range, or above
    it when too few are below."""
    try:
        low, high = (int(part) for part in EPHEMERAL_RANGE.read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999  # Linux's default
    if low - LOWEST >= 1000:
        return _share(range(LOWEST, low))
    return _share(range(high + 1, 65536))


def _share(ports: range) -> range:
    """This process's share of `ports` (SHARE_ENV), or all of them."""
    try:
        index, count = (int(part) for part in os.environ.get(SHARE_ENV, "").split("/"))
    except ValueError:
        return ports
    if not 0 <= index < count or len(ports) // count < 100:
        return ports
    size = len(ports) // count
    return range(ports.start + index * size, ports.start + (index + 1) * size)


def _bindable(port: int, kind: socket.SocketKind = socket.SOCK_STREAM) -> bool:
    with socket.socket(socket.AF_INET, kind) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port nothing listens on now, outside the ephemeral range."""
    return free_run(1)


def free_pair() -> int:
    """A free port p with p+1 free too: a stack's app servers take consecutive ports."""
    return free_run(2)


def free_run(length: int) -> int:
    """The first of `length` consecutive free ports."""
    ports = _listening_ports()
    for _ in range(TRIES):
        first = random.randrange(ports.start, ports.stop - length + 1)
        if all(_bindable(port) for port in range(first, first + length)):
            return first
    raise RuntimeError(f"no {length} consecutive free ports")


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports."""
    picked: list[int] = []
    while len(picked) < count:
        port = free_port()
        if port not in picked:
            picked.append(port)
    return picked


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def reserve_udp_and_tcp_port() -> tuple[int, list[socket.socket]]:
    """A port free for both UDP and TCP, held by two bound sockets until they are closed:
    meanwhile no other pick is given it."""
    ports = _listening_ports()
    for _ in range(TRIES):
        port = random.randrange(ports.start, ports.stop)
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            tcp.bind(("127.0.0.1", port))
            udp.bind(("127.0.0.1", port))
        except OSError:
            tcp.close()
            udp.close()
            continue
        return port, [tcp, udp]
    raise RuntimeError("no port free for both UDP and TCP")


def free_udp_and_tcp_port() -> int:
    """A port free for both UDP and TCP now (a tier that listens on both)."""
    port, held = reserve_udp_and_tcp_port()
    for sock in held:
        sock.close()
    return port
