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
    figure, axes = plt.subplots(1, 2, figsize=(12, 4))
    flows = ("seat map", "booking")
    for axis, pct in zip(axes, ("p50", "p99"), strict=True):
        for y, flow in enumerate(flows):
            costs = tier_costs(stack, flow, pct)
            left = 0.0
            for (label, colour), cost in zip(SEGMENTS, costs, strict=True):
                width = max(cost, 0.0)
                axis.barh(y, width, left=left, height=0.5, color=colour,
                          label=label if y == 0 else None)  # fmt: skip
                left += width
            # The figures under the bar, not on it: a tier that adds 1 ms has no room there.
            words = ", ".join(
                f"{label.lstrip('+ ').split(' (')[0]} {cost:+.1f}" if i else f"{label} {cost:.1f}"
                for i, ((label, _), cost) in enumerate(zip(SEGMENTS, costs, strict=True))
            )
            axis.text(0, y - 0.38, f"{words} ms", fontsize=6.5, va="top")
        axis.set_yticks(range(len(flows)), flows)
        axis.set_ylim(-0.9, len(flows) - 0.5)
        axis.set_xlabel(f"{pct} latency, ms (cost each tier adds)")
        axis.set_title(f"{pct}, wrk -c{stack['args']['connections']}")
    figure.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=4, fontsize=8)
    mode = "quick" if stack["args"].get("quick") else "full"
    figure.suptitle(f"lastseat, the whole stack tier by tier ({mode} run of bench/stack.py)")
    figure.tight_layout(rect=(0, 0.08, 1, 1))  # the legend's row below
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="svg")
    plt.close(figure)
    return path
