"""The meaning vectors a search process holds in memory, kept in step with the archive.

Every vector is read once (float32; cut into lists above ``lists.EXACT_UP_TO``). After
that, a change of the vectors (a new story's, a corrected or redacted line's, an erased
story's) is read from the archive's log of changes (migration 0016): the segments changed
since are masked and zeroed in what is held, and their vectors now, if any, searched
exactly beside it. Read all again after each change, a million vectors took 22 s, waited out by the
first search after every batch the worker wrote. When the changed ones pass
``REBUILD_AFTER`` every vector is read again in a thread, and searches go on meanwhile.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from storyatlas.archive import Archive
from storyatlas.archive import vectors as rows
from storyatlas.archive.held import read_at_start
from storyatlas.meaning import encoding, languages
from storyatlas.meaning import lists as vector_lists
from storyatlas.themes import meaning as encoder

log = logging.getLogger(__name__)

CHUNK = 65_536
"""Rows multiplied at a time (keeps the intermediate products small)."""
NEIGHBOURS = 10
REBUILD_AFTER = 10_000
"""Changed vectors searched beside the held ones before every vector is read again, in
the background (at this many, the first search after a change took 90 ms at a million
segments: benchmarks/meaning_changes.py)."""


@dataclass(frozen=True)
class Block:
    """Vectors held in memory: stored list by list when there are lists."""
    ids: np.ndarray
    stories: np.ndarray
    matrix: np.ndarray
    hubness: np.ndarray
    """Each vector's r(p) (see ``storyatlas.meaning``)."""
    lists: vector_lists.Lists | None = None
    gone: np.ndarray | None = None
    """Rows whose segment changed since they were read: never a hit."""

    def seen(self, queries: np.ndarray, allowed: np.ndarray,
             share: float | None = None) -> list[tuple[slice | np.ndarray, np.ndarray]]:
        """(rows, which queries) to compare, among the rows of the stories ``allowed`` (a
        table by story id: the policy and the filters) as many as the lists would compare
        were every story allowed (``share`` of the lists, or ``lists.PROBED``): the closest
        lists that hold them, or, when the allowed rows are fewer than those lists would
        compare, the allowed rows themselves (exactly, and bounded by them)."""
        every = np.arange(len(np.atleast_2d(queries)))
        if self.lists is None:
            return [(slice(at, min(at + CHUNK, len(self.ids))), every) for at in range(0, len(self.ids), CHUNK)]
        visible = allowed[self.stories]
        if self.gone is not None:
            visible &= ~self.gone
        upto = np.concatenate([[0], np.cumsum(visible)])
        held = upto[self.lists.offsets[1:]] - upto[self.lists.offsets[:-1]]
        probes = None if share is None else max(1, round(share * len(self.lists.centroids)))
        lists, asked = self.lists.chosen(queries, probes, held)
        if upto[-1] * len(every) <= self.lists.rows(lists):
            rows = np.flatnonzero(visible)
            return [(rows[at:at + CHUNK], every) for at in range(0, len(rows), CHUNK)]
        return [(slice(a, b), who) for a, b, who in self.lists.grouped(lists, asked)]

    def alive(self, rows: slice | np.ndarray) -> np.ndarray:
        """Which of ``rows`` still stand for their segment."""
        return np.ones(len(self.ids[rows]), bool) if self.gone is None else ~self.gone[rows]

    def rows_of(self, story_id: int) -> np.ndarray:
        return np.flatnonzero((self.stories == story_id) & self.alive(slice(None)))


def k_mean(similarities: np.ndarray) -> np.ndarray:
    """Each row's mean of its NEIGHBOURS largest values."""
    k = min(NEIGHBOURS, similarities.shape[1])
    return np.sort(similarities, axis=1)[:, -k:].mean(axis=1)


def _theme_queries() -> np.ndarray:
    from storyatlas.themes.vocabulary import default_vocabulary

    # the shipped vocabulary's themes: a fixed reference of what people look for
    return encoding.loaded(lambda: languages.neutral(encoder.theme_vectors(default_vocabulary())[0]))


