"""The live seat map in a real browser: how long after a hold another traveller's Chromium
shows the seat held, against a bare WebSocket client watching the same flight (the
ceiling: the same push, with no browser), and how long the page takes to load.

`lastseat up` on PostgreSQL with one sample flight; Debian's Chromium (Playwright, headless,
the DoH profile of `lastseat browser`) on that flight's seat map; a `websockets` client on
/ws/flights/1, both through the firewall and proxy. Then N holds of one seat each, one
after another, over the API. For each: the delay from sending the hold to the WebSocket
message, and to the seat's button turning held in the page (a MutationObserver stamps
Date.now(); the same clock as here). Page load: a reload until the map is drawn and live.
Writes var/bench/browser.json (the bench contract: bench/contract.py); `--quick`: 10 holds,
2 loads.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import websockets
from playwright.async_api import async_playwright
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from contract import add_quick, measure, write_result
from fanout import percentile
from run import prepare

from lastseat.config import Settings
from lastseat.stack.browser import CHROMIUM, HEADLESS_ARGS, doh_profile, trust_store
from lastseat.stack.postgres import find_or_start
from lastseat.stack.tls import ca_path
from stack import Stack, running_stack

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = "lastseat.test"
console = Console(width=120)
MARK_HELD = """() => {
  window.heldAt = {};
  new MutationObserver((changes) => {
    for (const change of changes) {
      const seat = change.target.dataset.seat;
      if (seat && change.target.dataset.status === "held" && !(seat in window.heldAt)) {
        window.heldAt[seat] = Date.now();
      }
    }
  }).observe(document.querySelector(".seatmap"), {
    subtree: true, attributes: true, attributeFilter: ["data-status"],
  });
}"""


def now_ms() -> float:
    return time.time() * 1000


async def observe(stack: Stack, tokens: list[str], holds: int, loads: int) -> dict[str, Any]:
    port = stack.ports["HTTPS"]
    ca = ca_path(stack.folder)
    tls = ssl.create_default_context(cafile=str(ca))
    settings = Settings(_env_file=None, https_port=port)
    home = stack.folder / "browser-home"
    trust_store(home, ca)
    profile = doh_profile(stack.folder / "browser-profile", settings)
    site = f"https://{DOMAIN}:{port}"
    ws_seen: dict[str, float] = {}

    async def watch() -> None:
        async with websockets.connect(
            f"wss://{DOMAIN}:{port}/ws/flights/1", ssl=tls, host="127.0.0.1", port=port
        ) as socket:
            async for raw in socket:
                message = json.loads(raw)
                if message.get("type") == "seat" and message["status"] == "held":
                    ws_seen.setdefault(message["seat"], now_ms())

    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=list(HEADLESS_ARGS),
            env={**os.environ, "HOME": str(home)},
        )
        try:
            page = context.pages[0]
            load_ms = []
            for _ in range(loads):
                started = now_ms()
                await page.goto(f"{site}/#/flights/1")
                await page.reload()
                await page.locator(".live", has_text="live").wait_for()
                load_ms.append(now_ms() - started)
            await page.evaluate(MARK_HELD)
            watcher = asyncio.create_task(watch())
            await asyncio.sleep(1)  # the bare client's snapshot first
            seats = [f"{row}{letter}" for row in range(4, 33) for letter in "ABCDEF"][:holds]
            browser_ms, ws_ms, hold_ms = [], [], []
            async with httpx.AsyncClient(verify=tls, base_url=f"https://127.0.0.1:{port}") as api:
                for i, seat in enumerate(seats):
                    sent = now_ms()
                    made = await api.post(
                        "/api/v1/holds",
                        json={"flight_id": 1, "seats": [seat]},
                        headers={
                            "Host": DOMAIN,
                            "Authorization": f"Bearer {tokens[i % len(tokens)]}",
                        },
                    )
                    answered = now_ms()
                    if made.status_code != 201:
                        raise RuntimeError(f"hold {seat}: {made.status_code} {made.text[:300]}")
                    for _ in range(100):  # up to 5 s for both to see it
                        held = await page.evaluate("(seat) => window.heldAt[seat]", seat)
                        if held and seat in ws_seen:
                            break
                        await asyncio.sleep(0.05)
                    else:
                        raise SystemExit(f"seat {seat} never showed as held")
                    # From the moment the hold was sent: the push may beat the 201 back.
                    browser_ms.append(held - sent)
                    ws_ms.append(ws_seen[seat] - sent)
                    hold_ms.append(answered - sent)
            watcher.cancel()
        finally:
            await context.close()
    return {"hold_ms": hold_ms, "ws_ms": ws_ms, "browser_ms": browser_ms, "load_ms": load_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--holds", type=int, default=100)
    parser.add_argument("--loads", type=int, default=10)
    add_quick(parser)
    args = parser.parse_args()
    if args.quick:
        args.holds, args.loads = 10, 2
    pg = find_or_start()
    database = f"lastseat_browser_bench_{uuid.uuid4().hex[:8]}"
    data = asyncio.run(prepare(pg, database, 1, 10))
    with running_stack(pg, database) as stack:
        raw = asyncio.run(observe(stack, data["tokens"].split("\n"), args.holds, args.loads))
    summary = {
        name: {
            "p50": statistics.median(raw[name]),
            "p99": percentile(raw[name], 99),
            "n": len(raw[name]),
        }
        for name in ("hold_ms", "ws_ms", "browser_ms", "load_ms")
    }
    table = Table(title="the live seat map in Chromium, through the whole stack (PostgreSQL)")
    for column in ("measure", "n", "p50 ms", "p99 ms"):
        table.add_column(column)
    for name, label in (
        ("hold_ms", "hold sent -> its 201 back"),
        ("ws_ms", "hold sent -> bare WebSocket client has it (ceiling)"),
        ("browser_ms", "hold sent -> seat drawn held in Chromium"),
        ("load_ms", "page reload -> seat map drawn and live"),
    ):
        s = summary[name]
        table.add_row(label, str(s["n"]), f"{s['p50']:.1f}", f"{s['p99']:.1f}")
    console.print(table)
    ratio = summary["ws_ms"]["p50"] / summary["browser_ms"]["p50"]
    extra = summary["browser_ms"]["p50"] - summary["ws_ms"]["p50"]
    console.print(
        f"Chromium draws a change at {ratio:.2f}x the bare client's speed (p50), "
        f"{extra:+.1f} ms later"
    )
    measures = [
        measure(
            "live seat map: hold sent -> seat drawn held in Chromium, p50",
            summary["browser_ms"]["p50"], "ms",
            ceiling_name="the same push to a bare WebSocket client, p50",
            ceiling=summary["ws_ms"]["p50"],
        ),
        measure("page reload -> seat map drawn and live, p50", summary["load_ms"]["p50"], "ms"),
    ]  # fmt: skip
    write_result("browser", {"summary": summary, "raw": raw, "args": vars(args)}, measures)


if __name__ == "__main__":
    main()
