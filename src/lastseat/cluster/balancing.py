"""Which app hosts the proxy balances over, from their answers to /readyz.

A host that is not ready (its way to the database lost) while another is ready is taken
out: its 503s would otherwise reach every other client. When none is ready (a database
failover: every host answers 503 alike), none is taken out, so the proxy passes the app's
503 and its Retry-After on instead of answering its own 502 "no live upstreams".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

CONFIRMATIONS = 2  # answers in a row that change a host's state: one lost poll is not a fault


class ReadinessView:
    """Each host's readiness as last confirmed: a host's state changes only after
    CONFIRMATIONS answers in a row that say so (the hosts start ready: `cluster up` waited
    for each one's /readyz)."""

    def __init__(self, hosts: Iterable[str], confirmations: int = CONFIRMATIONS) -> None:
        self.ready = dict.fromkeys(hosts, True)
        self._against: dict[str, int] = dict.fromkeys(self.ready, 0)
        self._confirmations = confirmations

    def observe(self, answers: Mapping[str, bool]) -> bool:
        """Take one poll's answers (host: ready); whether any host's state changed."""
        changed = False
        for host, ready in answers.items():
            if ready == self.ready[host]:
                self._against[host] = 0
                continue
            self._against[host] += 1
            if self._against[host] >= self._confirmations:
                self.ready[host] = ready
                self._against[host] = 0
                changed = True
        return changed

    def taken_out(self) -> frozenset[str]:
        return taken_out(self.ready)


def taken_out(ready: Mapping[str, bool]) -> frozenset[str]:
    """The hosts to take out of balancing: the unready ones, if any host is ready; else
    none (taking every host out would leave the proxy nothing to send to)."""
    if not any(ready.values()):
        return frozenset()
    return frozenset(host for host, is_ready in ready.items() if not is_ready)
