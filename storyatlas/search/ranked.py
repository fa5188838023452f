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
    """The best of them, best first (at most as many as asked), with their score: bm25,
    or for a relaxed query the number of its words the story holds."""


def answers(parsed: Query, relaxed: bool) -> bool:
    """Whether the stories' rows answer this query: single words (a phrase needs the
    moments) and nothing left out; one clause (a story holds it when a moment does), or
    a relaxed query (any of the words: stories holding more of them first)."""
    return ((relaxed or len(parsed.clauses) == 1) and not parsed.excluded
            and not any(t.phrase for c in parsed.clauses for t in c))


def rank_any(conn: sqlite3.Connection, parsed: Query, reachable: np.ndarray, wanted: int) -> Ranked:
    """A relaxed query (no moment holds every word): the stories among ``reachable``
    holding any of its words, those holding more of them first, then the newest. Read
    from the stories' rows: asking the moments which hold how many of three common
    words took 250 ms at a million segments."""
    held = [rowids(conn, _match(forms)) for forms in (_forms(c) for c in parsed.clauses) if forms]
    if not held:
        return Ranked(np.zeros(0, np.int64), [])
    ids, counts = np.unique(np.concatenate(held), return_counts=True)
    keep = among(ids, reachable)
    ids, counts = ids[keep], counts[keep]
    order = np.lexsort((-ids, -counts))[:wanted]
    return Ranked(ids, [(int(ids[i]), float(counts[i])) for i in order])


def _forms(clause: tuple[Term, ...]) -> list[str]:
    return sorted({f for t in clause for f in t.forms()})


def _match(forms: list[str], times: int | None = None) -> str:
    return " OR ".join(literal(f if times is None else tier(f, times)) for f in forms)


def rank(conn: sqlite3.Connection, parsed: Query, reachable: np.ndarray, wanted: int) -> Ranked:
    """The stories among ``reachable`` (sorted ids) holding the query's one clause, and
    the first ``wanted`` of them: by band (how often they say it), then bm25 (within a
    band of stories that say it at least so often, the shorter story first)."""
    forms = _forms(parsed.clauses[0])
    if not forms:
        return Ranked(np.zeros(0, np.int64), [])
    every = _match(forms)
    matched = _reachable(rowids(conn, every), reachable)
    if not len(matched):
        return Ranked(matched, [])
    # the bands from the top (each band's stories are among the next lower one's),
    # counted until one holds enough stories; the bands above it are read whole (few
    # stories), that one only as far as the page needs: bm25 ranks it in SQL
    tiers = list(reversed(TIERS))
    counts: dict[int, int] = {}
    if len(matched) <= wanted:
        # the page takes every story: the bands are counted from the bottom, up to the
        # first empty one (a rare word: one count, not six)
        for times in TIERS:
            counts[times] = _count(conn, _match(forms, times))
            if not counts[times]:
                counts.update(dict.fromkeys(TIERS[TIERS.index(times):], 0))
                break
    else:
        for times in tiers:
            counts[times] = _count(conn, _match(forms, times))
            if counts[times] >= wanted:
                break
    first: list[tuple[int, float]] = []
    above: int | None = None
    for times in [*tiers, 1]:
        if times != 1 and counts.get(times, 1) == 0:
            continue
        # a band is matched by its mark alone: with the word itself beside it, bm25 first
        # counted every story that says the word (31 ms for "water" at a million
        # segments); by the mark, bm25 puts the shorter stories (denser in the word) first
        band = f"({_match(forms, times)})" if times > 1 else f"({every})"
        if above is not None:
            band += f" NOT ({_match(forms, above)})"
        first += _best(conn, band, reachable, wanted - len(first))
        above = times
        if len(first) >= wanted or times == 1:
            break
    return Ranked(matched, first[:wanted])


def _best(conn: sqlite3.Connection, band: str, reachable: np.ndarray, wanted: int) -> list[tuple[int, float]]:
    """The best ``wanted`` stories of one band among ``reachable``, by bm25: a few more
    than wanted first (most stories are reachable), then all of them."""
    for limit in (wanted * 2 + 20, -1):
        rows = conn.execute(
            "SELECT rowid, bm25(story_terms) FROM story_terms WHERE story_terms MATCH ? ORDER BY rank LIMIT ?",
            (band, limit)).fetchall()
        ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        kept = [(int(r[0]), -float(r[1])) for r, k in zip(rows, among(ids, reachable)) if k]
        if len(kept) >= wanted or limit == -1 or len(rows) < limit:
            return kept[:wanted]
    return []


def _count(conn: sqlite3.Connection, match: str) -> int:
    return conn.execute("SELECT count(*) FROM story_terms WHERE story_terms MATCH ?", (match,)).fetchone()[0]


def rowids(conn: sqlite3.Connection, match: str, table: str = "story_terms",
           within: tuple[int, int] = (0, (1 << 63) - 1)) -> np.ndarray:
    """The rowids of the words index's rows (``story_terms`` or ``segment_terms``) that
    ``match`` matches, in order (those ``within`` a range of rowids)."""
    # one string rather than a row each: a third of the time for 25,000 stories
    found = conn.execute(f"SELECT group_concat(rowid) FROM {table} WHERE {table} MATCH ? AND rowid BETWEEN ? AND ?",
                         (match, *within)).fetchone()[0]
    return np.fromstring(found, np.int64, sep=",") if found else np.zeros(0, np.int64)


def _reachable(ids: np.ndarray, reachable: np.ndarray) -> np.ndarray:
    return ids[among(ids, reachable)]


def among(ids: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Which of ``ids`` are in ``pool`` (sorted): a binary search each when they are
    few (``numpy.isin`` sorts both: 47 µs for 5 ids among 25,000 stories, against 3),
    ``isin`` when they are many (a binary search each took 2.3 ms for 25,000)."""
    if len(ids) > 1000 or not len(pool):
        return np.isin(ids, pool)
    at = np.searchsorted(pool, ids)
    return pool[np.minimum(at, len(pool) - 1)] == ids
