"""Counting a search's facets over thousands of stories without reading them.

A search for a common word matches most of the archive; counting its facets with one SQL
aggregate per facet read every matching story eight times (the language facet through
``json_each``), longer than the search itself. Here each story's facet values are read
once per archive state into arrays (a few MB for 25,000 stories), and a set of story ids
is counted with ``numpy.bincount``; a few stories (a rare word's) from each story's own
values, as a pass over every story's took most of such a search's facets. The caller
passes only ids the access policy already allows (a search's hits); a value is shown only
as counted over those.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from storyatlas.archive import Archive
from storyatlas.archive.discover import LANGUAGES_SPOKEN

# up to this many stories are counted from their own values
_FEW = 500
_SINGLE = {"country": "st.country", "region": "st.region", "community": "st.community",
           "collection": "st.collection", "year": "substr(st.recorded_on, 1, 4)",
           "review_state": "st.review_state"}


@dataclass(frozen=True)
class _Facet:
    values: list[str]
    story: np.ndarray
    """Positions (in ``_Table.ids``) of the stories, one per (story, value) pair."""
    code: np.ndarray
    """The value of each pair, as an index into ``values``."""


class _Table:
    def __init__(self, archive: Archive) -> None:
        c = archive.conn
        rows = c.execute(
            f"SELECT st.id, {LANGUAGES_SPOKEN}, {', '.join(_SINGLE.values())} FROM stories st ORDER BY st.id"
        ).fetchall()
        self.ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        self.facets: dict[str, _Facet] = {}
        for i, name in enumerate(_SINGLE, 2):
            self.facets[name] = _pairs((at, r[i]) for at, r in enumerate(rows))
        languages = c.execute(
            f"""SELECT DISTINCT st.id, spoken.value FROM stories st, json_each({LANGUAGES_SPOKEN}) AS spoken
                ORDER BY st.id""").fetchall()
        self.facets["language"] = _pairs(self._positions(languages))
        themes = c.execute("SELECT story_id, theme_id FROM story_themes ORDER BY story_id").fetchall()
        self.facets["theme"] = _pairs(self._positions(themes))
        # every story's values of every facet, story by story: (facet, value) as one number
        self._names = list(self.facets)
        story = np.concatenate([f.story for f in self.facets.values()])
        value = np.concatenate([i * _CODES + f.code for i, f in enumerate(self.facets.values())])
        order = np.argsort(story, kind="stable")
        self._values = value[order]
        self._starts = np.searchsorted(story[order], np.arange(len(self.ids) + 1))

    def _positions(self, rows: list) -> list[tuple[int, str]]:
        ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        at = np.searchsorted(self.ids, ids)
        return [(int(p), r[1]) for p, r in zip(at, rows) if p < len(self.ids) and self.ids[p] == r[0]]

    def counts(self, story_ids: np.ndarray, names: Sequence[str], limit: int) -> dict[str, list[tuple[str, int]]]:
        at = np.searchsorted(self.ids, story_ids)
        known = at < len(self.ids)
        known[known] = self.ids[at[known]] == story_ids[known]
        if len(story_ids) <= _FEW:
            return self._few(np.unique(at[known]), names, limit)
        chosen = np.zeros(len(self.ids), bool)  # each story once, however often given
        chosen[at[known]] = True
        out: dict[str, list[tuple[str, int]]] = {}
        for name in names:
            facet = self.facets[name]
            n = np.bincount(facet.code[chosen[facet.story]], minlength=len(facet.values))
            out[name] = _most_first([(facet.values[i], int(n[i])) for i in np.flatnonzero(n)], limit)
        return out


    def _few(self, at: np.ndarray, names: Sequence[str], limit: int) -> dict[str, list[tuple[str, int]]]:
        """``counts`` of the stories at these (distinct) positions, from their own values."""
        starts, ends = self._starts[at], self._starts[at + 1]
        sizes = ends - starts
        # the positions of every chosen story's values, range after range
        taken = np.repeat(starts - np.cumsum(sizes) + sizes, sizes) + np.arange(sizes.sum())
        values, n = np.unique(self._values[taken], return_counts=True)
        found: dict[str, list[tuple[str, int]]] = {name: [] for name in names}
        for value, times in zip(values.tolist(), n.tolist()):
            name = self._names[value // _CODES]
            if name in found:
                found[name].append((self.facets[name].values[value % _CODES], times))
        return {name: _most_first(counted, limit) for name, counted in found.items()}


def _most_first(counted: list[tuple[str, int]], limit: int) -> list[tuple[str, int]]:
    return sorted(counted, key=lambda v: (-v[1], v[0]))[:limit]


def _pairs(pairs) -> _Facet:
    values: dict[str, int] = {}
    story, code = [], []
    for at, value in pairs:
        if value is None or value == "":
            continue
        story.append(at)
        code.append(values.setdefault(str(value), len(values)))
    return _Facet(list(values), np.array(story, np.int64), np.array(code, np.int64))


# a facet's values are numbered below this (a value's number and its facet's in one)
_CODES = 1 << 32
_lock = threading.Lock()
_tables: dict[str, tuple[int, _Table]] = {}


def facet_counts(archive: Archive, story_ids: np.ndarray, names: Sequence[str], limit: int = 20,
                 keep: bool = True) -> dict[str, list[tuple[str, int]]]:
    """Per facet, its ``limit`` most common values among ``story_ids`` (stories the
    caller's viewer may see) with their counts, most first. ``keep``: False inside a
    transaction that may yet be rolled back (its generation number may be given to
    another state)."""
    key = archive.identity()
    generation = archive.generation()
    with _lock:
        found = _tables.get(key)
    if found is None or found[0] != generation:
        table = _Table(archive)
        if keep:
            with _lock:
                _tables[key] = (generation, table)
    else:
        table = found[1]
    return table.counts(np.asarray(story_ids, np.int64), names, limit)
