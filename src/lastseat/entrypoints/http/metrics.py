"""Prometheus metrics, in a registry owned by the app (no module-level globals)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from lastseat.services.ports import PoolStatus, ReplicaReadCounts

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(
        self,
        pool: Callable[[], PoolStatus],
        watchers: Callable[[], int] = lambda: 0,
        stuck_payments: Callable[[], int] = lambda: 0,
        replica_reads: Callable[[], ReplicaReadCounts] | None = None,
    ) -> None:
        self._request_children: dict[tuple[str, str, int], Any] = {}
        self._latency_children: dict[tuple[str, str], Any] = {}
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "lastseat_http_requests_total",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "lastseat_http_request_duration_seconds",
            "HTTP request latency by route",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.holds = Counter("lastseat_holds_total", "Holds created", registry=self.registry)
        self.bookings = Counter(
            "lastseat_bookings_total", "Bookings confirmed", registry=self.registry
        )
        self.refusals = Counter(
            "lastseat_refusals_total",
            "Requests refused by a business rule",
            ["reason"],
            registry=self.registry,
        )
        pool_size = Gauge(
            "lastseat_db_pool_size",
            "Database connections the pool keeps",
            registry=self.registry,
        )
        pool_size.set_function(lambda: pool().size)
        in_use = Gauge(
            "lastseat_db_pool_checked_out",
            "Database connections in use",
            registry=self.registry,
        )
        in_use.set_function(lambda: pool().checked_out)
        watching = Gauge(
            "lastseat_watchers",
            "Live seat-map watchers connected to this process",
            registry=self.registry,
        )
        watching.set_function(watchers)
        stuck = Gauge(
            "lastseat_payments_stuck",
            "Bookings whose payment settlement gave up after its attempts (see "
            "`lastseat payments stuck`), as of this process's last settlement round",
            registry=self.registry,
        )
        stuck.set_function(stuck_payments)
        self.watchers_cut_off = Counter(
            "lastseat_watchers_cut_off_total",
            "Watchers disconnected for falling more than watch_queue_limit changes behind",
            registry=self.registry,
        )

        self.registry.register(ReplicaReads(replica_reads or _no_replica))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        # Label children are cached: `.labels()` validates and locks on every call.
        key = (method, route, status)
        counter = self._request_children.get(key)
        if counter is None:
            counter = self._request_children[key] = self.requests.labels(method, route, str(status))
        counter.inc()
        timer = self._latency_children.get((method, route))
        if timer is None:
            timer = self._latency_children[(method, route)] = self.latency.labels(method, route)
        timer.observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class ReplicaReads(Collector):
    """Seat maps served from the replica, and those it could not serve (the primary
    answered them instead), counted by the replica reader."""

    def __init__(self, counts: Callable[[], ReplicaReadCounts]) -> None:
        self._counts = counts

    def collect(self) -> Iterator[CounterMetricFamily]:
        counts = self._counts()
        served = CounterMetricFamily(
            "lastseat_seat_map_replica_reads",
            "Seat maps read from the replica within the staleness bound",
        )
        served.add_metric([], counts.served)
        yield served
        fallbacks = CounterMetricFamily(
            "lastseat_seat_map_replica_fallbacks",
            "Seat maps the replica could not serve within the bound, read from the primary",
            labels=["reason"],
        )
        for reason in REPLICA_FALLBACK_REASONS:
            fallbacks.add_metric([reason], counts.fallbacks.get(reason, 0))
        yield fallbacks


def _no_replica() -> ReplicaReadCounts:
    return ReplicaReadCounts(0, {})


# Why the primary answered a seat map meant for the replica (adapters/db/replica.py).
REPLICA_FALLBACK_REASONS = ("behind", "unavailable", "unsampled", "not_a_replica")
