"""Words, meaning and themes in one ranking.

The words index ranks the stories whose moments hold the query's words; the meaning
index (``storyatlas.meaning``) ranks the moments closest in meaning, in any language;
the themes the query's words call up rank the stories tagged with them, the surest
first. Reciprocal rank fusion (Cormack et al., 2009) adds 1 / (60 + rank) from each
ranking a story is in, so a story more of them find comes first, and one only meaning
finds still gets a place; a place meaning gave counts less the farther the story is
below the closest (``CLOSENESS_SCALE``). Each moment says why it is there ("words",
"translation", "meaning", "theme").
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

import numpy as np

from storyatlas import meaning
from storyatlas.archive import Archive
from storyatlas.archive.word_index import STORY
from storyatlas.errors import SearchError
from storyatlas.meaning import encoding
from storyatlas.search import Moment, SearchQuery
from storyatlas.search.query import Query, Term, meant, said_and_left_out

K = 60
FUSED_WORD_STORIES = 200
"""Stories of the words ranking that take part (the rest follow in their own order)."""
MEANING_SEGMENTS = 300
RELAXED_WEIGHT = 0.1
"""A relaxed words ranking (moments holding only some of the query's words) counts a
tenth. Such moments are mostly in the query's own language, which the stories it is after
across languages are not: once a passage's vector read its English too, meaning alone
put the story a query was written for first more often than the fused ranking with them
counted half (27 against 22 of 72 queries about a moment of a held-apart story; 43
against 40 of the 52 on real recordings). Counted a tenth: 24 and 41, mean reciprocal
rank 0.461 and 0.860 against 0.426 and 0.850, and the theme names' as good or better
(held apart 0.744 / 0.893 against 0.743 / 0.888). Chosen having seen all four: a
quarter was as good on sets 1-3 and the recordings, worse on the held-apart moments
(0.434); not counting them at all gave 0.482 and 0.873 but leaves a story that only
holds some of the words no place among those meaning ranks alike."""
ABOUT_THEMES = 0.5
"""Above this share of a query's words searched calling its themes up, the query is about
them (every story of theirs takes part in fusion); from it on, their ranking counts fully
among the stories found, and below it by that share (``fuse``)."""
CLOSENESS_SCALE = 0.1
"""A story's place in meaning's ranking counts exp(-d / 0.1), d how far its closest
passage is below the closest of all (corrected closeness, ``meaning.MIN_SCORE``), and so
does its place among a theme's stories where the query is not about its themes (fully
where meaning did not find it, only the words). Ranks
alone made meaning's 22nd, 0.08 below a first that was clear of the rest, count nearly as
much as that first (1 / 82 against 1 / 61), so stories a theme and meaning found both,
faintly, came before the one a query was written for ("pongo dos platos por costumbre",
I set two plates out of habit, 9th; meaning put it first): meaning alone put more of
those first (27 of 72 moments, 43 of 52 recordings, against 24 and 40). Scaled by 0.1:
30 and 43, the theme names' as they were. 0.05 and 0.15 were tried beside it (README,
*Finding stories across languages*)."""


def meaning_hits(archive: Archive, query: SearchQuery, within: np.ndarray,
                 parsed: Query | None = None) -> dict[int, list[tuple[int, float]]]:
    """Story -> its segments closest in meaning to the query (segment id, score), best
    first, among the stories the query may reach (``within``: the policy and the filters).
    A segment saying a word the query leaves out ("-cellar", "-riv*": ``parsed``'s terms,
    a word typed with * standing for those it begins) is none, as for the words.
    None when the encoder cannot load: the stories found by their words are still an answer."""
    excluded = parsed.excluded if parsed is not None else said_and_left_out(query.text)[1]
    # "-cellar" read as part of the query drew the cellar passages to it
    text = meant(query.text)
    if not text.strip():
        return {}
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


def fuse(c: sqlite3.Connection, meant: dict[int, list[tuple[int, float]]], words_weight: float = 1.0,
         by_theme: Sequence[int] = (), about_themes: bool = False, worded: Sequence[int] | None = None,
         theme_share: float = 1.0) -> None:
    """Give the stories in ``temp.search_hits`` (tier 0: found by words) and those meaning
    found their fused score; stories only meaning found join them. ``by_theme``: the
    stories tagged with a theme the query called up, surest first, a third ranking. Where
    the query is ``about_themes`` (most of its words call them up: "powódź", "Hochwasser
    und Überschwemmung") each counts its place in it, and those found by neither words
    nor meaning join; otherwise only those found so count, by their place among them and
    as near as meaning found them (``CLOSENESS_SCALE``): a theme one word of a longer
    query called up ("non", Dutch for nun, in "non sentiamo la terra muoversi": religion)
    put its stories above the one meaning found first, in two queries of 52 on real
    recordings. Where fewer than half the query's words searched called the themes up
    (``theme_share``), each counts only that share: "zatopiony kościół wyszedł z wody" (a
    drowned church came out of the water) calls up religion by one word of four, and put
    religious stories that meaning found 11th and 12th above the one it found first
    (README, *Finding stories across languages*); a theme's name ("Schools and
    education", by its first word) counts fully. ``worded``: the words ranking's stories
    (``words_ranked``), read here when not given."""
    worded = words_ranked(c) if worded is None else worded
    theme_weight = 1.0 if theme_share >= ABOUT_THEMES else theme_share
    fused: dict[int, float] = {sid: words_weight / (K + rank) for rank, sid in enumerate(worded, 1)}
    by_meaning = sorted(meant, key=lambda sid: -meant[sid][0][1])
    closest = meant[by_meaning[0]][0][1] if by_meaning else 0.0

    def near(sid: int) -> float:
        return math.exp((meant[sid][0][1] - closest) / CLOSENESS_SCALE) if sid in meant else 1.0

    for rank, sid in enumerate(by_meaning, 1):
        fused[sid] = fused.get(sid, 0.0) + near(sid) / (K + rank)
    # a theme a query is about is what it means, whatever meaning found closest
    for rank, sid in enumerate(by_theme if about_themes else [sid for sid in by_theme if sid in fused], 1):
        fused[sid] = fused.get(sid, 0.0) + (1.0 if about_themes else theme_weight * near(sid)) / (K + rank)
    c.executemany(
        """INSERT INTO temp.search_hits (story_id, tier, key, score, fused) VALUES (?, 0, -1e18, ?, ?)
           ON CONFLICT(story_id) DO UPDATE SET tier = 0, fused = excluded.fused""",
        [(sid, meant[sid][0][1] if sid in meant else 0.0, score) for sid, score in fused.items()])


def found(worded: Sequence[int], meant: dict[int, list[tuple[int, float]]]) -> np.ndarray:
    """The stories the words ranking brings to fusion (``words_ranked``) and those meaning found (sorted)."""
    return np.union1d(np.array(worded, np.int64), np.fromiter(meant, np.int64))


def words_ranked(c: sqlite3.Connection) -> list[int]:
    """The stories found by their words (tier 0 of ``temp.search_hits``) that take part in
    fusion, best first."""
    return [r[0] for r in c.execute(
        "SELECT story_id FROM temp.search_hits WHERE tier = 0 ORDER BY key DESC, story_id LIMIT ?",
        (FUSED_WORD_STORIES,))]


def closest(meant: list[tuple[int, float]], segments: Mapping[int, Mapping], language: str | None,
            limit: int) -> list[Moment]:
    """A story's moments closest in meaning (``meant``: segment and score, best first), up to ``limit``."""
    return [Moment(segment_id, s["start"], s["end"], s["text"], s["text_en"], s["text"], s["start"], ("meaning",),
                   s["language"] or language)
            for segment_id, s in ((segment_id, segments[segment_id]) for segment_id, _ in meant[:limit])]


def shown(ways: Sequence[tuple[Sequence[Moment], Collection[int]]], limit: int,
          close: Collection[int] = ()) -> list[Moment]:
    """Up to ``limit`` of a story's moments, from each way it was found: ``ways`` in the
    order they are shown (its words and index points, themes, meaning), each its moments,
    best first, and the segments that explain it (where a theme is told, those meaning found).
    Each way that no moment taken already explains gives its best moment first, then
    the ways fill what is left in order: a story found by its words and through a theme
    showed only its words' moments, one found through a theme and by meaning only
    meaning's. A segment is shown once (an index point's moment beside it: it shows
    what people wrote there); one meaning found (``close``) says so."""
    taken: dict[tuple[int, int], Moment] = {}
    said: set[int] = set()

    def take(way: int, at: int) -> None:
        segment = _segment(ways[way][0][at])
        if segment is not None:
            # the segment as the first way that has it shows it (its words, marked)
            way, at = next((w, a) for w, (moments, _) in enumerate(ways) for a, m in enumerate(moments)
                           if _segment(m) == segment)
            said.add(segment)
        taken[way, at] = ways[way][0][at]

    def new(moment: Moment) -> bool:
        return _segment(moment) is None or moment.segment_id not in said

    for way, (moments, explaining) in enumerate(ways):
        first = next((at for at, m in enumerate(moments) if new(m)), None)
        if len(taken) < limit and first is not None and said.isdisjoint(explaining):
            take(way, first)
    for way, (moments, _) in enumerate(ways):
        for at, moment in enumerate(moments):
            if len(taken) < limit and (way, at) not in taken and new(moment):
                take(way, at)
    return [_meant(taken[k], close) for k in sorted(taken)]


def _segment(moment: Moment) -> int | None:
    """The segment a moment stands for, to show once; None for an index point's."""
    return None if "index" in moment.why else moment.segment_id


def _meant(moment: Moment, close: Collection[int]) -> Moment:
    if moment.segment_id not in close or "meaning" in moment.why:
        return moment
    return replace(moment, why=(*moment.why, "meaning"))
