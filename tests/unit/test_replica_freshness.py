"""The staleness decision for a replica read: a pure function of the primary's sampled WAL
positions, the time the read began and the position the replica has replayed."""

from __future__ import annotations

from lastseat.adapters.db.freshness import PrimaryPositions, Sample, Standby, fresh_as_of, judge

BOUND = 2.0
# The primary wrote up to 100 by t=10, up to 250 by t=10.5, then went idle.
TL = 1  # the primary's timeline
SAMPLES = [
    Sample(10.0, 100, TL),
    Sample(10.5, 250, TL),
    Sample(11.0, 250, TL),
    Sample(11.5, 250, TL),
]


def test_a_replica_that_replayed_the_newest_sample_is_as_fresh_as_it() -> None:
    assert fresh_as_of(SAMPLES, now=11.6, bound=BOUND, replay_lsn=250) == 11.5


def test_an_idle_primary_does_not_make_a_current_replica_look_stale() -> None:
    # Nothing committed since t=10.5: a replica at 250 is current at every later sample,
    # however old its last replayed transaction is.
    idle = [Sample(t, 250, TL) for t in (20.0, 20.5, 21.0)]
    assert fresh_as_of(idle, now=21.1, bound=BOUND, replay_lsn=250) == 21.0


def test_a_replica_behind_is_only_as_fresh_as_the_newest_sample_it_reached() -> None:
    assert fresh_as_of(SAMPLES, now=11.6, bound=BOUND, replay_lsn=200) == 10.0
    assert fresh_as_of(SAMPLES, now=11.6, bound=BOUND, replay_lsn=99) is None


def test_a_sample_older_than_the_bound_vouches_for_nothing() -> None:
    assert fresh_as_of(SAMPLES, now=12.1, bound=BOUND, replay_lsn=200) is None
    assert fresh_as_of(SAMPLES, now=12.0, bound=BOUND, replay_lsn=200) == 10.0


def test_no_sample_no_read() -> None:
    assert fresh_as_of([], now=1.0, bound=BOUND, replay_lsn=10**9) is None


def test_positions_keep_the_last_bound_of_samples() -> None:
    positions = PrimaryPositions(BOUND)
    assert not positions.recent(0.0)
    for sample in SAMPLES:
        positions.add(sample.at, sample.lsn, sample.timeline)
    positions.add(12.5, 300, TL)  # t=10.0 is now older than the bound, and dropped
    assert positions.fresh_as_of(now=12.5, replay_lsn=200) is None
    assert positions.fresh_as_of(now=12.5, replay_lsn=250) == 11.5
    assert positions.recent(14.5)
    assert not positions.recent(14.6)  # the sampler stopped: no read is vouched for


def test_a_streaming_standby_on_the_primarys_timeline_is_judged_by_its_position() -> None:
    assert judge(SAMPLES, 11.6, BOUND, Standby(250, "streaming", TL)) == 11.5
    assert judge(SAMPLES, 11.6, BOUND, Standby(99, "streaming", TL)) == "behind"
    assert judge(SAMPLES, 11.6, BOUND, Standby(None, None, None)) == "not_a_replica"


def test_a_standby_following_nobody_is_refused_however_far_it_replayed() -> None:
    # An old primary Patroni demoted: in recovery, not yet rewound, no WAL receiver, its
    # position (of its own, abandoned history) ahead of the new primary's.
    assert judge(SAMPLES, 11.6, BOUND, Standby(10**9, None, None)) == "not_streaming"
    assert judge(SAMPLES, 11.6, BOUND, Standby(10**9, "waiting", TL)) == "not_streaming"


def test_a_standby_on_another_timeline_is_refused_however_far_it_replayed() -> None:
    promoted = [*SAMPLES, Sample(11.8, 260, TL + 1)]  # a failover: the new primary's
    assert judge(promoted, 11.9, BOUND, Standby(10**9, "streaming", TL)) == "other_timeline"
    assert judge(promoted, 11.9, BOUND, Standby(270, "streaming", TL + 1)) == 11.8
    # the old timeline's samples vouch for nothing on the new one
    assert judge(promoted, 11.9, BOUND, Standby(255, "streaming", TL + 1)) == "behind"
