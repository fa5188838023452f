"""The embedded search backend: SQLite FTS5 inside the archive file.

The indexes (``segments_fts`` over the words spoken, ``index_points_fts`` over the
titles, synopses and keywords people wrote at index points) are kept in step by
triggers in the same transactions; ``rebuild`` makes them again. Diacritics are
folded by the unicode61 tokenizer, so "Überschwemmung" and "uberschwemmung" meet,
and the porter stemmer lets "pumped" find "pump".
"""

from __future__ import annotations

import difflib
import json
import sqlite3
from dataclasses import replace

from storyatlas.archive import Archive, discover, tags
from storyatlas.errors import SearchError
from storyatlas.search import FACETS, MARK_CLOSE, MARK_OPEN, Moment, SearchQuery, SearchResults, StoryHit
from storyatlas.search.query import fold, fts_query, query_words
from storyatlas.search.themed import query_themes

# the original words weigh a little more than their machine translation
_WEIGHTS = "1.0, 0.8"
# an index point's title says most about its passage, then its keywords, then its synopsis
_INDEX_WEIGHTS = "2.0, 1.0, 1.5"


def _same_word(word: str, wanted: set[str]) -> bool:
    # the index stems words, so "pump" answers "pumped": compare by shared beginnings
    return any(word == w or (min(len(word), len(w)) >= 3 and (word.startswith(w) or w.startswith(word)))
               for w in wanted)