def _block(ids: np.ndarray, stories: np.ndarray, stored: np.ndarray, cut: bool) -> Block:
    # float32 in memory: numpy converting float16 on every query took 173 ms at 200,000
    # segments, against 17 ms for the product itself (1.5 KB a segment); compared by what
    # they say more than by the language they say it in (``languages``)
    matrix = encoding.loaded(lambda: languages.neutral(stored.astype(np.float32), in_place=True))
    lists = None
    if cut and len(ids) > vector_lists.EXACT_UP_TO:
        order, lists = vector_lists.build(matrix)
        ids, stories, matrix = ids[order], stories[order], matrix[order]
    hubness = k_mean(matrix @ _theme_queries().T) if len(ids) else np.zeros(0, np.float32)
    return Block(ids, stories, matrix, hubness, lists)


@dataclass(frozen=True)
class _Held:
    """Every vector as read after change ``seq``."""
    key: tuple
    seq: int
    block: Block
    by_id: np.ndarray
    """Rows in the order of their segment ids."""
    sorted_ids: np.ndarray

    @classmethod
    def read(cls, archive: Archive, key: tuple) -> _Held:
        seq, _ = rows.changes_at(archive)  # before the vectors: a change between is read again, not lost
        block = _block(*rows.all_vectors(archive, key[1]), cut=True)
        by_id = np.argsort(block.ids, kind="stable")
        return cls(key, seq, block, by_id, block.ids[by_id])

    def gone(self, changed: np.ndarray) -> np.ndarray:
        """A mask of the rows of segments in ``changed`` (sorted)."""
        at = np.searchsorted(self.sorted_ids, changed)
        found = at < len(self.sorted_ids)
        found[found] &= self.sorted_ids[at[found]] == changed[found]
        mask = np.zeros(len(self.sorted_ids), bool)
        mask[self.by_id[at[found]]] = True
        return mask


class Memory:
    """The blocks to search for one archive: what was read, and what changed since."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: _Held | None = None
        self._view: tuple[tuple, list[Block]] | None = None
        self._reading: threading.Thread | None = None

    def blocks(self, archive: Archive, models: tuple[str, ...]) -> list[Block]:
        key = (archive.identity(), models)
        seq, pruned = rows.changes_at(archive)
        with self._lock:
            held = self._held
            # first, another archive or model, or the changes since were pruned from the log
            if held is None or held.key != key or pruned > held.seq:
                held = self._held = _Held.read(archive, key)
            if self._view is None or self._view[0] != (key, held.seq, seq):
                self._view = ((key, held.seq, seq), self._since(archive, held, seq))
            return self._view[1]

    def forget(self) -> None:
        with self._lock:
            self._held = self._view = None

    def _since(self, archive: Archive, held: _Held, seq: int) -> list[Block]:
        changed, (ids, stories, stored) = rows.changed_since(archive, held.key[1], held.seq, seq)
        if not len(changed):
            return [held.block]
        if len(changed) > REBUILD_AFTER and self._reading is None:
            self._reading = threading.Thread(target=self._read_again, args=(archive.path, held.key),
                                             name="meaning-vectors", daemon=True)
            self._reading.start()
        gone = held.gone(changed)
        # what an erased, corrected or redacted line was made into leaves memory too
        held.block.matrix[gone] = 0.0
        return [replace(held.block, gone=gone), _block(ids, stories, stored, cut=False)]

    def _read_again(self, path: Path, key: tuple) -> None:
        try:
            with Archive(path) as archive:
                held = _Held.read(archive, key)
            with self._lock:
                if self._held is not None and self._held.key == key and held.seq > self._held.seq:
                    self._held, self._view = held, None
        except Exception:  # the next search that finds too many changes tries again
            log.exception("reading the meaning vectors again failed")
        finally:
            with self._lock:
                self._reading = None

    def warm(self, path: Path, models: tuple[str, ...]) -> None:
        """Read every vector in the background (a server, as it starts), so that the first
        meaning search does not wait for it (22 s at a million segments)."""
        def read(archive: Archive) -> None:
            if archive.conn.execute("SELECT 1 FROM segment_vectors LIMIT 1").fetchone():
                self.blocks(archive, models)

        read_at_start(path, "meaning", read)

    def wait(self) -> None:
        """Until a reading in the background, if any, is done (for tests and benchmarks)."""
        reading = self._reading
        if reading is not None:
            reading.join()
