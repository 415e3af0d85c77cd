"""The whole stack's latency tier by tier, as an SVG drawn with matplotlib.

From bench/stack.py's JSON: for the seat-map GET and the booking, at p50 and at p99, one
stacked bar: the app server's own latency, then what the proxy tier adds, what the firewall
tier (TLS + WAF) adds, and one lookup of the site's name at the DNS tier. The wrk figures are
under load (64 connections, so they hold queueing too); the DNS lookups are one at a time.
A tier that measured faster than the one behind it (noise) is drawn as 0 and labelled with
its real, negative difference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("svg")  # no display here: the SVG backend only
import matplotlib.pyplot as plt

SEGMENTS = (
    ("app server", "#4c72b0"),
    ("+ proxy tier", "#55a868"),
    ("+ firewall tier (TLS + WAF)", "#c44e52"),
    ("+ DNS lookup", "#8172b2"),
)


def tier_costs(stack: dict[str, Any], flow: str, pct: str) -> list[float]:
    """What each tier adds to `flow`'s `pct` latency, in ms, in SEGMENTS' order."""
    runs = stack["runs"][flow]
    app, proxy, firewall = (
        runs[e][f"{pct}_ms"] for e in ("app server", "proxy tier", "firewall tier")
    )
    return [app, proxy - app, firewall - proxy, stack["dns"][f"{pct}_ms"]]


def draw_tiers(stack: dict[str, Any], path: Path) -> Path:
    figure, axes = plt.subplots(1, 2, figsize=(12, 3.6))
    flows = ("seat map", "booking")
    for axis, pct in zip(axes, ("p50", "p99"), strict=True):
        for y, flow in enumerate(flows):
            left = 0.0
            for (label, colour), cost in zip(SEGMENTS, tier_costs(stack, flow, pct), strict=True):
                width = max(cost, 0.0)
                axis.barh(y, width, left=left, color=colour, label=label if y == 0 else None)
                if cost != 0:
                    axis.text(
                        left + width / 2, y + 0.32, f"{cost:+.1f}" if left else f"{cost:.1f}",
                        ha="center", fontsize=7,
                    )  # fmt: skip
                left += width
        axis.set_yticks(range(len(flows)), flows)
        axis.set_xlabel(f"{pct} latency, ms (cost each tier adds)")
        axis.set_title(f"{pct}, wrk -c{stack['args']['connections']}")
    axes[0].legend(loc="lower right", fontsize=7)
    mode = "quick" if stack["args"].get("quick") else "full"
    figure.suptitle(f"lastseat, the whole stack tier by tier ({mode} run of bench/stack.py)")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="svg")
    plt.close(figure)
    return path
