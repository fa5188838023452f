"""What a search process keeps in memory of the archive: read in the background as a
server starts, then kept in step by the archive's logs of changes (the meaning vectors',
migration 0016; the stories' facet values', 0018) rather than read again after each change.
A log is numbered by AUTOINCREMENT and pruned of its oldest entries; ``<log>_pruned``
says up to where, so that a process further behind reads everything again."""

from __future__ import annotations

import logging
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
