"""The session cache's rules (services/session_cache.py), with no database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from lastseat.domain.users import Role, Session, User
from lastseat.services.session_cache import SessionCache

NOW = datetime(2030, 1, 1, tzinfo=UTC)
ANN = User(uuid.uuid4(), "ann@example.com", Role.CUSTOMER)
BOB = User(uuid.uuid4(), "bob@example.com", Role.CUSTOMER)


class Ticking:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def live_cache(size: int = 10, max_age: float = 30.0) -> tuple[SessionCache, Ticking]:
    ticking = Ticking()
    cache = SessionCache(size, max_age, ticking)
    cache.set_live(True)
    return cache, ticking


def session(user: User, hours: float = 1) -> Session:
    return Session(user, NOW + timedelta(hours=hours))


def test_nothing_is_cached_without_a_live_feed() -> None:
    cache = SessionCache()
    cache.put("ann-1", session(ANN), cache.mark())
    assert cache.get("ann-1", NOW) is None
    cache.set_live(True)
    cache.put("ann-1", session(ANN), cache.mark())
    assert cache.get("ann-1", NOW) == ANN
    cache.set_live(False)  # notifications may be missed from here: nothing is served
    assert cache.get("ann-1", NOW) is None
    cache.set_live(True)  # and what was kept before is gone, not served again
    assert cache.get("ann-1", NOW) is None


def test_a_change_heard_during_the_read_refuses_the_result() -> None:
    """The read may have seen the token before a sign-out committed: not stored."""
    cache, _ = live_cache()
    mark = cache.mark()
    cache.user_changed(BOB.id)  # any user's: the read's user is not known before it ends
    cache.put("ann-1", session(ANN), mark)
    assert cache.get("ann-1", NOW) is None
    mark = cache.mark()
    cache.forget("ann-2")
    cache.put("ann-1", session(ANN), mark)
    assert cache.get("ann-1", NOW) is None
    cache.put("ann-1", session(ANN), cache.mark())
    assert cache.get("ann-1", NOW) == ANN


def test_a_change_to_a_user_ends_every_session_of_theirs_and_no_other() -> None:
    cache, _ = live_cache()
    for key, user in (("ann-1", ANN), ("ann-2", ANN), ("bob-1", BOB)):
        cache.put(key, session(user), cache.mark())
    cache.user_changed(ANN.id)
    assert cache.get("ann-1", NOW) is None
    assert cache.get("ann-2", NOW) is None
    assert cache.get("bob-1", NOW) == BOB
    cache.user_changed(None)  # a table truncated: anyone's
    assert cache.get("bob-1", NOW) is None
    assert len(cache) == 0


def test_a_revoked_token_goes_and_its_owners_other_sessions_stay() -> None:
    cache, _ = live_cache()
    cache.put("ann-1", session(ANN), cache.mark())
    cache.put("ann-2", session(ANN), cache.mark())
    cache.forget("ann-1")
    assert cache.get("ann-1", NOW) is None
    assert cache.get("ann-2", NOW) == ANN
    cache.user_changed(ANN.id)  # the index of a user's keys survived the forget
    assert cache.get("ann-2", NOW) is None


def test_an_entry_ends_with_its_token_and_after_its_maximum_age() -> None:
    cache, ticking = live_cache(max_age=30)
    cache.put("short", session(ANN, hours=1), cache.mark())
    assert cache.get("short", NOW + timedelta(minutes=59)) == ANN
    assert cache.get("short", NOW + timedelta(hours=1)) is None  # the token expired
    cache.put("long", session(BOB, hours=24 * 7), cache.mark())
    ticking.now += 29.9
    assert cache.get("long", NOW) == BOB
    ticking.now += 0.1  # read 30 s ago: read again, however long the token has left
    assert cache.get("long", NOW) is None


def test_entries_are_bounded_least_recently_used_out_first() -> None:
    cache, _ = live_cache(size=2)
    cache.put("ann-1", session(ANN), cache.mark())
    cache.put("bob-1", session(BOB), cache.mark())
    assert cache.get("ann-1", NOW) == ANN  # used: bob-1 is now the least recent
    cache.put("ann-2", session(ANN), cache.mark())
    assert len(cache) == 2
    assert cache.get("bob-1", NOW) is None
    assert cache.get("ann-1", NOW) == ANN
    cache.user_changed(BOB.id)  # a user with no entry left: nothing else moves
    assert cache.get("ann-2", NOW) == ANN
