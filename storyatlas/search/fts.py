"""The embedded search backend: SQLite FTS5 inside the archive file.

The words index (migration 0014, storyatlas/archive/word_index.py) holds each segment's
words stemmed in the language spoken there and its English stemmed as English
(``segment_terms``), and each story's terms in one row (``story_terms``);
``index_points_fts`` holds the titles, synopses and keywords people wrote at index
points. Triggers and the archive's transactions keep them in step with the segments;
``rebuild`` makes them again.

A query of one word (in any of its forms, or words joined by OR) and a relaxed query
(no moment holds every word) are answered from the stories' rows (``ranked``): which
stories hold the words, counted without reading their segments, and the first of them.
Any other query (words that must meet in one moment, a phrase, words left out) reads
the moments: one pass over ``segment_terms`` gives each matching story the most of the
query's words one moment holds and how many moments hold them, the story read from the
rowid (story id * 2^32 + segment id). Either way only the page's stories' moments are
read and marked (``moments``), the total is counted from ids, and the facets from
arrays (``archive.facets``). The stories a viewer may reach are the access policy's,
kept in a temporary table (and an array) per connection for each archive generation,
date and condition.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace

import numpy as np

from storyatlas import stems
from storyatlas.archive import Archive, discover, tags, word_index
from storyatlas.archive.db import rebuild_word_search
from storyatlas.archive.facets import facet_counts
from storyatlas.errors import SearchError, said
from storyatlas.search import (
    FACETS,
    SearchQuery,
    SearchResults,
    StoryHit,
    fused,
    moments,
    parts,
    ranked,
    suggest,
    value_key,
    vocabulary,
)
from storyatlas.search.compounds import compounds
from storyatlas.search.known_words import KnownWords
from storyatlas.search.moments import PER_WORD, matched_sql
from storyatlas.search.query import Query, literal, parse, said_and_left_out, word_for_word
from storyatlas.search.themed import by_theme, called_up, rank_themed, themed_stories, told_without

# a paragraph pasted in is searched (500 words took 0.09 s on one story), but no more: 5,000
# took 0.9 s, and 2,000 quoted pairs passed FTS5's limit on an expression's depth
MAX_QUERY_WORDS, MAX_QUERY_CHARACTERS = 200, 2000
# an index point's title says most about its passage, then its keywords, then its synopsis;
# the column of all three with ß, ł... written out (migration 0024) least, as it repeats them
_INDEX_WEIGHTS = "2.0, 1.0, 1.5, 0.5"
# the stories a connection may reach, per temporary table (see _stories, _reachable)
_reachable: dict[str, np.ndarray] = {}
_reachable_lock = threading.Lock()


class FTSBackend:
    """Which stories a query may reach comes from the archive's access policy
    (``discover.stories_sql``); this module reads only the indexes and the segments."""

    def __init__(self, archive: Archive, known: KnownWords | None = None) -> None:
        """``known``: the words of the vocabulary's languages (``known_words.loaded``), which
        tell a query's language and a word spelled right to "did you mean"."""
        self.archive = archive
        self.known = known
        self.conn = archive.conn
        self._outer = False
        self._reachable_token: str | None = None

    def search(self, query: SearchQuery) -> SearchResults:
        if len(query.text) > MAX_QUERY_CHARACTERS or len(stems.words(query.text)) > MAX_QUERY_WORDS:
            raise SearchError(said("a search holds at most {words} words and {characters} characters: keep "
                                   "the words that matter most",
                                   words=MAX_QUERY_WORDS, characters=MAX_QUERY_CHARACTERS))
        try:
            with self._snapshot():
                visible = self._stories(query)

                def held(terms: Iterable[str]) -> set[str]:
                    return self._held(terms, *visible)

                # the stories' words tell the query's language: only those the searcher may
                # see, or what it finds would tell a private story's words
                parsed = parse(query.text, query.language, held, self.known)
                if parsed is None and not (query.meaning and _says_something(query.text)):
                    return SearchResults(query, 0, **self._suggest(visible, query, parsed))
                called = called_up(self.archive, query.text, parsed.language if parsed and parsed.told else None,
                                   self.known)
                themes = called.themes
                if parsed is not None:
                    parsed = parsed.begun(lambda word: vocabulary.begun(self._vocabulary(), word, held))
                    if self.known is not None:
                        # the vocabulary in memory even while a large archive's is read again:
                        # it only proposes compounds, and `held` keeps those said now
                        terms = vocabulary.kept_vocabulary(self.conn, self._words_key())
                        parsed = parsed.compounded(lambda word: compounds(terms, self.known, word, held))
                    forms = (f for t in (*parsed.terms(), *parsed.excluded) if not t.prefix for form in t.all_forms()
                             for f in form.split())
                    parsed = parsed.known(held(forms).__contains__)
                share = _theme_share(parsed, called.words) if themes else 0.0
                results = self._search(query, visible, parsed, themes, share)
                if parsed is None:
                    # only stop words (spaCy's lists hold words with a meaning: German
                    # "selbst"): nothing for the words index, but meaning may find it
                    return results if results.by_words else replace(results, **self._suggest(visible, query, parsed))
                if _relaxes(parsed, results.worded):
                    # no moment holds every word: moments holding most of them (stories a
                    # theme the query called up held none: "students" calling up schools
                    # kept "scaffolding helps students learn new things" from its clip)
                    results = self._search(query, visible, parsed, themes, share, relaxed=True)
                if results.worded == 0 or results.relaxed:
                    results = replace(results, **self._suggest(visible, query, parsed, called.words))
                results = replace(results, begun_cut=tuple(t.words[0] for t in parsed.terms() if t.more_begun))
        except sqlite3.DatabaseError as e:  # a damaged index says "malformed", not an operational error
            raise SearchError(said("the search index cannot answer ({detail}); run `storyatlas reindex` to make it "
                                   "again from the stories", detail=str(e))) from e
        return results

    def _held(self, terms: Iterable[str], stories_sql: str, params: list) -> set[str]:
        """Which of these index terms a moment of the stories ``stories_sql`` gives holds:
        one statement, reading each term's entries up to the first in such a story."""
        forms = sorted(set(terms))
        held: set[str] = set()
        for at in range(0, len(forms), 200):
            batch = forms[at:at + 200]
            held.update(batch[r[0]] for r in self.conn.execute(" UNION ALL ".join(
                f"""SELECT {i} FROM (SELECT 1 FROM segment_terms WHERE segment_terms MATCH ?
                                     AND segment_terms.rowid >> 32 IN ({stories_sql}) LIMIT 1)"""
                for i in range(len(batch))), [p for f in batch for p in (literal(f), *params)]))
        return held

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
        if query.theme:  # a theme's id is in lower case ("Floods" typed is "floods"), the others compare so
            filters["theme"] = query.theme.casefold()
        sql, params = discover.stories_sql(query.viewer, filters)
        if self._outer:
            return sql, params
        c = self.conn
        # the condition holds today's date (embargoes), so the key changes with the day too
        key = repr((sql, params, self.archive.generation()))
        c.execute("CREATE TEMP TABLE IF NOT EXISTS search_visible (id INTEGER PRIMARY KEY)")
        c.execute("CREATE TEMP TABLE IF NOT EXISTS search_visible_key (key TEXT NOT NULL, token TEXT NOT NULL)")
        found = c.execute("SELECT key, token FROM temp.search_visible_key").fetchone()
        if found is None or found[0] != key:
            c.execute("DELETE FROM temp.search_visible")
            c.execute(f"INSERT INTO temp.search_visible (id) {sql}", params)
            c.execute("DELETE FROM temp.search_visible_key")
            found = (key, secrets.token_hex(8))
            c.execute("INSERT INTO temp.search_visible_key (key, token) VALUES (?, ?)", found)
        self._reachable_token = found[1]
        return "SELECT id FROM temp.search_visible", []

    def _reachable(self, stories_sql: str, params: list) -> np.ndarray:
        """The ids ``_stories`` gives, sorted, kept in memory with the temporary table
        (named by a token made with it: it is this connection's, this state's)."""
        token = None if self._outer else self._reachable_token
        if token is not None:
            with _reachable_lock:
                found = _reachable.get(token)
            if found is not None:
                return found
        ids = discover.story_ids(self.conn, stories_sql, params)
        if token is not None:
            with _reachable_lock:
                if len(_reachable) > 16:
                    _reachable.clear()
                _reachable[token] = ids
        return ids

    def _tables(self) -> None:
        c = self.conn
        c.execute("""CREATE TEMP TABLE IF NOT EXISTS search_hits (
                         story_id INTEGER PRIMARY KEY, tier INTEGER NOT NULL, key REAL NOT NULL, score REAL NOT NULL,
                         fused REAL NOT NULL DEFAULT 0)""")
        c.execute("DELETE FROM temp.search_hits")

    def _search(self, query: SearchQuery, visible: tuple[str, list], parsed: Query | None, themes: tuple[str, ...],
                share: float = 0.0, relaxed: bool = False) -> SearchResults:
        """One search; ``share``: that of the query's words calling ``themes`` up (``_theme_share``):
        the query is about them where it is most (``fused.fuse``)."""
        stories_sql, params = visible
        about = share > fused.ABOUT_THEMES
        c = self.conn
        self._tables()
        index_points: dict[int, list[int]] = {}
        matched = np.zeros(0, np.int64)
        if parsed is not None:
            # the words ranking's first stories, and those fusion reads beside meaning's
            wanted = query.offset + query.limit + (fused.FUSED_WORD_STORIES if query.meaning else 0)
            index_points, matched = self._words(parsed, relaxed, stories_sql, params, wanted,
                                                query.moments_per_story)
        found = _union(matched, np.fromiter((r[0] for r in c.execute("SELECT story_id FROM temp.search_hits")),
                                            np.int64))
        themed_ids = np.zeros(0, np.int64)
        told: dict[int, list[int]] | None = None  # with words left out: where each themed story tells it
        worded = len(found)
        if themes:
            themed_ids = themed_stories(c, themes)
            themed_ids = themed_ids[ranked.among(themed_ids, self._reachable(stories_sql, params))]
            if parsed is not None and parsed.excluded and len(themed_ids):
                told = told_without(c, themes, themed_ids, parsed.excluded_fts())
                themed_ids = np.fromiter(told, np.int64)
            found = _union(found, themed_ids)
        by_words = len(found)
        if not relaxed and _relaxes(parsed, worded):
            # asked again relaxed (``search``): meaning, facets and moments here would be
            # thrown away ("Pelseldorned nemeklund vinfimekstad", fused: 80-93 ms, not 40)
            return SearchResults(query, 0, themes=themes)
        meant = fused.meaning_hits(self.archive, query, self._reachable(stories_sql, params), parsed) \
            if query.meaning else {}
        # the stories found only through a theme are ranked only where they count (reading
        # them into the ranking took 1.7 ms of a common word's 9 at a million segments,
        # and their ids back 0.6): in a fused search, those meaning found too with their
        # theme's score, and the theme's surest in fusion; in any search, the others after
        # those found otherwise, when they do not fill the page
        also = np.fromiter(meant, np.int64)
        also = also[ranked.among(also, themed_ids)]
        if len(also):
            rank_themed(c, themes, stories_sql, params, only=also.tolist())
        if meant:
            # the themes' ranking counts beside the words' and meaning's ("powódź", which no
            # story said, showed first a story of bad air that meaning put first, above the
            # flood stories that the theme called up and meaning found too), with all of a
            # theme's stories or only those found otherwise (``fused.fuse``)
            in_words = fused.words_ranked(c)
            counted = themed_ids if about else themed_ids[ranked.among(themed_ids, fused.found(in_words, meant))]
            fused.fuse(c, meant, fused.RELAXED_WEIGHT if relaxed else 1.0,
                       by_theme(c, themes, counted) if len(counted) else [], about, in_words, share)
            found = _union(found, np.fromiter(meant, np.int64))
        if len(themed_ids) and c.execute("SELECT count(*) FROM temp.search_hits").fetchone()[0] < \
                query.offset + query.limit:
            rank_themed(c, themes, stories_sql, params, only=None if told is None else themed_ids.tolist())
        total = len(found)
        facets = (_spellings_joined(facet_counts(self.archive, found, FACETS, keep=not self._outer)) if total
                  else {name: [] for name in FACETS})
        page = c.execute("""SELECT story_id, tier, score FROM temp.search_hits ORDER BY tier, fused DESC, key DESC,
                            story_id LIMIT ? OFFSET ?""", (query.limit, query.offset)).fetchall()
        if not page:
            return SearchResults(query, total, relaxed=relaxed, facets=facets, themes=themes, by_words=by_words,
                                 worded=worded)
        page_ids = [r[0] for r in page]
        stories = discover.summaries(self.archive, page_ids, query.viewer)
        shown = self._moments(query, parsed, relaxed, page, stories, index_points, themes, themed_ids, told, meant)
        story_themes = tags.themes_of(self.archive, themes, page_ids, query.viewer)
        hits = tuple(
            StoryHit(sid, stories[sid]["title"], stories[sid]["language"], stories[sid]["country"],
                     stories[sid]["collection"], score, tuple(shown.get(sid, ())),
                     story_themes.get(sid, ()), _languages(stories[sid]))
            for sid, _, score in page if sid in stories
        )
        return SearchResults(query, total, hits, relaxed, facets, themes=themes, by_words=by_words, worded=worded)

    def _moments(self, query: SearchQuery, parsed: Query | None, relaxed: bool, page: list, stories: dict,
                 index_points: dict[int, list[int]], themes: tuple[str, ...], themed_ids: np.ndarray,
                 told: dict[int, list[int]] | None, meant: dict[int, list[tuple[int, float]]]) -> dict[int, list]:
        """The moments of the page's stories that say why each was found: its index points,
        its words, where it tells a theme the query called up, what meaning found."""
        c, per_story = self.conn, query.moments_per_story
        page_ids = [r[0] for r in page]
        indexed = moments.index_moments(
            c, {sid: index_points[sid] for sid in page_ids if sid in index_points}, parsed, relaxed) if parsed else {}
        worded = [r[0] for r in page if r[1] == 0] if parsed else []
        words = moments.moments(c, worded, parsed, relaxed, stories, query) if worded else {}
        # every story of the page tagged with a theme the query called up, found by its words
        # or meaning too: one found through a theme and by meaning showed meaning's moments only
        ids = np.array(page_ids, np.int64)
        themed = ids[ranked.among(ids, np.sort(themed_ids))].tolist() if len(themed_ids) else []
        evidence = tags.theme_evidence(self.archive, themes, themed, query.viewer) if themed else {}
        if told is not None:
            evidence = {sid: [seg for seg in segs if seg in told.get(sid, ())] for sid, segs in evidence.items()}
        telling = moments.theme_moments(c, evidence, stories, per_story)
        close = {sid: meant[sid] for sid in page_ids if sid in meant}
        meaning = moments.meaning_moments(c, close, stories, per_story)
        # the passages people titled first: they say what the moment is about (both are
        # where the query's words are)
        return {sid: fused.shown([([*indexed.get(sid, []), *words.get(sid, [])], ()),
                                  (telling.get(sid, []), evidence.get(sid, ())),
                                  (meaning.get(sid, []), [seg for seg, _ in close.get(sid, ())])],
                                 per_story, {seg for seg, _ in close.get(sid, ())})
                for sid in page_ids}

    def _words(self, parsed: Query, relaxed: bool, stories_sql: str, params: list, wanted: int,
               per_story: int) -> tuple[dict[int, list[int]], np.ndarray]:
        """The stories whose moments (or index points) hold the query's words: the first
        ``wanted`` of them, at least, into ``temp.search_hits``; returns each story's best
        index points, and the ids of every story found (when not all are in the table)."""
        c = self.conn
        matched = np.zeros(0, np.int64)
        if ranked.answers(parsed, relaxed) and not word_index.stale(c):
            reachable = self._reachable(stories_sql, params)
            found = (ranked.rank_any if relaxed else ranked.rank)(c, parsed, reachable, wanted)
            matched = found.matched
            # the order the stories' rows gave, kept below any index point's key (an index
            # point's words were written to say what its passage is about)
            n = len(found.first)
            words = [int(score) if relaxed else 1 for _, score in found.first]
            c.executemany("INSERT INTO temp.search_hits (story_id, tier, key, score) VALUES (?, 0, ?, ?)",
                          [(sid, w * PER_WORD + (n - i) / (n + 1), score)
                           for i, ((sid, score), w) in enumerate(zip(found.first, words))])
        else:
            # one pass over the moments: per story, the most of the query's words a moment
            # holds, then how many moments hold them (as the stories' rows rank by how
            # often a story says a word); the story read from the rowid (story id * 2^32 +
            # segment id), no segment looked up, no bm25 (which scores every matching row)
            if relaxed:
                matched_expr, matched_params = matched_sql(parsed, relaxed)
                rows = c.execute(
                    f"""SELECT story_id, max(words) * {PER_WORD} + count(*) FROM (
                            SELECT segment_terms.rowid >> 32 AS story_id, ({matched_expr}) AS words
                            FROM segment_terms WHERE segment_terms MATCH ?)
                        GROUP BY story_id""", [*matched_params, parsed.words_fts(relaxed)]).fetchall()
                ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
                keys = np.fromiter((r[1] for r in rows), np.float64, len(rows))
            else:
                # every moment holds all the words: only how many per story, counted from
                # the rowids in one string (a phrase of two common words matched 250,000
                # moments at a million segments: grouping them in SQL cost 8-15 ms more),
                # read in parts at once but in one inside a caller's transaction (the
                # parts' connections cannot see what it has written)
                state = (self.archive.identity(), self.archive.generation())
                rowids = parts.rowids(c, str(self.archive.path), state, parsed.words_fts(relaxed),
                                      1 if self._outer else None)
                ids, counts = _per_story(rowids)
                keys = (len(parsed.clauses) * PER_WORD + counts).astype(np.float64)
            keep = ranked.among(ids, self._reachable(stories_sql, params))
            matched, keys = ids[keep], keys[keep]
            first = np.lexsort((matched, -keys))[:wanted]
            c.executemany("INSERT INTO temp.search_hits (story_id, tier, key, score) VALUES (?, 0, ?, ?)",
                          [(int(matched[i]), float(keys[i]), float(keys[i] % PER_WORD)) for i in first])
        return self._index_points(parsed, relaxed, stories_sql, params, per_story), matched

    def _index_points(self, parsed: Query, relaxed: bool, stories_sql: str, params: list,
                      per_story: int) -> dict[int, list[int]]:
        """Stories whose index points hold the words, ranked with the moments; returns
        each story's best points."""
        words = 1 if relaxed else len(parsed.clauses)
        rows = self.conn.execute(
            f"""SELECT p.story_id, p.id, {words} * {PER_WORD} - bm25(index_points_fts, {_INDEX_WEIGHTS}) AS key
                FROM index_points_fts JOIN index_points p ON p.id = index_points_fts.rowid
                WHERE index_points_fts MATCH ? AND p.story_id IN ({stories_sql}) ORDER BY key DESC""",
            [parsed.plain_fts(relaxed), *params]).fetchall()
        best: dict[int, list[int]] = {}
        for sid, point_id, key in rows:
            if sid not in best:
                self.conn.execute(
                    """INSERT INTO temp.search_hits (story_id, tier, key, score) VALUES (?, 0, ?, ?)
                       ON CONFLICT(story_id) DO UPDATE SET key = max(key, excluded.key),
                       score = max(score, excluded.score)""", (sid, key, key - words * PER_WORD))
            if len(best.setdefault(sid, [])) < per_story:
                best[sid].append(point_id)
        return best

    def _suggest(self, visible: tuple[str, list], query: SearchQuery, parsed: Query | None,
                 spelled_right: Collection[str] = ()) -> dict:
        """"Did you mean", as ``SearchResults``' fields: for the words not found, or, for a
        query of function words only, for those typed without their accents, and the
        query with its words quoted. ``spelled_right``: the query's words (folded) known to
        be spelled right, as they call a theme up: offered nothing."""
        key = self._words_key()
        said, left_out = said_and_left_out(query.text)  # "-meme" asks for no "mémé"
        if parsed is not None:
            offered = suggest.suggestions(self.conn, key, parsed, *visible, spelled_right=spelled_right,
                                          known=self.known, in_order=stems.words(said))
        else:
            words = list(dict.fromkeys(stems.words(said)))
            offered = suggest.accented_words(self.conn, key, words, *visible)
            return {**suggest.offers(query.text, offered), "word_for_word": word_for_word(query.text),
                    "only_left_out": bool(left_out) and not words}
        return suggest.offers(query.text, offered)

    def _words_key(self) -> tuple[str, bytes]:
        """The archive and its words index's state, which name its vocabulary."""
        return str(self.archive.path), vocabulary.words_state(self.conn)

    def _vocabulary(self) -> vocabulary.Vocabulary | vocabulary.IndexTerms:
        return vocabulary.vocabulary_now(self.conn, self._words_key())

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Rebuild the indexes; returns the number of segments indexed. ``progress(done,
        total)`` is told the segments indexed so far."""
        with self.archive.transaction() as c:
            word_index.remake(c, "index_points_fts")
            c.execute("INSERT INTO index_points_fts(index_points_fts) VALUES ('rebuild')")
            rebuild_word_search(c, progress)
        word_index.optimize(self.conn)  # the old b-trees, and the new, into one
        return self.conn.execute("SELECT count(*) FROM segments").fetchone()[0]


def _relaxes(parsed: Query | None, worded: int) -> bool:
    """Whether a search whose words found ``worded`` stories is asked again with
    moments holding some of its words."""
    return parsed is not None and worded == 0 and len(parsed.clauses) > 1


def _says_something(text: str) -> bool:
    """Whether a query of stop words only is worth asking meaning: spaCy's lists hold
    words with a meaning (German "selbst", Italian "proprio"), but short function words mean
    nothing to e5 ("the", "der die das", "y de la que" scored 0.03-0.06 against unrelated
    passages, above the meaning threshold), so some word must have five letters."""
    return any(len(w) >= 5 for w in stems.words(text))


def _per_story(rowids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The stories of the words index's rowids, and how many rows each has: in one pass
    when the rowids come in order, as FTS5 reads them (``numpy.unique`` sorted the
    128,000 moments of "the the" again in 5 ms)."""
    stories = rowids >> 32
    if len(stories) and (stories[1:] >= stories[:-1]).all():
        first = np.flatnonzero(np.concatenate(([True], stories[1:] != stories[:-1])))
        return stories[first], np.diff(np.append(first, len(stories)))
    return np.unique(stories, return_counts=True)


