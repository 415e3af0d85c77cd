"""The one least-recently-used bound the in-memory caches share."""

from __future__ import annotations

from collections import OrderedDict
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def bounded_put(items: OrderedDict[K, V], key: K, value: V, size: int) -> None:
    """Store `value` as the most recently used, dropping the least recent beyond `size`."""
    items[key] = value
    items.move_to_end(key)
    while len(items) > size:
        items.popitem(last=False)
