"""The seat-map cache's rules, with no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lastseat.services.seat_map_cache import SeatMapCache

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def live_cache(size: int = 10) -> SeatMapCache[str]:
    cache: SeatMapCache[str] = SeatMapCache(size)
    cache.set_live(True)
    return cache


def test_nothing_is_cached_without_a_live_feed() -> None:
    cache: SeatMapCache[str] = SeatMapCache()
    cache.put(1, "map", None, cache.token(1))
    assert cache.get(1, NOW) is None
    cache.set_live(True)
    cache.put(1, "map", None, cache.token(1))
    assert cache.get(1, NOW) == "map"
    cache.set_live(False)
    assert cache.get(1, NOW) is None


def test_a_change_during_the_read_refuses_the_result() -> None:
    cache = live_cache()
    token = cache.token(7)
    cache.changed(7)  # another process committed while we were reading
    cache.put(7, "stale", None, token)
    assert cache.get(7, NOW) is None
    cache.put(7, "fresh", None, cache.token(7))
    assert cache.get(7, NOW) == "fresh"
    cache.changed(7)
    assert cache.get(7, NOW) is None


def test_reconnecting_the_feed_refuses_reads_begun_before() -> None:
    cache = live_cache()
    token = cache.token(3)
    cache.set_live(False)
    cache.set_live(True)
    cache.put(3, "from before the gap", None, token)
    assert cache.get(3, NOW) is None


def test_entries_end_when_their_first_hold_does() -> None:
    cache = live_cache()
    cache.put(1, "map", NOW + timedelta(minutes=10), cache.token(1))
    assert cache.get(1, NOW + timedelta(minutes=9)) == "map"
    assert cache.get(1, NOW + timedelta(minutes=10)) is None


def test_the_cache_is_bounded() -> None:
    cache = live_cache(size=2)
    for flight in (1, 2, 3):
        cache.put(flight, f"map{flight}", None, cache.token(flight))
    assert cache.get(1, NOW) is None
    assert cache.get(3, NOW) == "map3"


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_replica_map_older_than_a_change_already_heard_of_is_not_stored() -> None:
    ticks = Ticks()
    cache: SeatMapCache[str] = SeatMapCache(monotonic=ticks)
    cache.set_live(True)
    ticks.now = 101.0
    cache.changed(1)  # heard of at 101, before the read's token is taken
    ticks.now = 102.0
    token = cache.token(1)
    # a lagging replica's map, showing what was committed before 100.5: not the change
    cache.put(1, "lagging", None, token, as_of=100.5)
    assert cache.get(1, NOW) is None
    # one that has replayed past the change is current
    cache.put(1, "replayed", None, token, as_of=101.5)
    assert cache.get(1, NOW) == "replayed"


def test_a_replica_map_from_before_the_feed_reconnected_is_not_stored() -> None:
    ticks = Ticks()
    cache: SeatMapCache[str] = SeatMapCache(monotonic=ticks)
    cache.set_live(True)
    cache.set_live(False)
    ticks.now = 105.0
    cache.set_live(True)  # changes made while the feed was down were never heard of
    cache.put(2, "lagging", None, cache.token(2), as_of=104.0)
    assert cache.get(2, NOW) is None
    cache.put(2, "current", None, cache.token(2), as_of=105.0)
    assert cache.get(2, NOW) == "current"
