"""Loopback ports: a free one to listen on, and whether one is taken."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nothing listens on now (the kernel's pick)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_pair() -> int:
    """A free port p with p+1 free too: a stack's app servers take consecutive ports."""
    for _ in range(100):
        port = free_port()
        with socket.socket() as first, socket.socket() as second:
            try:
                first.bind(("127.0.0.1", port))
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two consecutive free ports")


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def reserve_udp_and_tcp_port() -> tuple[int, list[socket.socket]]:
    """A port free for both UDP and TCP, held by two bound sockets until they are closed:
    meanwhile no other process's connection is given it as its own (ephemeral) port."""
    for _ in range(100):
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind(("127.0.0.1", 0))
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            udp.bind(("127.0.0.1", tcp.getsockname()[1]))
        except OSError:
            tcp.close()
            udp.close()
            continue
        return int(tcp.getsockname()[1]), [tcp, udp]
    raise RuntimeError("no port free for both UDP and TCP")


def free_udp_and_tcp_port() -> int:
    """A port free for both UDP and TCP now (a tier that listens on both)."""
    port, held = reserve_udp_and_tcp_port()
    for sock in held:
        sock.close()
    return port
