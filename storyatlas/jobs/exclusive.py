"""Work that one worker at a time may do, across a queue's threads and processes
(`storyatlas worker --workers N`, `storyatlas serve --workers N`): two meaning rounds at
once would encode the same segments, the first ones missing, twice."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from huey import Huey

from storyatlas.archive.jobs import holder_gone, worker_id

T = TypeVar("T")


class Exclusive:
    """A lock and a note in huey's storage. Whoever asks while another holds the lock
    leaves the note and returns; the holder, when it ends, reads the note and says so,
    so that what was asked for meanwhile is still done (the note is left before the lock
    is tried, and read after it is let go: one of the two always sees the other)."""

    def __init__(self, huey: Huey, name: str) -> None:
        self.huey = huey
        self._lock = f"{name}.lock"
        self._asked = f"{name}.asked"

    def run(self, work: Callable[[], T]) -> tuple[T, bool] | None:
        """``work()`` and whether it was asked for again while it ran, or None when
        another holds the lock (it will know it was asked for)."""
        self.huey.put(self._asked, True)
        if not self._acquire():
            return None
        try:
            self.huey.get(self._asked)  # this run answers what was asked before it
            result = work()
        finally:
            self.huey.delete(self._lock)
        return result, self.huey.get(self._asked) is not None

    def _acquire(self) -> bool:
        holder = f"{worker_id()} {time.time()}"
        if self.huey.put_if_empty(self._lock, holder):
            return True
        found = self.huey.get(self._lock, peek=True)
        if found is None:
            return False
        who, _, since = found.partition(" ")
        if not holder_gone(who, float(since or 0)):
            return False
        # its holder died holding it (or took far too long): taken over
        self.huey.delete(self._lock)
        return self.huey.put_if_empty(self._lock, holder)
