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
    args = parser.parse_args()
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


if __name__ == "__main__":
    sys.exit(main())
