"""Signed-in users kept in memory by their bearer token, so that a request's answer to "who
sent this?" costs no database read: on the booking flow that read was one statement and
one unit of work of every request (what leaving it out saves: docs/benchmarks.md,
bench/run.py).

Correctness rests on the seat maps' rules (services/seat_map_cache.py), for sessions:
- an entry is used only while the change feed is live (PostgreSQL LISTEN connected);
  losing the feed drops every entry, since notifications may have been missed;
- a change to a user or to any of their tokens (a sign-out, a password change that ends
  every session, a role change), heard from any process through the feed or made by this
  one, drops the user's entries; a read that was under way when any change was heard is
  not stored, as it may have read the row before that change;
- an entry ends when its token expires, and at most `MAX_AGE_SECONDS` after it was read,
  however long the token has left: the bound on a revocation missed by a feed that seems
  connected but is not (a peer gone without closing the connection);
- entries are bounded in number, least recently used out first.
What a process serves between another's commit of a sign-out and the notification's
arrival (a round trip on the LISTEN connection, about a millisecond) is the same as what
a request that read the token just before that commit was served: it was signed in.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from lastseat.domain.users import Session, User

DEFAULT_SIZE = 20_000  # some 3 MB: the sessions signed in within MAX_AGE on one server
MAX_AGE_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class _Entry:
    user: User
    expires_at: datetime
    read_at: float  # monotonic


class SessionCache:
    def __init__(
        self,
        size: int = DEFAULT_SIZE,
        max_age: float = MAX_AGE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._size = size
        self._max_age = max_age
        self._monotonic = monotonic
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._of_user: dict[UUID, set[str]] = {}
        self._changes = 0
        self.live = False

    def mark(self) -> int:
        """Take before reading the database; `put` refuses the result if a change came."""
        return self._changes

    def get(self, key: str, now: datetime) -> User | None:
        if not self.live:
            return None
        entry = self._entries.get(key)
        if entry is None:
            return None
        if now >= entry.expires_at or self._monotonic() - entry.read_at >= self._max_age:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry.user

    def put(self, key: str, session: Session, mark: int) -> None:
        """Store `session`, read after `mark` was taken, unless a change came meanwhile."""
        if not self.live or mark != self._changes:
            return
        self._drop(key)
        self._entries[key] = _Entry(session.user, session.expires_at, self._monotonic())
        self._of_user.setdefault(session.user.id, set()).add(key)
        while len(self._entries) > self._size:
            self._drop(next(iter(self._entries)))

    def user_changed(self, user_id: UUID | None) -> None:
        """The user, or one of their tokens, changed (None: any user may have): heard of,
        or committed here."""
        self._changes += 1
        if user_id is None:
            self._entries.clear()
            self._of_user.clear()
            return
        for key in self._of_user.pop(user_id, set()):
            self._entries.pop(key, None)

    def forget(self, key: str) -> None:
        """The token was revoked here."""
        self._changes += 1
        self._drop(key)

    def set_live(self, live: bool) -> None:
        """Feed (re)connected or lost: either way, what was cached may have missed changes."""
        self._changes += 1
        self._entries.clear()
        self._of_user.clear()
        self.live = live

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        keys = self._of_user.get(entry.user.id)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._of_user[entry.user.id]
