"""How stale a replica's read is, judged by WAL positions, not by replay timestamps.

The primary's WAL position is sampled every few moments: a sample (at, lsn) says that
every commit acknowledged before monotonic time `at` ends at or before `lsn` (a commit is
acknowledged only once its WAL is written, and the sample's clock is read before asking).
A replica that has replayed up to `lsn` shows all of those commits to a snapshot taken
after it said so. A read is then at most `bound` seconds stale if some sample no older
than `bound` has `lsn <= replay_lsn`. (`pg_last_xact_replay_timestamp()` cannot say this:
on an idle primary it is old however current the replica is.)

Positions compare only along one history: a demoted old primary (in recovery, following
nobody yet) or a standby of another timeline may have replayed *further* than the new
primary's position, of WAL the new primary never had. So a replica is trusted only while
its WAL receiver streams, on the timeline the primary's latest sample was taken on.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sample:
    at: float  # monotonic time, taken before the primary was asked
    lsn: int  # the primary's WAL write position then, in bytes
    timeline: int  # the primary's timeline then


@dataclass(frozen=True, slots=True)
class Standby:
    """What a replica says of itself before its seats are read."""

    replay_lsn: int | None  # how far it has replayed; None: not in recovery (a primary)
    receiver: str | None  # pg_stat_wal_receiver.status; None: no WAL receiver running
    timeline: int | None  # pg_stat_wal_receiver.received_tli


def judge(samples: list[Sample], now: float, bound: float, standby: Standby) -> float | str:
    """fresh_as_of() for a standby that streams on the primary's current timeline; else
    why its read is refused: "not_a_replica", "not_streaming", "other_timeline" or
    "behind"."""
    if standby.replay_lsn is None:
        return "not_a_replica"
    if standby.receiver != "streaming":
        return "not_streaming"
    recent = [s for s in samples if s.at >= now - bound]
    if recent and max(recent, key=lambda s: s.at).timeline != standby.timeline:
        return "other_timeline"
    same_history = [s for s in samples if s.timeline == standby.timeline]
    as_of = fresh_as_of(same_history, now, bound, standby.replay_lsn)
    return "behind" if as_of is None else as_of


def fresh_as_of(samples: list[Sample], now: float, bound: float, replay_lsn: int) -> float | None:
    """The latest time, no earlier than `now - bound`, before which every commit is visible
    on a replica that has replayed up to `replay_lsn`; None if there is none (the replica
    is behind by more than the bound, or no recent sample says otherwise)."""
    fresh = [s.at for s in samples if s.at >= now - bound and s.lsn <= replay_lsn]
    return max(fresh, default=None)


class PrimaryPositions:
    """The samples of the last `bound` seconds, oldest first."""

    def __init__(self, bound: float) -> None:
        self.bound = bound
        self._samples: deque[Sample] = deque()

    def add(self, at: float, lsn: int, timeline: int) -> None:
        self._samples.append(Sample(at, lsn, timeline))
        while self._samples and self._samples[0].at < at - self.bound:
            self._samples.popleft()

    def fresh_as_of(self, now: float, replay_lsn: int) -> float | None:
        return fresh_as_of(list(self._samples), now, self.bound, replay_lsn)

    def judge(self, now: float, standby: Standby) -> float | str:
        return judge(list(self._samples), now, self.bound, standby)

    def recent(self, now: float) -> bool:
        """Whether any sample is within the bound of `now` (else the primary is not being
        sampled, and no replica read can be vouched for)."""
        return any(s.at >= now - self.bound for s in self._samples)
