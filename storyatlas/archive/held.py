"""What a search process keeps in memory of the archive: read in the background as a
server starts, then kept in step by the archive's logs of changes (the meaning vectors',
migration 0016; the stories' facet values', 0018) rather than read again after each change.
A log is numbered by AUTOINCREMENT and pruned of its oldest entries; ``<log>_pruned``
says up to where, so that a process further behind reads everything again."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storyatlas.archive import Archive

log = logging.getLogger(__name__)


def last_change(changes: str) -> str:
    """SQL for the number of the last entry ever written to the log ``changes``: 0 before any."""
    return f"coalesce((SELECT seq FROM sqlite_sequence WHERE name = '{changes}'), 0)"


def position(conn: sqlite3.Connection, changes: str) -> tuple[int, int]:
    """(the number of the log's last change, the last one pruned from it)."""
    return conn.execute(f"SELECT {last_change(changes)}, (SELECT through FROM {changes}_pruned)").fetchone()


def read_at_start(path: Path, what: str, read: Callable[[Archive], object]) -> None:
    """Run ``read`` on the archive in a thread named ``storyatlas-<what>`` (a server, as it
    starts, so that the first request does not wait for it); if it fails, the first
    request that needs it reads it instead."""
    from storyatlas.archive import Archive

    def run() -> None:
        try:
            with Archive(path) as archive:
                read(archive)
        except Exception:
            log.warning("reading the %s at start failed", what, exc_info=True)

    threading.Thread(target=run, name=f"storyatlas-{what}", daemon=True).start()


def read_into_memory(path: Path) -> int:
    """Read the archive's file once, so that the operating system holds it in memory, when
    it fits in half the memory available; the bytes read (0: it does not fit, or the memory
    available is unknown). Until the system holds it a search reads from disk: with the
    system's page cache dropped, a common word took 19 ms at p50 in a million segments,
    against 9 once the file was read (README, *Search at scale*)."""
    size, available = path.stat().st_size, _available_memory()
    if available is None or size > available // 2:
        log.info("not reading %s (%d MB) into memory: %s MB available", path, size >> 20,
                 "unknown" if available is None else available >> 20)
        return 0
    read, chunk = 0, bytearray(1 << 20)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(chunk):
            read += n
    return read


def read_file_at_start(path: Path) -> None:
    """``read_into_memory`` in a thread, as a server starts."""
    def run() -> None:
        try:
            read_into_memory(path)
        except OSError:
            log.warning("reading %s into memory failed", path, exc_info=True)

    threading.Thread(target=run, name="storyatlas-file", daemon=True).start()


def _available_memory() -> int | None:
    try:
        with open("/proc/meminfo") as f:  # Linux: what can be had without swapping, the cache included
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
