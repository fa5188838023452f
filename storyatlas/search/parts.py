"""A long read of the words index in parts, read at once on the machine's cores.

A quoted phrase of common words is checked by FTS5 position by position in every moment
holding its words, the slowest kind of search there is (benchmarks/search.py): at a
million segments "the and" takes 53-54 ms and "the the" 73-78 to read. Such moments are
read here in ranges of stories (the index's rowids are story id * 2^32 + segment id),
the first on the searcher's own connection and the others at the same time on read-only
connections of their own (SQLite lets go of Python's lock while it reads): on two cores,
27-34 ms and 36-38.

A part read elsewhere must come from the archive as the searcher's transaction sees it:
each is read in a transaction of its own that first checks the archive's identity and
generation (bumped by every write transaction that changes segments, see
word_index.refresh), and a part read from another state is read again on the searcher's
connection. Which stories the viewer may reach is decided on that connection, never from
these parts.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from storyatlas.archive.db import read_only_uri
from storyatlas.archive.word_index import STORY
from storyatlas.machine import available_cores
from storyatlas.search import ranked

SPLIT_FROM = 100_000
"""Segments an archive holds before a read is split (a small archive's reads take
less than handing one to another thread)."""
_TABLE = "segment_terms"
_KEPT = 4  # read-only connections each reading thread keeps open, the latest archives'

_pool: ThreadPoolExecutor | None = None
_threads = 0
_pool_lock = threading.Lock()
_local = threading.local()


def rowids(conn: sqlite3.Connection, path: str, state: tuple[str, int], match: str,
           parts: int | None = None) -> np.ndarray:
    """The rowids of ``segment_terms`` that ``match`` matches in the archive at ``path``
    as ``conn`` sees it (in a read transaction, the archive's identity and generation
    ``state``), in order: read in ``parts`` ranges of stories at once (the cores, by
    default) when the archive is large enough."""
    parts = available_cores() if parts is None else parts
    last, segments = conn.execute(f"""SELECT (SELECT rowid FROM {_TABLE} ORDER BY rowid DESC LIMIT 1),
                                             (SELECT max(id) FROM segments)""").fetchone()
    if parts < 2 or not last or (segments or 0) < SPLIT_FROM:
        return ranked.rowids(conn, match, _TABLE)
    # part i holds stories edges[i] + 1 .. edges[i + 1] (the last, any story made since)
    edges = [round((last >> 32) * i / parts) for i in range(parts + 1)]
    starts = [0] + [(edge + 1) * STORY for edge in edges[1:-1]]
    ranges = list(zip(starts, [start - 1 for start in starts[1:]] + [(1 << 63) - 1]))
    pool = _executor(parts - 1)
    others: list[Future] = [pool.submit(_read_elsewhere, path, state, match, within)
                            for within in ranges[1:]]
    found = [ranked.rowids(conn, match, _TABLE, ranges[0])]
    for within, other in zip(ranges[1:], others):
        part = other.result()
        found.append(part if part is not None else ranked.rowids(conn, match, _TABLE, within))
    return np.concatenate(found)


def _read_elsewhere(path: str, state: tuple[str, int], match: str, within: tuple[int, int]) -> np.ndarray | None:
    """One part on this thread's own connection; None when the archive there is not in
    ``state`` (or cannot be read: the searcher's connection reads it)."""
    try:
        conn = _connection(path)
        conn.execute("BEGIN")
        try:
            if tuple(conn.execute("SELECT (SELECT id FROM archive_identity), (SELECT n FROM generation)")
                     .fetchone()) != state:
                return None
            return ranked.rowids(conn, match, _TABLE, within)
        finally:
            conn.execute("COMMIT")
    except sqlite3.Error:
        _forget(path)
        return None


def _connection(path: str) -> sqlite3.Connection:
    kept: dict[str, sqlite3.Connection] | None = getattr(_local, "connections", None)
    if kept is None:
        kept = _local.connections = {}
    conn = kept.pop(path, None)
    if conn is None:
        conn = sqlite3.connect(read_only_uri(path), uri=True, isolation_level=None, timeout=30)
        conn.execute("PRAGMA cache_size=-65536")  # as the archive's own (archive/db.py): 2 MB re-read pages
        while len(kept) >= _KEPT:
            kept.pop(next(iter(kept))).close()
    kept[path] = conn  # the latest last
    return conn


def _forget(path: str) -> None:
    conn = getattr(_local, "connections", {}).pop(path, None)
    if conn is not None:
        conn.close()


def _forked() -> None:
    # a forked process has none of its parent's threads: a pool made before the fork
    # would take parts no thread ever reads
    global _pool, _threads
    _pool, _threads = None, 0


os.register_at_fork(after_in_child=_forked)


def _executor(threads: int) -> ThreadPoolExecutor:
    global _pool, _threads
    with _pool_lock:
        if _pool is None or _threads < threads:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool, _threads = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="storyatlas-read"), threads
        return _pool
