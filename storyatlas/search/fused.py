"""Words and meaning in one ranking.

The words index ranks the stories whose moments hold the query's words; the meaning
index (``storyatlas.meaning``) ranks the moments closest in meaning, in any language.
Reciprocal rank fusion (Cormack et al., 2009) adds 1 / (60 + rank) from each ranking a
story is in, so a story both find comes first, and one only meaning finds still gets a
place; each moment says why it is there ("words", "translation", "meaning", "theme").
"""

from __future__ import annotations

import json
import sqlite3

import numpy as np

from storyatlas import meaning
from storyatlas.archive import Archive
from storyatlas.archive.word_index import STORY
from storyatlas.errors import SearchError
from storyatlas.meaning import encoding
from storyatlas.search import Moment, SearchQuery
from storyatlas.search.query import Query, Term, said_and_left_out

K = 60
FUSED_WORD_STORIES = 200
"""Stories of the words ranking that take part (the rest follow in their own order)."""
MEANING_SEGMENTS = 300
RELAXED_WEIGHT = 0.5
"""A relaxed words ranking (moments holding only some of the query's words) counts half."""


def meaning_hits(archive: Archive, query: SearchQuery, within: np.ndarray) -> dict[int, list[tuple[int, float]]]:
    """Story -> its segments closest in meaning to the query (segment id, score), best
    first, among the stories the query may reach (``within``: the policy and the filters).
    A segment saying a word the query leaves out ("-cellar") is none, as for the words.
    None when the encoder cannot load: the stories found by their words are still an answer."""
    said, excluded = said_and_left_out(query.text)
    # "-cellar" read as part of the query drew the cellar passages to it
    text = said if excluded else query.text
    try:
        hits = meaning.nearest(archive, text, query.viewer, MEANING_SEGMENTS, within=within)
    except SearchError as e:
        encoding.told_once(e)
        return {}
    kept = _in_snapshot(archive.conn, [(h.story_id, h.segment_id) for h in hits], excluded)
    found: dict[int, list[tuple[int, float]]] = {}
    for h in hits:
        if (h.story_id, h.segment_id) in kept:
            found.setdefault(h.story_id, []).append((h.segment_id, h.score))
    return found


def _in_snapshot(c: sqlite3.Connection, hits: list[tuple[int, int]],
                 excluded: tuple[Term, ...]) -> set[tuple[int, int]]:
    """The (story, segment) hits this connection's snapshot holds, saying none of ``excluded``.
    The vectors held in memory may have been read by another connection after this
    search's snapshot began: a segment made since (a split) was a hit the moments could
    not show (KeyError, a 500)."""
    if not hits:
        return set()
    ids = json.dumps([segment for _, segment in hits])
    kept = {(r[0], r[1]) for r in c.execute(
        "SELECT story_id, id FROM segments WHERE id IN (SELECT value FROM json_each(?))", (ids,))}
    if excluded and kept:
        said = Query((), excluded).excluded_fts()
        rowids = json.dumps([story * STORY + segment for story, segment in kept])
        kept -= {divmod(r[0], STORY) for r in c.execute(
            "SELECT rowid FROM segment_terms WHERE segment_terms MATCH ? AND rowid IN (SELECT value FROM json_each(?))",
            (said, rowids))}
    return kept


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
