"""The least-recently-used bounds the in-memory caches share: by count, or by weight."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


def bounded_put(items: OrderedDict[K, V], key: K, value: V, size: int) -> None:
    """Store `value` as the most recently used, dropping the least recent beyond `size`."""
    items[key] = value
    items.move_to_end(key)
    while len(items) > size:
        items.popitem(last=False)


class WeighedLru(Generic[K, V]):
    """Least-recently-used entries bounded by their total weight (bytes, say) rather than
    their count, for values whose sizes differ by orders of magnitude (a 40-seat map and
    a 400-seat one)."""

    def __init__(self, budget: int, weigh: Callable[[V], int]) -> None:
        self._budget = budget
        self._weigh = weigh
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self.weight = 0

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K) -> V | None:
        found = self._items.get(key)
        if found is None:
            return None
        self._items.move_to_end(key)
        return found[0]

    def put(self, key: K, value: V) -> None:
        self.pop(key)
        weight = self._weigh(value)
        self._items[key] = (value, weight)
        self.weight += weight
        while self.weight > self._budget and len(self._items) > 1:
            _, (_, dropped) = self._items.popitem(last=False)
            self.weight -= dropped

    def pop(self, key: K) -> None:
        found = self._items.pop(key, None)
        if found is not None:
            self.weight -= found[1]
