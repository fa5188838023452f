"""Search through themes: a query's words, in any of the vocabulary's languages, call up
the themes they trigger, and so the stories tagged with them in other languages."""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass

import numpy as np

from storyatlas.archive import Archive, tags
from storyatlas.archive.discover import story_ids
from storyatlas.archive.word_index import STORY
from storyatlas.search.query import fold, query_words


@dataclass(frozen=True)
class _Triggers:
    order: dict[str, int]
    """Each theme's place in the vocabulary: the themes a query calls up come in it."""
    by_word: dict[str, tuple[tuple[str, frozenset[str]], ...]]
    """(theme id, a trigger phrase's folded words), filed under one word of the phrase:
    a phrase is called up only when every word of it is in the query, that one too."""


# the vocabulary holds ten thousand trigger words: fold and file them once per version
# of it, not on every search (looking at each of them took 0.45 ms a search)
_filed: dict[tuple[str, int], _Triggers] = {}
_lock = threading.Lock()


def _triggers(archive: Archive) -> _Triggers:
    key = (str(archive.path), tags.vocabulary_generation(archive))
    with _lock:
        found = _filed.get(key)
    if found is None:
        order, by_word = {}, {}
        for theme_id, triggers in tags.theme_triggers(archive):
            order[theme_id] = len(order)
            for phrases in triggers.values():
                for phrase in phrases:
                    words = frozenset(fold(w) for w in phrase.split())
                    if words:
                        by_word.setdefault(min(words), []).append((theme_id, words))
        found = _Triggers(order, {w: tuple(filed) for w, filed in by_word.items()})
        with _lock:
            _filed.clear()
            _filed[key] = found
    return found


def query_themes(archive: Archive, text: str) -> tuple[str, ...]:
    """Themes with a trigger made of the query's words (all of a phrase's words present)."""
    words = query_words(text)
    if not words:
        return ()
    triggers = _triggers(archive)
    called = {theme_id for w in words for theme_id, phrase in triggers.by_word.get(w, ()) if phrase <= words}
    return tuple(sorted(called, key=triggers.order.__getitem__))


def themed_stories(conn: sqlite3.Connection, themes: tuple[str, ...]) -> np.ndarray:
    """Every story tagged with any of ``themes`` (sorted, each once)."""
    return story_ids(conn, f"SELECT DISTINCT story_id AS id FROM story_themes WHERE theme_id IN ({_marks(themes)})",
                     themes)


def told_without(conn: sqlite3.Connection, themes: tuple[str, ...], story_ids: np.ndarray,
                 excluded_fts: str) -> dict[int, list[int]]:
    """Per story of ``story_ids``, its segments that tell one of ``themes`` and say none of
    the words a query leaves out (``excluded_fts``, against the words index): a story
    found through a theme with no such segment is no hit, as a moment saying such a word
    is none."""
    told: dict[int, list[int]] = {}
    for story_id, segment_id in conn.execute(
            f"""SELECT e.story_id, e.segment_id FROM theme_evidence e JOIN segments s ON s.id = e.segment_id
                WHERE e.theme_id IN ({_marks(themes)}) AND e.story_id IN (SELECT value FROM json_each(?))
                AND e.story_id * {STORY} + e.segment_id NOT IN (
                    SELECT rowid FROM segment_terms WHERE segment_terms MATCH ?)
                GROUP BY e.segment_id ORDER BY e.story_id, s.idx""",
            (*themes, json.dumps(story_ids.tolist()), excluded_fts)):
        told.setdefault(story_id, []).append(segment_id)
    return told


def rank_themed(conn: sqlite3.Connection, themes: tuple[str, ...], stories_sql: str, params: list,
                only: list[int] | None = None) -> None:
    """The stories among ``stories_sql`` (and ``only``, when given) tagged with any of
    ``themes`` into ``temp.search_hits``, below those found by their words (tier 1, by
    their best theme score); those already there stay as they are."""
    # the theme's stories are read and each looked up among the reachable ('+' keeps
    # SQLite from doing it the other way round, which it guesses cheaper for an IN list
    # it takes for 25 ids: at a million segments it looked up each of 21,000 reachable
    # stories under the theme, 5.6 ms against 1.4)
    conn.execute(
        f"""INSERT OR IGNORE INTO temp.search_hits (story_id, tier, key, score)
            SELECT t.story_id, 1, max(t.score), max(t.score) FROM story_themes t
            WHERE t.theme_id IN ({_marks(themes)}) AND +t.story_id IN ({stories_sql})
            {'AND t.story_id IN (SELECT value FROM json_each(?))' if only is not None else ''}
            GROUP BY t.story_id""", (*themes, *params, *([json.dumps(only)] if only is not None else [])))


def _marks(values: tuple[str, ...]) -> str:
    return ",".join("?" * len(values))
