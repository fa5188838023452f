"""Search by meaning, across languages: each segment's text, in the language spoken, as a
multilingual-e5-small vector (the encoder the themes use), and a query's nearest segments
among the stories its reader may see.

Exact search over the vectors held in memory (float32) per archive state up to 200,000
segments (300 MB, about 17 ms a query on 2 cores), by lists above (``lists``). Vectors are
made by ``index`` (the worker after each story, `storyatlas reindex`), not on the ingest
path, so a story is found by its words at once and by meaning a little later.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from storyatlas.archive import Archive
from storyatlas.archive import vectors as rows
from storyatlas.archive.policy import Viewer
from storyatlas.meaning import lists as vector_lists
from storyatlas.themes import meaning as encoder

BATCH = 64
CHUNK = 65_536
"""Rows multiplied at a time (keeps the intermediate products small)."""
MIN_SCORE = -0.015
"""The least corrected closeness (below) taken to mean what the query means."""
NEIGHBOURS = 10

# e5-small's cosines are crowded (0.70-0.85 for unrelated texts) and some passages sit
# close to everything ("Thank you." scored 0.80-0.84 against every query tried). So
# closeness is corrected as in CSLS (Conneau et al., 2018): 2 cos(q, p) - r(q) - r(p),
# where r(p) is the passage's mean closeness to its 10 nearest theme descriptions (read
# as queries) and r(q) the query's to its 10 nearest background passages. On German,
# Polish and English test sentences, "flood" and "inundação" then scored the flood
# passages -0.01 to 0.04 and every other -0.03 to -0.17: the threshold was set between.
# Measured since on 648 labelled stories (`benchmarks/discovery.py --sets 4 ... 11
# --thresholds`: 204 theme queries, a story relevant when labelled with the theme): from
# -0.015 a query keeps 72 % of its relevant stories in other languages at precision 0.10
# (the base rate is 0.05); precision and recall balance best from 0.01 (0.19 / 0.36), but
# there the rankings lose what they list: recall at 10 of the fused ranking fell from
# 0.156 to 0.146 on those sets, and from 0.310 to 0.264 on the judged sets 1-3 (the
# recordings: the same 50 of 52). Kept at -0.015: a search is read from its top.


@dataclass(frozen=True)
class MeaningHit:
    segment_id: int
    story_id: int
    score: float


def model() -> str:
    return encoder.model_version()


def index(archive: Archive, progress: Callable[[int, int], None] | None = None, limit: int | None = None) -> int:
    """Make the vectors that are missing (about ``limit`` of them at most); returns how
    many were written."""
    name, written = model(), 0
    # one pass through the segments, each look starting where the last one ended: looked
    # for from the start each time, a new story's missing vectors at the end of a million
    # segments cost 0.8 s of scanning for every batch of 64 (1.1 s to encode). A segment
    # changed behind the pass meanwhile is made by the next call, which its change asks for.
    after = (-1, -1)
    done = total = 0
    if progress:
        done, total = rows.counts(archive, name)
    while limit is None or written < limit:
        todo = rows.unindexed(archive, name, BATCH, after)
        if not todo:
            return written
        after = (todo[-1].story_id, todo[-1].idx)
        made = encoder.encode([s.said for s in todo])
        stored = rows.store(archive, name, zip(todo, made))
        written += stored
        if progress:
            progress(min(done + written, total), total)
    return written


@dataclass(frozen=True)
class _Vectors:
    """Every vector of one archive state: stored list by list when there are lists."""
    ids: np.ndarray
    stories: np.ndarray
    matrix: np.ndarray
    hubness: np.ndarray
    """Each vector's r(p)."""
    lists: vector_lists.Lists | None

    def parts(self, queries: np.ndarray) -> list[tuple[int, int]]:
        """The rows to compare ``queries`` with: all of them, or the closest lists'."""
        if self.lists is None:
            return [(start, min(start + CHUNK, len(self.ids))) for start in range(0, len(self.ids), CHUNK)]
        return self.lists.slices(queries)


