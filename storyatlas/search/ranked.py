"""Which stories hold a word, and the first of them, from the stories' rows of the words
index (``story_terms``, see storyatlas/archive/word_index.py).

For a query of one word (in any of its forms, or several joined by OR), a story holds it
when any of its moments does, so the stories' rows answer it exactly: one entry per story
instead of one per matching segment. The ranking reads the stories in bands, those that
say the word at least 64 times first, then 32, ..., then once (bm25 within a band), and
scores with bm25 only the bands the page needs: at a million segments "water" is said in
all 25,000 stories, and scoring them all took 34 ms where the first bands take a few.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import numpy as np

from storyatlas.archive.word_index import TIERS, tier
from storyatlas.search.query import Query, Term, literal


@dataclass(frozen=True)
class Ranked:
    matched: np.ndarray
    """Every story the viewer may reach that holds the words (sorted ids)."""
    first: list[tuple[int, float]]
    """The best of them, best first, with their bm25 score (at least as many as asked)."""


def answers(parsed: Query, relaxed: bool) -> bool:
    """Whether the stories' rows answer this query exactly: one clause of single words,
    nothing left out (a phrase, or words that must meet in one moment, need the moments)."""
    return (not relaxed and len(parsed.clauses) == 1 and not parsed.excluded
            and not any(t.phrase for t in parsed.clauses[0]))


def _forms(clause: tuple[Term, ...]) -> list[str]:
    return sorted({f for t in clause for f in t.forms()})


def _match(forms: list[str], times: int | None = None) -> str:
    return " OR ".join(literal(f if times is None else tier(f, times)) for f in forms)


def rank(conn: sqlite3.Connection, parsed: Query, reachable: np.ndarray, wanted: int) -> Ranked:
    """The stories among ``reachable`` (sorted ids) holding the query's one clause, and
    the first ``wanted`` of them: by band (how often they say it), then bm25."""
    forms = _forms(parsed.clauses[0])
    if not forms:
        return Ranked(np.zeros(0, np.int64), [])
    every = _match(forms)
    matched = _reachable(_ids(conn, every), reachable)
    if not len(matched):
        return Ranked(matched, [])
    # the bands from the top, counted until one holds enough stories (every band's
    # stories are among the next lower one's); its stories are scored, the higher bands'
    # told apart by their (fewer) ids
    tiers = list(reversed(TIERS))
    counts = {}
    for times in tiers:
        counts[times] = _count(conn, _match(forms, times))
        if counts[times] >= wanted * 1.2 + 10:
            break
    for lowest in [t for t in tiers if t in counts and counts[t] >= wanted] + [1]:
        band_of: dict[int, int] = {}
        for times in sorted(t for t in tiers if t > lowest and counts.get(t, 1)):  # higher bands overwrite
            band_of.update(dict.fromkeys(_ids(conn, _match(forms, times)).tolist(), times))
        scored = every if lowest == 1 else f"({every}) AND ({_match(forms, lowest)})"
        rows = conn.execute("SELECT rowid, bm25(story_terms) FROM story_terms WHERE story_terms MATCH ?",
                            (scored,)).fetchall()
        ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        keep = np.isin(ids, reachable)
        first = sorted(((int(r[0]), -float(r[1])) for r, k in zip(rows, keep) if k),
                       key=lambda r: (-band_of.get(r[0], lowest), -r[1], r[0]))
        if len(first) >= wanted or lowest == 1:
            return Ranked(matched, first[:wanted])
    return Ranked(matched, [])


def _count(conn: sqlite3.Connection, match: str) -> int:
    return conn.execute("SELECT count(*) FROM story_terms WHERE story_terms MATCH ?", (match,)).fetchone()[0]


def _ids(conn: sqlite3.Connection, match: str) -> np.ndarray:
    # one string rather than a row each: a third of the time for 25,000 stories
    found = conn.execute("SELECT group_concat(rowid) FROM story_terms WHERE story_terms MATCH ?",
                         (match,)).fetchone()[0]
    return np.fromstring(found, np.int64, sep=",") if found else np.zeros(0, np.int64)


def _reachable(ids: np.ndarray, reachable: np.ndarray) -> np.ndarray:
    return ids[np.isin(ids, reachable, assume_unique=True)]