class FTSBackend:
    """Which stories a query may reach comes from the archive's access policy
    (``discover.stories_sql``); this module reads only the index and the segments."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.conn = archive.conn

    def search(self, query: SearchQuery) -> SearchResults:
        match = fts_query(query.text)
        if match is None:
            return SearchResults(query, 0)
        themes = query_themes(self.archive, query.text)
        results = self._search(query, match, themes)
        if not results.stories:
            relaxed = fts_query(query.text, any_term=True)
            if relaxed != match:
                results = self._search(query, relaxed, themes, relaxed=True)
        if not results.stories:
            results = replace(results, suggestions=self._suggest(query))
        return results

    def _stories(self, query: SearchQuery) -> tuple[str, list]:
        filters = {name: getattr(query, name) for name in (*discover.FILTERS, "year", "theme")}
        return discover.stories_sql(query.viewer, filters)

    def _search(self, query: SearchQuery, match: str, themes: tuple[str, ...],
                relaxed: bool = False) -> SearchResults:
        stories_sql, params = self._stories(query)
        try:
            # one pass over the index: every matching segment with its story and score
            # (bm25 and snippet only work in the query that scans the FTS table)
            scored = self.conn.execute(
                f"""SELECT s.story_id, s.id, s.start, bm25(segments_fts, {_WEIGHTS})
                    FROM segments_fts JOIN segments s ON s.id = segments_fts.rowid
                    WHERE segments_fts MATCH ? AND s.story_id IN ({stories_sql})""",
                [match, *params]).fetchall()
            by_story: dict[int, list[tuple[float, float, int]]] = {}
            for story_id, segment_id, start, score in scored:
                by_story.setdefault(story_id, []).append((score, start, segment_id))
            by_index: dict[int, list[tuple[float, int]]] = {}
            for story_id, point_id, score in self.conn.execute(
                    f"""SELECT p.story_id, p.id, bm25(index_points_fts, {_INDEX_WEIGHTS})
                        FROM index_points_fts JOIN index_points p ON p.id = index_points_fts.rowid
                        WHERE index_points_fts MATCH ? AND p.story_id IN ({stories_sql})""", [match, *params]):
                by_index.setdefault(story_id, []).append((score, point_id))
            # sort keys: stories with the words (spoken, or written at an index point) by their
            # best bm25 (lower is better), then stories found only through a theme, by its score
            best = {sid: min(hits)[0] for sid, hits in by_story.items()}
            for sid, hits in by_index.items():
                best[sid] = min(best.get(sid, 0.0), min(hits)[0])
            ranked = sorted(((0, score), sid) for sid, score in best.items())
            themed = [((1, -score), sid) for sid, score in tags.stories_with_themes(
                self.archive, themes, stories_sql, params) if sid not in best]
            ranked += themed  # stories found only through a theme come after those with the words
            story_themes = tags.themes_of(self.archive, themes, [sid for _, sid in ranked], query.viewer)
            facets = self._facets([sid for _, sid in ranked], query)
            page = ranked[query.offset: query.offset + query.limit]
            if not page:
                return SearchResults(query, len(ranked), relaxed=relaxed, facets=facets, themes=themes)
            page_ids = [sid for _, sid in page]
            word_moments = {sid: [seg for _, _, seg in sorted(by_story[sid])[: query.moments_per_story]]
                            for sid in page_ids if sid in by_story}
            index_moments = self._index_moments(match, {
                sid: [p for _, p in sorted(by_index[sid])[: query.moments_per_story]]
                for sid in page_ids if sid in by_index})
            evidence = tags.theme_evidence(self.archive, themes, page_ids, query.viewer)
            evidence = {sid: segs for sid, segs in evidence.items() if sid not in index_moments}
            moments = self._moments(match, word_moments, evidence, query)
            for sid, found in index_moments.items():
                # the passages people titled come first: they say what the moment is about
                moments[sid] = (found + moments.get(sid, []))[: query.moments_per_story]
            stories = discover.summaries(self.archive, page_ids, query.viewer)
        except sqlite3.OperationalError as e:
            raise SearchError(f"the search index cannot answer ({e}); run `storyatlas reindex`") from e
        hits = tuple(
            StoryHit(sid, stories[sid]["title"], stories[sid]["language"], stories[sid]["country"],
                     stories[sid]["collection"], -key[1], self._spoken_in(moments.get(sid, ()), stories[sid]),
                     story_themes.get(sid, ()), tuple(v for v in json.loads(stories[sid]["languages"]) if v))
            for key, sid in page
        )
        return SearchResults(query, len(ranked), hits, relaxed, facets, themes=themes)

    @staticmethod
    def _spoken_in(moments: list[Moment], story: sqlite3.Row) -> tuple[Moment, ...]:
        # a segment stored before languages were told apart per segment is in the story's language
        return tuple(m if m.language else replace(m, language=story["language"]) for m in moments)

    def _moments(self, match: str, word_moments: dict[int, list[int]], evidence: dict[int, list[int]],
                 query: SearchQuery) -> dict[int, list[Moment]]:
        """The moments shown per story: where its words are, else where its themes are told."""
        wanted = [seg for segs in word_moments.values() for seg in segs]
        rows = {r[0]: r for r in self.conn.execute(
            """SELECT segments_fts.rowid, snippet(segments_fts, -1, ?, ?, '…', 16),
                       highlight(segments_fts, 0, ?, ?), highlight(segments_fts, 1, ?, ?)
                FROM segments_fts WHERE segments_fts MATCH ?
                AND segments_fts.rowid IN (SELECT value FROM json_each(?))""",
            (MARK_OPEN, MARK_CLOSE, MARK_OPEN, MARK_CLOSE, MARK_OPEN, MARK_CLOSE, match, json.dumps(wanted)))}
        theme_segments = {sid: segs[: query.moments_per_story] for sid, segs in evidence.items()
                          if sid not in word_moments}
        all_ids = wanted + [seg for segs in theme_segments.values() for seg in segs]
        segments = {r[0]: r for r in self.conn.execute(
            """SELECT id, story_id, start, end, text, text_en, language FROM segments
               WHERE id IN (SELECT value FROM json_each(?))""",
            (json.dumps(all_ids),))}
        first_word = self._first_matched_words(wanted, query_words(query.text))
        moments: dict[int, list[Moment]] = {}
        for sid, segs in word_moments.items():
            for seg in segs:
                _, snippet, original, english = rows[seg]
                why = (("words",) if MARK_OPEN in (original or "") else ()) + \
                      (("translation",) if MARK_OPEN in (english or "") else ())
                s = segments[seg]
                moments.setdefault(sid, []).append(
                    Moment(seg, s[2], s[3], s[4], s[5], snippet, first_word.get(seg, s[2]), why, s[6]))
        for sid, segs in theme_segments.items():
            for seg in segs:
                s = segments[seg]
                moments.setdefault(sid, []).append(
                    Moment(seg, s[2], s[3], s[4], s[5], s[4], s[2], ("theme",), s[6]))
        return moments

    def _index_moments(self, match: str, wanted: dict[int, list[int]]) -> dict[int, list[Moment]]:
        """A moment at each matched index point: its title (and the matched part of its
        synopsis or keywords) as the snippet, at the point's time, why "index"."""
        ids = [p for points in wanted.values() for p in points]
        if not ids:
            return {}
        rows = {r[0]: r for r in self.conn.execute(
            """SELECT p.id, p.at, p.title, highlight(index_points_fts, 0, ?, ?),
                      snippet(index_points_fts, 1, ?, ?, '…', 16), highlight(index_points_fts, 2, ?, ?)
               FROM index_points_fts JOIN index_points p ON p.id = index_points_fts.rowid
               WHERE index_points_fts MATCH ? AND p.id IN (SELECT value FROM json_each(?))""",
            (MARK_OPEN, MARK_CLOSE) * 3 + (match, json.dumps(ids)))}
        moments: dict[int, list[Moment]] = {}
        for sid, points in wanted.items():
            for point_id in points:
                _, at, title, title_marked, synopsis, keywords = rows[point_id]
                # keywords are a JSON list; the marks sit inside its strings, so it still parses
                marked_keywords = [k for k in json.loads(keywords or "[]") if MARK_OPEN in k]
                parts = [title_marked] + [p for p in (synopsis, ", ".join(marked_keywords)) if MARK_OPEN in p]
                segment = self.conn.execute(
                    "SELECT id, end FROM segments WHERE story_id = ? AND start <= ? ORDER BY start DESC LIMIT 1",
                    (sid, at)).fetchone()
                moments.setdefault(sid, []).append(Moment(
                    segment[0] if segment else None, at, max(at, segment[1]) if segment else at, title, None,
                    " — ".join(parts), at, ("index",)))
        return moments

    def _facets(self, story_ids: list[int], query: SearchQuery) -> dict[str, list[tuple[str, int]]]:
        counts = discover.facet_counts(self.archive, story_ids, query.viewer, FACETS)
        return {name: sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:20] for name, c in counts.items()}

    def _suggest(self, query: SearchQuery) -> tuple[str, ...]:
        """Indexed words spelled like the query's words (for "did you mean"), each one
        said in a story the searcher may see: the index's vocabulary is the whole
        archive's, so a word from a private story must never be offered."""
        words = [w for w in query_words(query.text) if len(w) >= 3]
        if not words:
            return ()
        self.conn.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.segments_vocab USING fts5vocab(main, segments_fts, row)")
        stories_sql, params = self._stories(query)
        suggestions: list[str] = []
        for word in words:
            # only words that share a first letter, so this stays quick on a large vocabulary
            candidates = [r[0] for r in self.conn.execute(
                "SELECT term FROM temp.segments_vocab WHERE term >= ? AND term < ? ORDER BY doc DESC LIMIT 5000",
                (word[0], word[0] + "\uffff"))]
            close = [c for c in difflib.get_close_matches(word, candidates, n=10, cutoff=0.75) if c not in words]
            suggestions += [c for c in close if self._said_in(c, stories_sql, params)][:3]
        return tuple(dict.fromkeys(suggestions))

    def _said_in(self, term: str, stories_sql: str, params: list) -> bool:
        return self.conn.execute(
            f"""SELECT EXISTS (SELECT 1 FROM segments_fts JOIN segments s ON s.id = segments_fts.rowid
                WHERE segments_fts MATCH ? AND s.story_id IN ({stories_sql}))""",
            ['"' + term.replace('"', "") + '"', *params]).fetchone()[0] == 1

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
        """Rebuild both indexes; returns the number of segments indexed."""
        self.conn.execute("INSERT INTO segments_fts(segments_fts) VALUES ('rebuild')")
        self.conn.execute("INSERT INTO index_points_fts(index_points_fts) VALUES ('rebuild')")
        return self.conn.execute("SELECT count(*) FROM segments").fetchone()[0]
