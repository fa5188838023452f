"""The embedded search backend: SQLite FTS5 inside the archive file.

The words index (``segment_terms``, migration 0010) holds each segment's words stemmed
in the language spoken there and its English stemmed as English, with both texts'
words as said (folded) for quoted phrases; ``index_points_fts`` holds the titles,
synopses and keywords people wrote at index points. Triggers keep both in step in the
same transactions; ``rebuild`` makes them again.

A search is answered in SQL: one pass over the index gives each matching story its best
moment's score (moments holding more of the query's words first, then bm25), the story
read from the rowid (story id * 2^32 + segment id, migration 0011) so that no matching
segment is looked up; the total, the facets and the page are counted and read from
those stories, and only the page's stories' moments are read and scored again. The
stories a viewer may reach are the access policy's, kept in a temporary table per
connection for each archive generation, date and condition. "Did you mean" compares
the query's words with the index's words kept in memory per archive generation.
"""

from __future__ import annotations

import bisect
import difflib
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from storyatlas import stems
from storyatlas.archive import Archive, discover, tags
from storyatlas.archive.db import rebuild_word_search
from storyatlas.errors import SearchError
from storyatlas.search import FACETS, MARK_CLOSE, MARK_OPEN, Moment, SearchQuery, SearchResults, StoryHit, fused
from storyatlas.search.query import Query, parse
from storyatlas.search.themed import query_themes
from storyatlas.text import fold

# the original words weigh a little more than their machine translation (terms, terms_en,
# then the same as said, for phrases)
_WEIGHTS = "1.0, 0.8, 1.0, 0.8"
# an index point's title says most about its passage, then its keywords, then its synopsis
_INDEX_WEIGHTS = "2.0, 1.0, 1.5"
# a moment holding one more of the query's words ranks above any bm25 difference
_PER_WORD = 1_000_000.0
_SNIPPET_WORDS = 16
# "did you mean": candidates share the first letters, and at most this many are compared
_CANDIDATES = 3000
_STEM_PREFIXES = {*stems.LANGUAGES, stems.OTHER}
# the words index's rowids: story id * _STORY + segment id (migration 0011)
_STORY = 1 << 32
# "did you mean": the words index's words, per archive (path, generation)
_vocabularies: dict[tuple[str, int], list[str]] = {}
_vocabulary_lock = threading.Lock()


class _Marked:
    """A text with the query's words marked: which words matched, where."""

    def __init__(self, text: str | None, lang: str | None, forms: frozenset[str],
                 phrases: tuple[tuple[str, ...], ...]) -> None:
        self.text = text or ""
        self.spans = stems.spans(self.text)
        key = stems.language_key(lang)
        hit = [stems.term(w, key) in forms for _, _, w in self.spans]
        if phrases:
            folded = [fold(w) for _, _, w in self.spans]
            for phrase in phrases:
                n = len(phrase)
                for i in range(len(folded) - n + 1):
                    if tuple(folded[i:i + n]) == phrase:
                        hit[i:i + n] = [True] * n
        self.hit = hit

    @property
    def found(self) -> bool:
        return any(self.hit)

    def snippet(self) -> str:
        """Up to 16 words around the first match, matched runs between the marks."""
        spans, hit = self.spans, self.hit
        if not spans:
            return self.text
        first = hit.index(True) if any(hit) else 0
        lo = max(0, min(first - 3, len(spans) - _SNIPPET_WORDS)) if len(spans) > _SNIPPET_WORDS else 0
        hi = min(len(spans), lo + _SNIPPET_WORDS)
        out, at = [], spans[lo][0] if lo else 0
        i = lo
        while i < hi:
            if hit[i]:
                j = i
                while j + 1 < hi and hit[j + 1]:
                    j += 1
                out += [self.text[at:spans[i][0]], MARK_OPEN, self.text[spans[i][0]:spans[j][1]], MARK_CLOSE]
                at = spans[j][1]
                i = j + 1
            else:
                i += 1
        end = spans[hi - 1][1] if hi < len(spans) else len(self.text)
        out.append(self.text[at:end])
        return ("…" if lo else "") + "".join(out).strip() + ("…" if hi < len(spans) else "")