def _spellings_joined(facets: dict[str, list[tuple[str, int]]]) -> dict[str, list[tuple[str, int]]]:
    """The values of a facet its filter takes for one ("DE" and "de", "Görlitz" and
    "GÖRLITZ": ``same_value``) as one, in its most common spelling, their stories counted
    together: a facet said 1 beside a link that found 3."""
    joined: dict[str, list[tuple[str, int]]] = {}
    for name, values in facets.items():
        kept: dict[str, list] = {}  # by key: comparing each value with each kept took 0.6 ms a search
        for value, count in values:  # most first: the first spelling of a value is its most common
            same = kept.setdefault(value_key(value), [value, 0])
            same[1] += count
        joined[name] = sorted(((v, n) for v, n in kept.values()), key=lambda v: (-v[1], v[0]))
    return joined


def _theme_share(parsed: Query | None, calling: frozenset[str]) -> float:
    """The share of the query's words searched (not its stop words) that are among those
    ``calling`` a theme up (``themed.Called.words``): above ``fused.ABOUT_THEMES``, the query is
    about its themes."""
    searched = {w for t in parsed.terms() for w in t.folded} if parsed is not None else set()
    return len(searched & calling) / len(searched) if searched else 0.0


def _union(ids: np.ndarray, more: np.ndarray) -> np.ndarray:
    """Story ids in either (each array's ids distinct), in no order: sorting the 25,000
    stories a common word matches took a millisecond."""
    if not len(more):
        return ids
    more = more[~(ranked.among(more, np.sort(ids)) if len(ids) <= 1000 else np.isin(more, ids))]
    return np.concatenate([ids, more]) if len(more) else ids


def _languages(story: sqlite3.Row) -> tuple[str, ...]:
    import json

    return tuple(v for v in json.loads(story["languages"]) if v)
