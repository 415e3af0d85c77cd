"""How stale a replica's read is, judged by WAL positions, not by replay timestamps.

The primary's WAL position is sampled every few moments: a sample (at, lsn) says that
every commit acknowledged before monotonic time `at` ends at or before `lsn` (a commit is
acknowledged only once its WAL is written, and the sample's clock is read before asking).
A replica that has replayed up to `lsn` shows all of those commits to a snapshot taken
after it said so. A read is then at most `bound` seconds stale if some sample no older
than `bound` has `lsn <= replay_lsn`. (`pg_last_xact_replay_timestamp()` cannot say this:
on an idle primary it is old however current the replica is.)
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sample:
    at: float  # monotonic time, taken before the primary was asked
    lsn: int  # the primary's WAL write position then, in bytes


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

    def add(self, at: float, lsn: int) -> None:
        self._samples.append(Sample(at, lsn))
        while self._samples and self._samples[0].at < at - self.bound:
            self._samples.popleft()

    def fresh_as_of(self, now: float, replay_lsn: int) -> float | None:
        return fresh_as_of(list(self._samples), now, self.bound, replay_lsn)

    def recent(self, now: float) -> bool:
        """Whether any sample is within the bound of `now` (else the primary is not being
        sampled, and no replica read can be vouched for)."""
        return any(s.at >= now - self.bound for s in self._samples)
