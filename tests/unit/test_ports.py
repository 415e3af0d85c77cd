"""Picked ports lie outside the kernel's ephemeral range, where no outgoing connection can be
given one between the pick and the bind."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

import pytest

from lastseat.stack.ports import (
    SHARE_ENV,
    free_pair,
    free_port,
    free_ports,
    port_open,
    reserve_udp_and_tcp_port,
)
from lastseat.stack.processes import wait_ready


def _ephemeral() -> range:
    low, high = (
        int(part) for part in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    )
    return range(low, high + 1)


def test_picked_ports_are_distinct_free_and_outside_the_ephemeral_range() -> None:
    ports = free_ports(40)
    assert len(set(ports)) == 40
    assert not any(port in _ephemeral() for port in ports)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", ports[0]))  # free when picked


def test_a_pair_is_two_consecutive_free_ports() -> None:
    first = free_pair()
    assert first not in _ephemeral() and first + 1 not in _ephemeral()
    with socket.socket() as one, socket.socket() as two:
        one.bind(("127.0.0.1", first))
        two.bind(("127.0.0.1", first + 1))


def test_a_reserved_port_is_held_for_udp_and_tcp_until_released() -> None:
    port, held = reserve_udp_and_tcp_port()
    try:
        assert port not in _ephemeral()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
            try:
                other.bind(("127.0.0.1", port))
            except OSError:
                pass
            else:
                raise AssertionError("a reserved port could be bound again")
    finally:
        for sock in held:
            sock.close()


def test_a_wait_for_a_port_ends_when_it_listens_when_time_is_up_or_when_its_process_ends(
    tmp_path: Path,
) -> None:
    """The benches and tests wait for a tier's port with stack/processes.py's wait_ready."""
    log = tmp_path / "tier.log"
    log.write_text("the tier's last words\n")
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        port = free_port()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))
            timer = threading.Timer(0.3, sock.listen)
            timer.start()
            try:
                wait_ready("a tier", running, partial(port_open, port), log, 10)  # once it listens
            finally:
                timer.cancel()
        started = time.monotonic()
        with pytest.raises(RuntimeError, match="a tier not ready in"):
            wait_ready("a tier", running, partial(port_open, free_port()), log, 0.3)
        assert time.monotonic() - started < 5
    finally:
        running.kill()
        running.wait(timeout=30)
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait(timeout=30)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"a tier exited with 0.*the tier's last words"):
        wait_ready("a tier", ended, partial(port_open, free_port()), log, 30)
    assert time.monotonic() - started < 5  # at once, not after 30 s


def test_parallel_runs_pick_from_shares_of_their_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """A port one test worker picked and has not bound yet is never another's pick."""
    shares: list[set[int]] = []
    for index in range(3):
        monkeypatch.setenv(SHARE_ENV, f"{index}/3")
        shares.append(set(free_ports(30)))
    assert not (shares[0] & shares[1] or shares[0] & shares[2] or shares[1] & shares[2])
    assert max(shares[0]) < min(shares[1]) and max(shares[1]) < min(shares[2])
    share = max(shares[0]) - min(shares[0])
    for nonsense in ("", "3/3", "-1/2", "a/b", "1/1000000"):  # all the ports, as without
        monkeypatch.setenv(SHARE_ENV, nonsense)
        picks = free_ports(60)
        assert max(picks) - min(picks) > 1.5 * share
