"""Live seat-map fan-out: N WebSocket watchers on one flight, a paced writer, the delays.

The writer holds and releases one seat over HTTP, one change per operation, at `--rate`
operations per second; every watcher should receive each change. The delay of a change is
from the moment its request was sent (so it includes the commit) to its arrival at a
watcher. Prints one JSON line.

    python bench/fanout.py http://127.0.0.1:3001,http://127.0.0.1:3002 --flight 1 --token T
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import time
from typing import Any

import httpx
import uvloop
import websockets


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    bases = args.bases.split(",")
    sent: list[float] = []
    delays: list[float] = []
    received = [0] * args.watchers
    cut_off = 0
    connected = asyncio.Semaphore(50)
    ready = 0
    done = asyncio.Event()

    async def watcher(i: int) -> None:
        nonlocal ready, cut_off
        url = bases[i % len(bases)].replace("http://", "ws://") + f"/ws/flights/{args.flight}"
        async with connected:
            socket = await websockets.connect(url, max_queue=None)
            await socket.recv()  # the snapshot
            ready += 1
        try:
            while not done.is_set():
                try:
                    raw = await asyncio.wait_for(socket.recv(), 1.0)
                except TimeoutError:
                    continue
                arrived = time.time()
                index = received[i]
                received[i] += 1
                if index < len(sent):
                    delays.append(arrived - sent[index])
                del raw
        except websockets.exceptions.ConnectionClosed:
            cut_off += 1
        finally:
            await socket.close()

    async def writer(client: httpx.AsyncClient) -> None:
        headers = {"Authorization": f"Bearer {args.token}"}
        period = 1.0 / args.rate
        start = time.monotonic()
        hold_id = None
        for op in range(int(args.rate * args.seconds)):
            await asyncio.sleep(max(0.0, start + op * period - time.monotonic()))
            sent.append(time.time())
            if hold_id is None:
                response = await client.post(
                    bases[0] + "/api/v1/holds",
                    json={"flight_id": args.flight, "seats": [args.seat]},
                    headers=headers,
                )
                response.raise_for_status()
                hold_id = response.json()["id"]
            else:
                response = await client.delete(
                    bases[0] + f"/api/v1/holds/{hold_id}", headers=headers
                )
                response.raise_for_status()
                hold_id = None

    tasks = [asyncio.create_task(watcher(i)) for i in range(args.watchers)]
    for _ in range(600):  # all connected, or give up after a minute
        if ready == args.watchers:
            break
        await asyncio.sleep(0.1)
    async with httpx.AsyncClient(timeout=30) as client:
        began = time.time()
        await writer(client)
    expected = len(sent)
    for _ in range(300):  # let the last changes arrive (at most 30 s)
        if all(count >= expected for count in received):
            break
        await asyncio.sleep(0.1)
    finished = time.time()
    done.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    deliveries = sum(min(count, expected) for count in received)
    return {
        "watchers": args.watchers,
        "connected": ready,
        "changes": expected,
        "deliveries": deliveries,
        "expected_deliveries": expected * args.watchers,
        "delivered_per_s": deliveries / (finished - began),
        "delay_p50_ms": percentile(delays, 50) * 1000,
        "delay_p99_ms": percentile(delays, 99) * 1000,
        "delay_mean_ms": statistics.fmean(delays) * 1000 if delays else float("nan"),
        "cut_off": cut_off,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("bases", help="app server base URLs, comma separated")
    parser.add_argument("--flight", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--seat", default="1A")
    parser.add_argument("--watchers", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0, help="changes per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65_536)), hard))
    print(json.dumps(uvloop.run(run(args))))


if __name__ == "__main__":
    main()
