"""A load generator for the booking flow over HTTP or gRPC, on lastseat.client.

Each worker holds a random seat on a random flight, then confirms the hold; a refused hold
moves on. The same generator drives both APIs, so their figures compare like for like.
Prints one JSON line: confirmed, refused, failed, seconds.

    python bench/load.py http http://127.0.0.1:3001 --tokens tokens.txt
    python bench/load.py grpc 127.0.0.1:3051 --tokens tokens.txt
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

import grpc
import httpx
import uvloop

from lastseat.client import ApiError, GrpcClient, HttpClient

PASSENGER = {"given_name": "Bench", "family_name": "Traveller"}
SEATS = [f"{row}{letter}" for row in range(1, 4) for letter in "AC"] + [
    f"{row}{letter}" for row in range(4, 33) for letter in "ABCDEF"
]


async def run(args: argparse.Namespace, tokens: list[str]) -> dict[str, Any]:
    counts = {"confirmed": 0, "refused": 0, "failed": 0}
    errors: Counter[str] = Counter()
    deadline = time.monotonic() + args.seconds
    if args.api == "http":
        limits = httpx.Limits(max_connections=args.concurrency)
        transport = httpx.AsyncHTTPTransport(limits=limits)
        shared: Any = None
    else:
        transport = None
        shared = grpc.aio.insecure_channel(args.target)

    def client(i: int) -> HttpClient | GrpcClient:
        token = tokens[i % len(tokens)]
        if args.api == "http":
            return HttpClient(args.target, token=token, transport=transport)
        return GrpcClient(args.target, token=token, channel=shared)

    async def worker(i: int) -> None:
        api = client(i)
        rng = random.Random(i)
        while time.monotonic() < deadline:
            try:
                seat = rng.choice(SEATS)
                hold = await api.hold(rng.randint(1, args.flights), [seat])
                hold_id = hold["id"] if isinstance(hold, dict) else hold.id
                await api.book(hold_id, "tok_ok", passengers=[{**PASSENGER, "seat": seat}])
                counts["confirmed"] += 1
            except ApiError as exc:
                counts["refused" if exc.status in (409, "ABORTED") else "failed"] += 1
                if exc.status not in (409, "ABORTED"):
                    errors[f"{exc.status} {exc.problem}"] += 1
            except (httpx.HTTPError, grpc.RpcError) as exc:  # transport trouble: count it
                counts["failed"] += 1
                errors[type(exc).__name__] += 1

    started = time.monotonic()
    await asyncio.gather(*(worker(i) for i in range(args.concurrency)))
    elapsed = time.monotonic() - started
    if shared is not None:
        await shared.close()
    return {
        **counts,
        "errors": dict(errors),
        "seconds": elapsed,
        "confirmed_per_s": counts["confirmed"] / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("api", choices=("http", "grpc"))
    parser.add_argument("target")
    parser.add_argument("--tokens", required=True)
    parser.add_argument("--flights", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    print(json.dumps(uvloop.run(run(args, Path(args.tokens).read_text().split()))))


if __name__ == "__main__":
    main()
