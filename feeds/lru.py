"""A least-recently-used cache bounded by the memory of what it holds, safe across threads.

The caches of rendered feeds and pages (outputs.RenderCache) and of rendered entries
(rendering.spec.EntryCache) are this: without a bound in bytes, a worker that has served every
feed once holds every body, about four times the memory of its articles at 100,000 of them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

_Value = TypeVar("_Value")

# What a cached value costs beyond its own size: the key tuple and the ordered dict's node.
ENTRY_OVERHEAD = 200


class ByteLRU(Generic[_Value]):
    """`get(key, make)` returns the cached value or makes, keeps and returns it; the least
    recently used values go once the sizes (`size_of(value) + ENTRY_OVERHEAD` each) pass
    `max_bytes`. `make` runs outside the lock: two threads missing the same key both make it
    (the same value: makers are pure) and nobody waits for somebody else's render."""

    def __init__(self, max_bytes: int, size_of: Callable[[_Value], int]) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = self.misses = 0
        self._size_of = size_of
        self._items: OrderedDict[Hashable, tuple[_Value, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], _Value]) -> _Value:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return found[0]
        value = make()
        size = self._size_of(value) + ENTRY_OVERHEAD
        with self._lock:
            self.misses += 1
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._items[key] = (value, size)
            self.bytes += size
            self._trim()
        return value

    def touch(self, key: Hashable) -> None:
        """Count a use of `key` made without get() (the fast path's memo): it is the most recent."""
        # No lock: move_to_end is one atomic step under the GIL, and sizes do not change. A key
        # that another thread just dropped is simply not there any more.
        try:  # noqa: SIM105 - contextlib.suppress would cost more than the move itself
            self._items.move_to_end(key)
        except KeyError:
            pass

    def resize(self, max_bytes: int) -> None:
        with self._lock:
            self.max_bytes = max_bytes
            self._trim()

    def _trim(self) -> None:
        while self.bytes > self.max_bytes and len(self._items) > 1:
            _, (_, dropped) = self._items.popitem(last=False)
            self.bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self._items)
