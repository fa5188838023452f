"""Remembering recent answers until the archive changes.

Searches for common words touch thousands of segments; the same searches come back
often (a theme in the news, a link shared in a community). An answer is kept with the
archive's state (``Archive.search_state``: its generation and its vectors') and is never
served once anything has changed since.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


class GenerationCache:
    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, tuple[Hashable, object]] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, key: Hashable, state: Hashable) -> object | None:
        """The remembered answer, if it is still current; None otherwise."""
        with self._lock:
            found = self._items.get(key)
            if found is not None and found[0] == state:
                self._items.move_to_end(key)
                return found[1]
            return None

    def get(self, key: Hashable, state: Hashable, compute: Callable[[], T]) -> T:
        found = self.peek(key, state)
        if found is not None:
            return found  # type: ignore[return-value]
        value = compute()
        with self._lock:
            self._items[key] = (state, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value
