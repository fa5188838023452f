"""Words and meaning in one ranking.

The words index ranks the stories whose moments hold the query's words; the meaning
index (``storyatlas.meaning``) ranks the moments closest in meaning, in any language.
Reciprocal rank fusion (Cormack et al., 2009) adds 1 / (60 + rank) from each ranking a
story is in, so a story both find comes first, and one only meaning finds still gets a
place; each moment says why it is there ("words", "translation", "meaning", "theme").
"""

from __future__ import annotations

import sqlite3

import numpy as np

from storyatlas import meaning
from storyatlas.archive import Archive
from storyatlas.search import Moment, SearchQuery

K = 60
FUSED_WORD_STORIES = 200
"""Stories of the words ranking that take part (the rest follow in their own order)."""
MEANING_SEGMENTS = 300
RELAXED_WEIGHT = 0.5
"""A relaxed words ranking (moments holding only some of the query's words) counts half."""


def meaning_hits(archive: Archive, query: SearchQuery, within: np.ndarray) -> dict[int, list[tuple[int, float]]]:
    """Story -> its segments closest in meaning to the query (segment id, score), best
    first, among the stories the query may reach (``within``: the policy and the filters)."""
    found: dict[int, list[tuple[int, float]]] = {}
    for h in meaning.nearest(archive, query.text, query.viewer, MEANING_SEGMENTS, within=within):
        found.setdefault(h.story_id, []).append((h.segment_id, h.score))
    return found


def fuse(c: sqlite3.Connection, meant: dict[int, list[tuple[int, float]]], words_weight: float = 1.0) -> None:
    """Give the stories in ``temp.search_hits`` (tier 0: found by words) and those meaning
    found their fused score; stories only meaning found join them."""
    worded = [r[0] for r in c.execute(
        "SELECT story_id FROM temp.search_hits WHERE tier = 0 ORDER BY key DESC, story_id LIMIT ?",
        (FUSED_WORD_STORIES,))]
    fused: dict[int, float] = {sid: words_weight / (K + rank) for rank, sid in enumerate(worded, 1)}
    by_meaning = sorted(meant, key=lambda sid: -meant[sid][0][1])
    for rank, sid in enumerate(by_meaning, 1):
        fused[sid] = fused.get(sid, 0.0) + 1 / (K + rank)
    c.executemany(
        """INSERT INTO temp.search_hits (story_id, tier, key, score, fused) VALUES (?, 0, -1e18, ?, ?)
           ON CONFLICT(story_id) DO UPDATE SET tier = 0, fused = excluded.fused""",
        [(sid, meant[sid][0][1] if sid in meant else 0.0, score) for sid, score in fused.items()])


def with_meaning(moments: list[Moment], meant: list[tuple[int, float]], segments: dict[int, sqlite3.Row],
                 language: str | None, limit: int) -> list[Moment]:
    """A story's moments with meaning's: a moment both found says so; where the words
    found none, the closest moments in meaning are shown."""
    close = {segment_id for segment_id, _ in meant}
    marked = [m if m.segment_id not in close else Moment(m.segment_id, m.start, m.end, m.text, m.text_en, m.snippet,
                                                           m.at, (*m.why, "meaning"), m.language) for m in moments]
    if marked:
        return marked
    out = []
    for segment_id, _ in meant[:limit]:
        s = segments[segment_id]
        out.append(Moment(segment_id, s["start"], s["end"], s["text"], s["text_en"], s["text"], s["start"],
                          ("meaning",), s["language"] or language))
    return out
