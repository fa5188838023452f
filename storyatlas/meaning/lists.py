"""An inverted-file index over the meaning vectors, for archives too large to search exactly.

Exact search reads every vector on every query: 1.5 KB a segment, so 1.5 GB at a million
segments, which on two cores is bound by memory bandwidth (benchmarks/search.py --fused).
Above ``EXACT_UP_TO`` vectors the matrix is cut into ``lists`` by k-means on the unit
sphere (the vectors are normalised), and stored list by list, so that a list is a slice:
a query is compared with the centroids, and then only with the vectors of the closest
tenth of the lists. The closest passages can be missed when they sit in a list that was
not probed; ``benchmarks/meaning_index.py`` measures how often, on real e5 vectors,
against the exact search. A viewer who may see only some stories (or a search filtered to
some) is compared with as many of their passages as one who may see all (``chosen``), or
with every one of them when they are fewer (``memory.Block.seen``). numpy only: usearch and faiss are not needed for
this, and k-means over a sample takes seconds where an HNSW graph over a million
vectors took minutes to build on two cores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EXACT_UP_TO = 200_000
"""Vectors searched exactly; beyond, by lists (exact costs 17 ms here at 200,000)."""
PROBED = 0.1
"""The share of the lists a query is compared with: on real e5 vectors (benchmarks/
meaning_index.py) it finds 88% of the exact search's ten closest and 74% of its 300;
3.2% found 71% and 48%."""
PROBES = 32
"""At least this many lists are probed (all of them in a small index)."""
KINDRED_PROBED = 0.05
"""The share of the lists each passage of a story is compared with, for the passages of
other stories closest to it (``storyatlas.meaning.kindred``)."""
SAMPLE_PER_LIST = 40
ROUNDS = 8
CHUNK = 65_536


@dataclass(frozen=True)
class Lists:
    centroids: np.ndarray
    """One unit vector per list (float32)."""
    offsets: np.ndarray
    """List i holds rows offsets[i]:offsets[i + 1] of the reordered matrix."""

    def slices(self, queries: np.ndarray, probes: int | None = None) -> list[tuple[int, int]]:
        """(start, end) rows of the reordered matrix, of the lists closest to any of
        ``queries``: slices, so that reading them copies nothing."""
        return [(a, b) for a, b, _ in self.probed(queries, probes)]

    def probes(self, probes: int | None = None) -> int:
        """The lists a query is compared with: ``probes``, or a share of them (``PROBED``)."""
        return min(probes or max(PROBES, round(PROBED * len(self.centroids))), len(self.centroids))

    def probed(self, queries: np.ndarray, probes: int | None = None,
               held: np.ndarray | None = None) -> list[tuple[int, int, np.ndarray]]:
        """(start, end, which queries) for each list that is among the ``probes``
        closest to any of ``queries``: the queries whose closest it is. See ``chosen``
        for ``held``."""
        return self.grouped(*self.chosen(queries, probes, held))

    def chosen(self, queries: np.ndarray, probes: int | None = None,
               held: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(lists, queries): each query's closest lists, a pair each. ``held``: how many
        rows of each list may be found (of the stories a viewer may see, and the filters
        leave); then each query goes on to its next closest lists until they hold as many
        such rows as its ``probes`` closest hold rows. The lists were probed before the
        policy filtered them: a visitor who may see a few stories among many private ones
        near the query found none of them, though they were close, in lists not probed."""
        closeness = np.atleast_2d(queries) @ self.centroids.T
        k = self.probes(probes)
        if held is None:
            closest = np.argpartition(-closeness, k - 1, axis=1)[:, :k]
            return closest.ravel(), np.repeat(np.arange(len(closest)), k)
        order = np.argsort(-closeness, axis=1, kind="stable")
        wanted = np.cumsum(np.diff(self.offsets)[order], axis=1)[:, k - 1]
        short = np.cumsum(held[order], axis=1) < wanted[:, None]
        # up to and with the first list that makes up what is wanted (all, if none does)
        taken = np.minimum(short.sum(axis=1) + 1, len(self.centroids))
        mask = np.arange(len(self.centroids))[None, :] < taken[:, None]
        return order[mask], np.nonzero(mask)[0]

    def grouped(self, lists: np.ndarray, asked: np.ndarray) -> list[tuple[int, int, np.ndarray]]:
        """(start, end, which queries) for each list of the (list, query) pairs, once."""
        order = np.argsort(lists, kind="stable")
        lists, asked = lists[order], asked[order]
        bounds = np.flatnonzero(np.diff(lists)) + 1
        return [(int(self.offsets[lst]), int(self.offsets[lst + 1]), who)
                for lst, who in zip(lists[np.concatenate([[0], bounds])] if len(lists) else [], np.split(asked, bounds))
                if self.offsets[lst + 1] > self.offsets[lst]]

    def rows(self, lists: np.ndarray) -> int:
        """How many rows ``lists`` hold (a list as often as it is given)."""
        return int(np.diff(self.offsets)[lists].sum())


def how_many_lists(n: int) -> int:
    """About the square root of the number of vectors (1,000 lists of 1,000 at a million),
    as inverted-file indexes usually take: k-means over a sample of 40 a list then takes a
    few seconds on two cores."""
    return max(16, int(np.sqrt(n)))


def build(matrix: np.ndarray, seed: int = 0) -> tuple[np.ndarray, Lists]:
    """The order to store the rows in (list by list) and the lists."""
    n = len(matrix)
    k = min(how_many_lists(n), n)
    rng = np.random.default_rng(seed)
    sample = matrix[rng.choice(n, size=min(n, k * SAMPLE_PER_LIST), replace=False)]
    centroids = sample[rng.choice(len(sample), size=k, replace=False)].copy()
    for _ in range(ROUNDS):
        nearest = _assign(sample, centroids)
        sums = np.zeros_like(centroids)
        np.add.at(sums, nearest, sample)
        empty = np.bincount(nearest, minlength=k) == 0
        # a list no sample vector chose starts again from a random one
        sums[empty] = sample[rng.choice(len(sample), size=int(empty.sum()))]
        centroids = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    assigned = _assign(matrix, centroids)
    order = np.argsort(assigned, kind="stable")
    offsets = np.concatenate([[0], np.cumsum(np.bincount(assigned, minlength=k))])
    return order, Lists(centroids.astype(np.float32), offsets)


def _assign(vectors: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    out = np.empty(len(vectors), np.int64)
    for at in range(0, len(vectors), CHUNK):
        out[at:at + CHUNK] = np.argmax(vectors[at:at + CHUNK] @ centroids.T, axis=1)
    return out
