"""`make chaos`: the chaos harness for longer, with more buyers; prints the audit table and
exits 1 if any invariant was violated. `python -m tests.chaos --help` for the knobs."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from tests.chaos.harness import Plan, run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=600.0, help="how long buyers shop")
    parser.add_argument("--buyers", type=int, default=150)
    parser.add_argument("--app-servers", type=int, default=3)
    parser.add_argument("--flights", type=int, default=40)
    parser.add_argument("--chaos-every", type=float, default=6.0, help="seconds between faults")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--cluster",
        nargs="*",
        metavar="SCENARIO",
        help="instead: host faults on `lastseat cluster` (root), these scenarios or all"
        " (tests/chaos/cluster.py; --buyers, --flights, --seed apply)",
    )
    args = parser.parse_args()
    if args.cluster is not None:
        return cluster_chaos(args)
    plan = Plan(
        seconds=args.seconds,
        buyers=args.buyers,
        app_servers=args.app_servers,
        flights=args.flights,
        chaos_every=args.chaos_every,
        seed=args.seed,
    )
    folder = Path(tempfile.mkdtemp(prefix="lastseat-chaos-"))
    print(f"chaos for {plan.seconds:.0f} s with {plan.buyers} buyers; logs in {folder}")
    audit = asyncio.run(run(plan, folder))
    print(audit.table())
    return 0 if audit.passed else 1


def cluster_chaos(args: argparse.Namespace) -> int:
    from tests.chaos import cluster

    names = args.cluster or list(cluster.SCENARIOS)
    unknown = set(names) - set(cluster.SCENARIOS)
    if unknown:
        print(f"unknown scenarios {sorted(unknown)}; known: {', '.join(cluster.SCENARIOS)}")
        return 2
    buyers = args.buyers if args.buyers != 150 else 8  # the loopback default is too many here
    flights = args.flights if args.flights != 40 else 20
    rows = cluster.run(names, buyers=buyers, flights=flights, seed=args.seed)
    print(cluster.table(rows))
    return 0 if rows and all(r.passed for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