class _Matrix:
    """Every vector of one archive state, kept until the vectors change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._data: _Vectors | None = None

    def get(self, archive: Archive) -> _Vectors:
        key = (archive.identity(), model(),
               archive.conn.execute("SELECT n FROM vectors_generation").fetchone()[0])
        with self._lock:
            if key != self._key:
                ids, stories, stored = rows.all_vectors(archive, model())
                # float32 in memory: numpy converting float16 on every query took 173 ms at
                # 200,000 segments, against 17 ms for the product itself (1.5 KB a segment)
                matrix = stored.astype(np.float32)
                lists = None
                if len(ids) > vector_lists.EXACT_UP_TO:
                    order, lists = vector_lists.build(matrix)
                    ids, stories, matrix = ids[order], stories[order], matrix[order]
                hubness = _k_mean(matrix @ _theme_queries().T) if len(ids) else np.zeros(0, np.float32)
                self._data, self._key = _Vectors(ids, stories, matrix, hubness, lists), key
            return self._data


_matrix = _Matrix()


def _theme_queries() -> np.ndarray:
    from storyatlas.themes.vocabulary import default_vocabulary

    # the shipped vocabulary's themes: a fixed reference of what people look for
    return encoder.theme_vectors(default_vocabulary())[0]


def _k_mean(similarities: np.ndarray) -> np.ndarray:
    """Each row's mean of its NEIGHBOURS largest values."""
    k = min(NEIGHBOURS, similarities.shape[1])
    return np.sort(similarities, axis=1)[:, -k:].mean(axis=1)


def nearest(archive: Archive, query: str, viewer: Viewer, limit: int = 50,
            min_score: float = MIN_SCORE, within: np.ndarray | None = None) -> list[MeaningHit]:
    """The segments closest in meaning to ``query``, best first, from stories the viewer
    may see only; ``within``: the ids of those stories (the policy and any filters),
    when the caller has them already."""
    found = _matrix.get(archive)
    if not len(found.ids) or not query.strip():
        return []
    reachable = rows.visible_stories(archive, viewer) if within is None else within
    q = encoder.encode([query], query=True)[0].astype(np.float32)
    r_q = float(_k_mean((encoder.background_vectors() @ q)[None, :])[0])
    parts = found.parts(q)
    at = np.concatenate([np.arange(a, b) for a, b in parts]) if parts else np.zeros(0, np.int64)
    scores = np.concatenate([found.matrix[a:b] @ q for a, b in parts]) if parts else np.zeros(0, np.float32)
    scores = 2 * scores - r_q - found.hubness[at]
    scores[~np.isin(found.stories[at], reachable)] = -9.0
    top = np.argpartition(-scores, min(limit, len(scores) - 1))[:limit] if len(scores) > limit else np.arange(len(scores))
    top = top[np.argsort(-scores[top])]
    return [MeaningHit(int(found.ids[at[i]]), int(found.stories[at[i]]), float(scores[i]))
            for i in top if scores[i] >= min_score]


KINDRED_PASSAGES = 64
"""A story's passages compared with the others' (the first ones, for a long story)."""
KINDRED_MIN = 0.1
"""Passage to passage, the corrected closeness runs higher than query to passage: on the
test sentences the same subject in two languages scored 0.11-0.19 (a dam and a flood,
baking and bread), unrelated ones 0.03-0.09. Measured since on 648 labelled stories (see
MIN_SCORE; kindred when they share a labelled theme): from 0.1 precision 0.081 and
recall 0.83 (the base rate 0.071); the best balance, from 0.14, 0.100 / 0.43. The proxy
is weak (two stories of one theme need not have lived the same thing), the gain small,
and a story page shows the five closest: kept at 0.1."""


def kindred(archive: Archive, story_id: int, viewer: Viewer, limit: int = 5,
            min_score: float = KINDRED_MIN) -> list[MeaningHit]:
    """Passages of other stories the viewer may see closest in meaning to any passage of
    this one, one per story, best first: where others lived the same thing."""
    found = _matrix.get(archive)
    own = np.flatnonzero(found.stories == story_id)[:KINDRED_PASSAGES]
    if not len(own):
        return []
    reachable = rows.visible_stories(archive, viewer)
    mine = found.matrix[own]
    best: dict[int, MeaningHit] = {}
    for a, b in found.parts(mine):
        part = found.matrix[a:b] @ mine.T
        # corrected both ways: a passage's own hubness stands for the query's
        part = (2 * part - found.hubness[a:b, None] - found.hubness[own][None, :]).max(axis=1)
        part[(found.stories[a:b] == story_id) | ~np.isin(found.stories[a:b], reachable)] = -9.0
        for i in np.flatnonzero(part >= min_score):
            sid = int(found.stories[a + i])
            if sid not in best or best[sid].score < part[i]:
                best[sid] = MeaningHit(int(found.ids[a + i]), sid, float(part[i]))
    return sorted(best.values(), key=lambda h: -h.score)[:limit]
