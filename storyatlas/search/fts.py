"""The embedded search backend: SQLite FTS5 inside the archive file.

The index (``segments_fts``) is kept in step with the segments by triggers in the
same transactions; ``rebuild`` makes it again from the segments. Diacritics are
folded by the unicode61 tokenizer, so "Überschwemmung" and "uberschwemmung" meet,
and the porter stemmer lets "pumped" find "pump".
"""

from __future__ import annotations

import difflib
import json
import sqlite3
from collections import Counter
from dataclasses import replace

from storyatlas.errors import SearchError
from storyatlas.search import FACETS, MARK_CLOSE, MARK_OPEN, Moment, SearchQuery, SearchResults, StoryHit
from storyatlas.search.query import fold, fts_query, query_words

# the original words weigh a little more than their machine translation
_WEIGHTS = "1.0, 0.8"


def _same_word(word: str, wanted: set[str]) -> bool:
    # the index stems words, so "pump" answers "pumped": compare by shared beginnings
    return any(word == w or (min(len(word), len(w)) >= 3 and (word.startswith(w) or w.startswith(word)))
               for w in wanted)


class FTSBackend:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def search(self, query: SearchQuery) -> SearchResults:
        match = fts_query(query.text)
        if match is None:
            return SearchResults(query, 0)
        results = self._search(query, match)
        if not results.stories:
            relaxed = fts_query(query.text, any_term=True)
            if relaxed != match:
                results = self._search(query, relaxed, relaxed=True)
        if not results.stories:
            results = replace(results, suggestions=self._suggest(query.text))
        return results

    def _search(self, query: SearchQuery, match: str, relaxed: bool = False) -> SearchResults:
        where, params = ["segments_fts MATCH ?"], [match]
        for column, value in (("language", query.language), ("country", query.country),
                              ("collection", query.collection), ("region", query.region)):
            if value:
                where.append(f"st.{column} = ? COLLATE NOCASE")
                params.append(value)
        if query.year:
            where.append("substr(st.recorded_on, 1, 4) = ?")
            params.append(query.year)
        if query.visibility is not None:
            where.append(f"st.visibility IN ({','.join('?' * len(query.visibility))})")
            params.extend(query.visibility)
        filters = " AND ".join(where)
        try:
            # one pass over the index: every matching segment with its story and score
            # (bm25 and snippet only work in the query that scans the FTS table)
            scored = self.conn.execute(
                f"""SELECT s.story_id, s.id, s.start, bm25(segments_fts, {_WEIGHTS})
                    FROM segments_fts JOIN segments s ON s.id = segments_fts.rowid
                    JOIN stories st ON st.id = s.story_id WHERE {filters}""", params).fetchall()
            by_story: dict[int, list[tuple[float, float, int]]] = {}
            for story_id, segment_id, start, score in scored:
                by_story.setdefault(story_id, []).append((score, start, segment_id))
            ranked = sorted(((min(hits)[0], sid) for sid, hits in by_story.items()))
            facets = self._facets(list(by_story))
            page = ranked[query.offset: query.offset + query.limit]
            if not page:
                return SearchResults(query, len(ranked), relaxed=relaxed, facets=facets)
            chosen = [seg for _, sid in page for _, _, seg in sorted(by_story[sid])[: query.moments_per_story]]
            rows = {r[1]: r for r in self.conn.execute(
                f"""SELECT s.story_id, s.id, s.start, s.end, s.text, s.text_en,
                           snippet(segments_fts, -1, ?, ?, '…', 16)
                    FROM segments_fts JOIN segments s ON s.id = segments_fts.rowid
                    WHERE segments_fts MATCH ? AND segments_fts.rowid IN ({",".join("?" * len(chosen))})""",
                [MARK_OPEN, MARK_CLOSE, match, *chosen])}
            ids = [sid for _, sid in page]
            stories = {r["id"]: r for r in self.conn.execute(
                f"SELECT id, title, language, country, collection FROM stories WHERE id IN ({','.join('?' * len(ids))})",
                ids)}
        except sqlite3.OperationalError as e:
            raise SearchError(f"the search index cannot answer ({e}); run `storyatlas reindex`") from e
        first_word = self._first_matched_words(chosen, query_words(query.text))
        hits = tuple(
            StoryHit(sid, stories[sid]["title"], stories[sid]["language"], stories[sid]["country"],
                     stories[sid]["collection"], -best,
                     tuple(Moment(*rows[seg][1:7], first_word.get(seg, rows[seg][2]))
                           for _, _, seg in sorted(by_story[sid])[: query.moments_per_story]))
            for best, sid in page
        )
        return SearchResults(query, len(ranked), hits, relaxed, facets)

    def _facets(self, story_ids: list[int]) -> dict[str, list[tuple[str, int]]]:
        counts: dict[str, Counter] = {name: Counter() for name in FACETS}
        for row in self.conn.execute(
            """SELECT language, country, region, collection, substr(recorded_on, 1, 4)
               FROM stories WHERE id IN (SELECT value FROM json_each(?))""", (json.dumps(story_ids),)):
            for name, value in zip(FACETS, row):
                if value:
                    counts[name][value] += 1
        return {name: sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:20] for name, c in counts.items()}

    def _suggest(self, text: str) -> tuple[str, ...]:
        """Indexed words spelled like the query's words (for "did you mean")."""
        words = [w for w in query_words(text) if len(w) >= 3]
        if not words:
            return ()
        self.conn.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.segments_vocab USING fts5vocab(main, segments_fts, row)")
        suggestions = []
        for word in words:
            # only words that share a first letter, so this stays quick on a large vocabulary
            candidates = [r[0] for r in self.conn.execute(
                "SELECT term FROM temp.segments_vocab WHERE term >= ? AND term < ? ORDER BY doc DESC LIMIT 5000",
                (word[0], word[0] + "\uffff"))]
            suggestions += difflib.get_close_matches(word, candidates, n=3, cutoff=0.75)
        return tuple(dict.fromkeys(s for s in suggestions if s not in words))

    def _first_matched_words(self, segment_ids: list[int], wanted: set[str]) -> dict[int, float]:
        """Start time of the first word of each segment that is one of the query's words."""
        found: dict[int, float] = {}
        marks = ",".join("?" * len(segment_ids))
        for seg_id, start, word in self.conn.execute(
            f"SELECT segment_id, start, word FROM words WHERE segment_id IN ({marks}) ORDER BY segment_id, idx",
            segment_ids,
        ):
            if seg_id not in found and _same_word(fold(word), wanted):
                found[seg_id] = start
        return found

    def rebuild(self) -> int:
        self.conn.execute("INSERT INTO segments_fts(segments_fts) VALUES ('rebuild')")
        return self.conn.execute("SELECT count(*) FROM segments").fetchone()[0]