class FTSBackend:
    """Which stories a query may reach comes from the archive's access policy
    (``discover.stories_sql``); this module reads only the indexes and the segments."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.conn = archive.conn
        self._outer = False

    def search(self, query: SearchQuery) -> SearchResults:
        parsed = parse(query.text, query.language)
        if parsed is None and not (query.meaning and query.text.strip()):
            return SearchResults(query, 0)
        themes = query_themes(self.archive, query.text)
        try:
            with self._snapshot():
                results = self._search(query, parsed, themes)
                if parsed is None:
                    # only stop words (spaCy's lists hold some content words: Italian
                    # "paese"): nothing for the words index, but meaning may find it
                    return results
                if results.by_words == 0 and len(parsed.clauses) > 1:
                    # no moment holds every word: moments holding most of them
                    results = self._search(query, parsed, themes, relaxed=True)
                if results.by_words == 0 or results.relaxed:
                    results = replace(results, suggestions=self._suggest(query, parsed))
        except sqlite3.OperationalError as e:
            raise SearchError(f"the search index cannot answer ({e}); run `storyatlas reindex`") from e
        return results

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """One read transaction: every count and page comes from the same archive."""
        if self.conn.in_transaction:
            self._outer = True
            try:
                yield
            finally:
                self._outer = False
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.conn.execute("COMMIT")

    def _stories(self, query: SearchQuery) -> tuple[str, list]:
        """The ids of the stories the query may reach (the access policy and the filters),
        as a query: a temporary table of them made once per archive generation, date
        and condition on this connection (the same policy, read once rather than on
        every statement); the policy's own query inside a caller's transaction, which
        may yet be rolled back."""
        filters = {name: getattr(query, name) for name in (*discover.FILTERS, "year", "theme")}
        sql, params = discover.stories_sql(query.viewer, filters)
        if self._outer:
            return sql, params
        c = self.conn
        # the condition holds today's date (embargoes), so the key changes with the day too
        key = repr((sql, params, self.archive.generation()))
        c.execute("CREATE TEMP TABLE IF NOT EXISTS search_visible (id INTEGER PRIMARY KEY)")
        c.execute("CREATE TEMP TABLE IF NOT EXISTS search_visible_key (key TEXT NOT NULL)")
        found = c.execute("SELECT key FROM temp.search_visible_key").fetchone()
        if found is None or found[0] != key:
            c.execute("DELETE FROM temp.search_visible")
            c.execute(f"INSERT INTO temp.search_visible (id) {sql}", params)
            c.execute("DELETE FROM temp.search_visible_key")
            c.execute("INSERT INTO temp.search_visible_key (key) VALUES (?)", (key,))
        return "SELECT id FROM temp.search_visible", []

    def _tables(self) -> None:
        c = self.conn
        c.execute("""CREATE TEMP TABLE IF NOT EXISTS search_hits (
                         story_id INTEGER PRIMARY KEY, tier INTEGER NOT NULL, key REAL NOT NULL, score REAL NOT NULL,
                         fused REAL NOT NULL DEFAULT 0)""")
        c.execute("DELETE FROM temp.search_hits")

    def _matched(self, parsed: Query, relaxed: bool, story: int | None = None) -> tuple[str, list]:
        """SQL of how many of the query's words (clauses) a moment holds, for the score."""
        if not relaxed:
            return str(len(parsed.clauses)), []
        within, bounds = "", []
        if story is not None:
            within, bounds = " AND rowid BETWEEN ? AND ?", [story * _STORY, (story + 1) * _STORY - 1]
        one = f"(segment_terms.rowid IN (SELECT rowid FROM segment_terms WHERE segment_terms MATCH ?{within}))"
        return " + ".join([one] * len(parsed.clauses)), [
            v for clause in parsed.clauses for v in (parsed.clause_fts(clause), *bounds)]

    def _search(self, query: SearchQuery, parsed: Query | None, themes: tuple[str, ...],
                relaxed: bool = False) -> SearchResults:
        stories_sql, params = self._stories(query)
        c = self.conn
        self._tables()
        index_points: dict[int, list[int]] = {}
        if parsed is not None:
            index_points = self._words(parsed, relaxed, stories_sql, params, query.moments_per_story)
        if themes:
            # stories found only through a theme come after those with the words
            c.execute(
                f"""INSERT OR IGNORE INTO temp.search_hits (story_id, tier, key, score)
                    SELECT t.story_id, 1, max(t.score), max(t.score) FROM story_themes t
                    WHERE t.theme_id IN ({','.join('?' * len(themes))}) AND t.story_id IN ({stories_sql})
                    GROUP BY t.story_id""", (*themes, *params))
        by_words = c.execute("SELECT count(*) FROM temp.search_hits").fetchone()[0]
        meant = fused.meaning_hits(self.archive, query, stories_sql, params) if query.meaning else {}
        if meant:
            fused.fuse(c, meant, words_weight=fused.RELAXED_WEIGHT if relaxed else 1.0)
        total = c.execute("SELECT count(*) FROM temp.search_hits").fetchone()[0]
        facets = discover.facet_counts_sql(self.archive, "SELECT story_id FROM temp.search_hits", query.viewer,
                                           FACETS) if total else {name: [] for name in FACETS}
        page = c.execute("""SELECT story_id, tier, score FROM temp.search_hits ORDER BY tier, fused DESC, key DESC,
                            story_id LIMIT ? OFFSET ?""", (query.limit, query.offset)).fetchall()
        if not page:
            return SearchResults(query, total, relaxed=relaxed, facets=facets, themes=themes, by_words=by_words)
        page_ids = [r[0] for r in page]
        stories = discover.summaries(self.archive, page_ids, query.viewer)
        index_moments = self._index_moments({sid: index_points[sid] for sid in page_ids if sid in index_points},
                                            parsed, relaxed) if parsed else {}
        themed = [r[0] for r in page if r[1] == 1]
        evidence = tags.theme_evidence(self.archive, themes, themed, query.viewer) if themed else {}
        worded = [r[0] for r in page if r[1] == 0] if parsed else []
        moments = self._moments(worded, evidence, parsed, relaxed, stories, query)
        for sid, found in index_moments.items():
            # the passages people titled come first: they say what the moment is about
            moments[sid] = (found + moments.get(sid, []))[: query.moments_per_story]
        if meant:
            self._with_meaning(moments, {sid: meant[sid] for sid in page_ids if sid in meant}, stories, query)
        story_themes = tags.themes_of(self.archive, themes, page_ids, query.viewer)
        hits = tuple(
            StoryHit(sid, stories[sid]["title"], stories[sid]["language"], stories[sid]["country"],
                     stories[sid]["collection"], score, tuple(moments.get(sid, ())),
                     story_themes.get(sid, ()), _languages(stories[sid]))
            for sid, _, score in page if sid in stories
        )
        return SearchResults(query, total, hits, relaxed, facets, themes=themes, by_words=by_words)

    def _words(self, parsed: Query, relaxed: bool, stories_sql: str, params: list,
               per_story: int) -> dict[int, list[int]]:
        """The stories whose moments (or index points) hold the query's words into
        ``temp.search_hits``; returns each story's best index points."""
        c = self.conn
        matched, matched_params = self._matched(parsed, relaxed)
        # one pass over the index: each story's best moment, the story read from the rowid
        # (story id * 2^32 + segment id), so no matching segment is looked up here
        c.execute(
            f"""INSERT INTO temp.search_hits (story_id, tier, key, score)
                SELECT story_id, 0, key, key - round(key / {_PER_WORD}) * {_PER_WORD} FROM (
                    SELECT story_id, max(key) AS key FROM (
                        -- LIMIT -1 keeps this a subquery: bm25 may not be read inside max()
                        SELECT segment_terms.rowid >> 32 AS story_id,
                               ({matched}) * {_PER_WORD} - bm25(segment_terms, {_WEIGHTS}) AS key
                        FROM segment_terms WHERE segment_terms MATCH ? LIMIT -1)
                    GROUP BY story_id)
                WHERE story_id IN ({stories_sql})""",
            [*matched_params, parsed.words_fts(relaxed), *params])
        return self._index_points(parsed, relaxed, stories_sql, params, per_story)

    def _with_meaning(self, moments: dict[int, list[Moment]], meant: dict[int, list[tuple[int, float]]],
                      stories: dict[int, sqlite3.Row], query: SearchQuery) -> None:
        ids = [segment for found in meant.values() for segment, _ in found]
        if not ids:
            return
        segments = {r["id"]: r for r in self.conn.execute(
            f"""SELECT id, start, end, text, text_en, language FROM segments
                WHERE id IN ({','.join('?' * len(ids))})""", ids)}
        for sid, found in meant.items():
            language = stories[sid]["language"] if sid in stories else None
            moments[sid] = fused.with_meaning(moments.get(sid, []), found, segments, language,
                                              query.moments_per_story)

    def _best_moments(self, worded: list[int], parsed: Query, relaxed: bool, per_story: int) -> list[sqlite3.Row]:
        """The page's stories' best moments (most of the words, then bm25, then the
        earliest), in one statement: bm25 is computed for their moments only."""
        if not worded:
            return []
        matched, matched_params = self._matched(parsed, relaxed)
        marks = ",".join("?" * len(worded))
        return self.conn.execute(
            f"""SELECT b.story_id, s.id, s.start, s.end, s.text, s.text_en, s.language FROM (
                    SELECT story_id, segment_id, key, row_number() OVER (PARTITION BY story_id ORDER BY key DESC, start) AS r
                    FROM (SELECT m.story_id, m.segment_id, m.key, s.start FROM (
                              SELECT segment_terms.rowid >> 32 AS story_id, segment_terms.rowid & {_STORY - 1} AS segment_id,
                                     ({matched}) * {_PER_WORD} - bm25(segment_terms, {_WEIGHTS}) AS key
                              FROM segment_terms WHERE segment_terms MATCH ? AND segment_terms.rowid >> 32 IN ({marks})
                              LIMIT -1) m
                          JOIN segments s ON s.id = m.segment_id)) b
                JOIN segments s ON s.id = b.segment_id WHERE b.r <= ? ORDER BY b.story_id, b.r""",
            [*matched_params, parsed.words_fts(relaxed), *worded, per_story]).fetchall()

    def _index_points(self, parsed: Query, relaxed: bool, stories_sql: str, params: list,
                      per_story: int) -> dict[int, list[int]]:
        """Stories whose index points hold the words, ranked with the moments; returns
        each story's best points."""
        words = 1 if relaxed else len(parsed.clauses)
        rows = self.conn.execute(
            f"""SELECT p.story_id, p.id, {words} * {_PER_WORD} - bm25(index_points_fts, {_INDEX_WEIGHTS}) AS key
                FROM index_points_fts JOIN index_points p ON p.id = index_points_fts.rowid
                WHERE index_points_fts MATCH ? AND p.story_id IN ({stories_sql}) ORDER BY key DESC""",
            [parsed.plain_fts(relaxed), *params]).fetchall()
        best: dict[int, list[int]] = {}
        for sid, point_id, key in rows:
            if sid not in best:
                self.conn.execute(
                    """INSERT INTO temp.search_hits (story_id, tier, key, score) VALUES (?, 0, ?, ?)
                       ON CONFLICT(story_id) DO UPDATE SET key = max(key, excluded.key),
                       score = max(score, excluded.score)""", (sid, key, key - words * _PER_WORD))
            if len(best.setdefault(sid, [])) < per_story:
                best[sid].append(point_id)
        return best

    def _moments(self, worded: list[int], evidence: dict[int, list[int]], parsed: Query | None, relaxed: bool,
                 stories: dict[int, sqlite3.Row], query: SearchQuery) -> dict[int, list[Moment]]:
        """The moments shown per story: where its words are, else where its themes are told."""
        rows = self._best_moments(worded, parsed, relaxed, query.moments_per_story) if parsed else []
        terms = parsed.terms() if parsed else []
        forms = frozenset(f for t in terms for f in t.forms())
        phrases = tuple(t.folded for t in terms if t.phrase)
        found: list[tuple[int, sqlite3.Row, str | None]] = []
        for row in rows:
            # a segment stored before languages were told apart per segment is in the story's language
            found.append((row[0], row, row[6] or (stories[row[0]]["language"] if row[0] in stories else None)))
        first_word = self._first_matched_words({row[1]: lang for _, row, lang in found}, forms, phrases)
        moments: dict[int, list[Moment]] = {}
        for sid, (_, seg, start, end, text, text_en, _), lang in found:
            original = _Marked(text, lang, forms, phrases)
            english = _Marked(text_en, "en", forms, phrases)
            why = (("words",) if original.found else ()) + (("translation",) if english.found else ())
            snippet = english.snippet() if english.found and not original.found else original.snippet()
            moments.setdefault(sid, []).append(
                Moment(seg, start, end, text, text_en, snippet, first_word.get(seg, start), why, lang))
        theme_segments = {sid: segs[: query.moments_per_story] for sid, segs in evidence.items()
                          if sid not in moments}
        wanted = [seg for segs in theme_segments.values() for seg in segs]
        if wanted:
            segments = {r[0]: r for r in self.conn.execute(
                f"""SELECT id, story_id, start, end, text, text_en, language FROM segments
                    WHERE id IN ({','.join('?' * len(wanted))})""", wanted)}
            for sid, segs in theme_segments.items():
                for seg in segs:
                    s = segments[seg]
                    lang = s[6] or (stories[sid]["language"] if sid in stories else None)
                    moments.setdefault(sid, []).append(
                        Moment(seg, s[2], s[3], s[4], s[5], s[4], s[2], ("theme",), lang))
        return moments

    def _index_moments(self, wanted: dict[int, list[int]], parsed: Query, relaxed: bool) -> dict[int, list[Moment]]:
        """A moment at each matched index point: its title (and the matched part of its
        synopsis or keywords) as the snippet, at the point's time, why "index"."""
        import json

        ids = [p for points in wanted.values() for p in points]
        if not ids:
            return {}
        rows = {r[0]: r for r in self.conn.execute(
            f"""SELECT p.id, p.at, p.title, highlight(index_points_fts, 0, ?, ?),
                      snippet(index_points_fts, 1, ?, ?, '…', 16), highlight(index_points_fts, 2, ?, ?)
               FROM index_points_fts JOIN index_points p ON p.id = index_points_fts.rowid
               WHERE index_points_fts MATCH ? AND p.id IN ({','.join('?' * len(ids))})""",
            (MARK_OPEN, MARK_CLOSE) * 3 + (parsed.plain_fts(relaxed), *ids))}
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

    def _suggest(self, query: SearchQuery, parsed: Query) -> tuple[str, ...]:
        """Words said in stories the searcher may see, spelled like the query's words (for
        "did you mean"), as said (not the index's stems). Candidates come from the words
        index's own vocabulary (fts5vocab: a redacted or erased word is gone from it with
        its segment), over an index range of words with the same first letters; that
        vocabulary is the whole archive's, so each word is offered only once found in a
        story the searcher may see: a word from a private story must never be offered."""
        words = list(dict.fromkeys(f for t in parsed.terms() for f in t.folded if len(f) >= stems.MIN_VOCABULARY))
        if not words:
            return ()
        vocabulary = self._vocabulary()
        stories_sql, params = self._stories(query)
        suggestions: list[str] = []
        for word in words:
            prefix = word[:2]
            lo, hi = bisect.bisect_left(vocabulary, prefix), bisect.bisect_left(vocabulary, prefix + "\uffff")
            rows = [w for w in vocabulary[lo:hi] if len(word) - 2 <= len(w) <= len(word) + 2][:_CANDIDATES]
            close = [w for w in difflib.get_close_matches(word, rows, n=10, cutoff=0.75)
                     if w not in words]
            found = [said for said in (self._said_in(w, stories_sql, params) for w in close) if said]
            suggestions += found[:3]
        return tuple(dict.fromkeys(suggestions))

    def _vocabulary(self) -> list[str]:
        """The words index's words as said (folded), sorted: read once per archive
        generation from its vocabulary (fts5vocab) and kept in memory, so a misspelling
        does not read the postings of thousands of words. It is the whole archive's: each
        word is still offered only once found in a story the searcher may see."""
        key = (str(self.archive.path), self.archive.generation())
        with _vocabulary_lock:
            found = _vocabularies.get(key)
        if found is None:
            self.conn.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.segment_terms_vocab USING fts5vocab(main, segment_terms, row)")
            found = [r[0] for r in self.conn.execute(
                "SELECT term FROM temp.segment_terms_vocab WHERE instr(term, '_') = 0 ORDER BY term")]
            with _vocabulary_lock:
                _vocabularies.clear()
                _vocabularies[key] = found
        return found

    def _said_in(self, word: str, stories_sql: str, params: list) -> str | None:
        """The folded ``word`` as said (in lower case) in a story the searcher may see;
        None when no such story says it."""
        row = self.conn.execute(
            f"""SELECT s.text, s.text_en FROM segment_terms JOIN segments s ON s.id = segment_terms.rowid & {_STORY - 1}
                WHERE segment_terms MATCH ? AND segment_terms.rowid >> 32 IN ({stories_sql}) LIMIT 1""",
            ["{words words_en} : " + '"' + word.replace('"', "") + '"', *params]).fetchone()
        if row is None:
            return None
        for text in row:
            for _, _, said in stems.spans(text or ""):
                if fold(said) == word:
                    return said
        return word

    def _first_matched_words(self, languages: dict[int, str | None], forms: frozenset[str],
                             phrases: tuple[tuple[str, ...], ...]) -> dict[int, float]:
        """Start time of the first word of each segment that is one of the query's words."""
        found: dict[int, float] = {}
        if not languages:
            return found
        starts = {p[0] for p in phrases}
        marks = ",".join("?" * len(languages))
        for seg_id, start, word in self.conn.execute(
            f"SELECT segment_id, start, word FROM words WHERE segment_id IN ({marks}) ORDER BY segment_id, idx",
            list(languages),
        ):
            if seg_id in found:
                continue
            key = stems.language_key(languages[seg_id])
            if any(stems.term(w, key) in forms or fold(w) in starts for w in stems.words(word)):
                found[seg_id] = start
        return found

    def rebuild(self) -> int:
        """Rebuild the indexes; returns the number of segments indexed."""
        with self.archive.transaction() as c:
            c.execute("INSERT INTO index_points_fts(index_points_fts) VALUES ('rebuild')")
            rebuild_word_search(c)
        self.conn.execute("INSERT INTO segment_terms(segment_terms) VALUES ('optimize')")
        return self.conn.execute("SELECT count(*) FROM segments").fetchone()[0]


def _languages(story: sqlite3.Row) -> tuple[str, ...]:
    import json

    return tuple(v for v in json.loads(story["languages"]) if v)
