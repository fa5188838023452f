"""The moments a search shows for each story: where its words are said (with the
query's words marked), where its index points are, where its themes or its meaning are."""

from __future__ import annotations

import json
import sqlite3

from storyatlas import stems
from storyatlas.archive.word_index import STORY
from storyatlas.search import MARK_CLOSE, MARK_OPEN, Moment, SearchQuery, fused
from storyatlas.search.query import Query
from storyatlas.text import fold

# a moment holding one more of the query's words ranks above any bm25 difference
PER_WORD = 1_000_000.0
_SNIPPET_WORDS = 16


def matched_sql(parsed: Query, relaxed: bool, story: int | None = None) -> tuple[str, list]:
    """SQL of how many of the query's words (clauses) a moment holds, for the score."""
    if not relaxed:
        return str(len(parsed.clauses)), []
    within, bounds = "", []
    if story is not None:
        within, bounds = " AND rowid BETWEEN ? AND ?", [story * STORY, (story + 1) * STORY - 1]
    one = f"(segment_terms.rowid IN (SELECT rowid FROM segment_terms WHERE segment_terms MATCH ?{within}))"
    return " + ".join([one] * len(parsed.clauses)), [
        v for clause in parsed.clauses for v in (parsed.clause_fts(clause), *bounds)]


class Marked:
    """A text with the query's words marked: which words matched, where."""

    def __init__(self, text: str | None, lang: str | None, forms: frozenset[str],
                 phrases: tuple[tuple[str, ...], ...], indexed: str | None = None) -> None:
        self.text = text or ""
        self._key = stems.language_key(lang)
        self._forms, self._phrases = forms, phrases
        # the terms the index holds, one per word (``stems.index_terms``), when given:
        # no word is stemmed again, and the words are found in the text only for a
        # snippet (most moments' English is never shown)
        self.spans: list[tuple[int, int]] | None = None
        if indexed is None:
            self._mark_spans()
        else:
            own, _, unaccented = indexed.partition(f" {stems.UNACCENTED} ")
            self.hit = self._hits(own.split(" "))
            # a word typed without its accents: which of the text's it is, from its words
            if unaccented and any(t in forms for t in unaccented.split(" ")):
                self._mark_spans()

    def _mark_spans(self) -> None:
        spans = stems.spans(self.text)
        self.spans = [(start, end) for start, end, _ in spans]
        said = [w for _, _, w in spans]
        self.hit = self._hits(stems.terms(said, self._key), [stems.unaccented(w, self._key) for w in said])

    def _hits(self, terms: list[str], unaccented: list[str] | None = None) -> list[bool]:
        hit = [t in self._forms for t in terms]
        if unaccented:
            hit = [h or t in self._forms for h, t in zip(hit, unaccented)]
        for wanted in self._phrases:
            n = len(wanted)
            for i in range(len(terms) - n + 1):
                if tuple(terms[i:i + n]) == wanted:
                    hit[i:i + n] = [True] * n
        return hit

    @property
    def found(self) -> bool:
        return any(self.hit)

    def _positions(self) -> list[tuple[int, int]]:
        if self.spans is None:
            self.spans = stems.positions(self.text)
            if len(self.spans) != len(self.hit):  # the stored terms do not line up (accents stored decomposed)
                self._mark_spans()
        return self.spans

    def said(self) -> set[str]:
        """The matched words as written in the text."""
        return {self.text[start:end] for (start, end), hit in zip(self._positions(), self.hit) if hit}

    def snippet(self) -> str:
        """Up to 16 words around the first match, matched runs between the marks."""
        spans, hit = self._positions(), self.hit
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


def best_moments(conn: sqlite3.Connection, worded: list[int], parsed: Query, relaxed: bool,
                 per_story: int) -> list[sqlite3.Row]:
    """The stories' best moments: those holding the most of the query's words, then the
    shortest (as bm25 ranks a word said once), then the earliest; each story's read from
    its own range of the index. Not bm25 itself: each statement using it first counts
    every row holding each word, the whole archive's, once per story here. One statement
    for the page, an arm for each story (its rows in its own order)."""
    arms: list[str] = []
    params: list = []
    for story in worded:
        matched, matched_params = matched_sql(parsed, relaxed, story)
        arms.append(
            f"""SELECT * FROM (
                SELECT ? AS story_id, s.id, s.start, s.end, s.text, s.text_en, s.language, m.terms, m.terms_en FROM (
                    SELECT segment_terms.rowid & {STORY - 1} AS segment_id, ({matched}) AS words, terms, terms_en
                    FROM segment_terms WHERE segment_terms MATCH ? AND rowid BETWEEN ? AND ?) m
                JOIN segments s ON s.id = m.segment_id
                ORDER BY m.words DESC, length(s.text) + coalesce(length(s.text_en), 0), s.start LIMIT ?)""")
        params += [story, *matched_params, parsed.words_fts(relaxed), story * STORY, (story + 1) * STORY - 1,
                   per_story]
    return conn.execute(" UNION ALL ".join(arms), params).fetchall() if arms else []


def moments(conn: sqlite3.Connection, worded: list[int], parsed: Query | None, relaxed: bool,
            stories: dict[int, sqlite3.Row], query: SearchQuery) -> dict[int, list[Moment]]:
    """Per story, its best moments where its words are said, the words marked."""
    rows = best_moments(conn, worded, parsed, relaxed, query.moments_per_story) if parsed else []
    terms = parsed.terms() if parsed else []
    forms = frozenset(f for t in terms for f in t.forms())
    phrases = tuple(sequence for t in terms for sequence in t.sequences())
    found: list[tuple[int, sqlite3.Row, str | None]] = []
    for row in rows:
        # a segment stored before languages were told apart per segment is in the story's language
        found.append((row[0], row, row[6] or (stories[row[0]]["language"] if row[0] in stories else None)))
    marked = [(sid, row, lang, Marked(row[4], lang, forms, phrases, row[7]),
               Marked(row[5], "en", forms, phrases, row[8])) for sid, row, lang in found]
    first_word = first_matched_words(conn, {row[1]: (lang, original.said()) for _, row, lang, original, _ in marked
                                            if original.found}, forms, phrases)
    out: dict[int, list[Moment]] = {}
    for sid, (_, seg, start, end, text, text_en, *_), lang, original, english in marked:
        why = (("words",) if original.found else ()) + (("translation",) if english.found else ())
        snippet = english.snippet() if english.found and not original.found else original.snippet()
        out.setdefault(sid, []).append(
            Moment(seg, start, end, text, text_en, snippet, first_word.get(seg, start), why, lang))
    return out


def theme_moments(conn: sqlite3.Connection, evidence: dict[int, list[int]], stories: dict[int, sqlite3.Row],
                  per_story: int) -> dict[int, list[Moment]]:
    """Per story, a moment at each of its first segments that tell a theme the query
    called up (``evidence``, in story order), why "theme"."""
    wanted = {sid: segs[:per_story] for sid, segs in evidence.items()}
    segments = _segments(conn, [seg for segs in wanted.values() for seg in segs])
    out: dict[int, list[Moment]] = {}
    for sid, segs in wanted.items():
        for seg in segs:
            s = segments[seg]
            lang = s["language"] or (stories[sid]["language"] if sid in stories else None)
            out.setdefault(sid, []).append(
                Moment(seg, s["start"], s["end"], s["text"], s["text_en"], s["text"], s["start"], ("theme",), lang))
    return out


def meaning_moments(conn: sqlite3.Connection, meant: dict[int, list[tuple[int, float]]],
                    stories: dict[int, sqlite3.Row], per_story: int) -> dict[int, list[Moment]]:
    """Per story, a moment at each of its segments closest in meaning (see ``fused.closest``)."""
    segments = _segments(conn, [segment for found in meant.values() for segment, _ in found[:per_story]])
    return {sid: fused.closest(found, segments, stories[sid]["language"] if sid in stories else None, per_story)
            for sid, found in meant.items()}


def _segments(conn: sqlite3.Connection, ids: list[int]) -> dict[int, sqlite3.Row]:
    if not ids:
        return {}
    return {r["id"]: r for r in conn.execute(
        f"""SELECT id, start, end, text, text_en, language FROM segments
            WHERE id IN ({','.join('?' * len(ids))})""", ids)}


def index_moments(conn: sqlite3.Connection, wanted: dict[int, list[int]], parsed: Query,
                  relaxed: bool) -> dict[int, list[Moment]]:
    """A moment at each matched index point: its title (and the matched part of its
    synopsis or keywords) as the snippet, at the point's time, why "index"."""
    ids = [p for points in wanted.values() for p in points]
    if not ids:
        return {}
    rows = {r[0]: r for r in conn.execute(
        f"""SELECT p.id, p.at, p.title, highlight(index_points_fts, 0, ?, ?),
                  snippet(index_points_fts, 1, ?, ?, '…', 16), highlight(index_points_fts, 2, ?, ?)
           FROM index_points_fts JOIN index_points p ON p.id = index_points_fts.rowid
           WHERE index_points_fts MATCH ? AND p.id IN ({','.join('?' * len(ids))})""",
        (MARK_OPEN, MARK_CLOSE) * 3 + (parsed.plain_fts(relaxed), *ids))}
    folded = {fold(w) for t in parsed.terms() for w in t.words}
    out: dict[int, list[Moment]] = {}
    for sid, points in wanted.items():
        for point_id in points:
            _, at, title, title_marked, synopsis, keywords = rows[point_id]
            if not any(MARK_OPEN in p for p in (title_marked, synopsis, keywords)):
                # found by its words with ß, ł... written out ("Lodz" for "Łódź"), a column
                # highlight() does not show
                title_marked, synopsis, keywords = (_marked_folded(p, folded) for p in (title, synopsis, keywords))
            # keywords are a JSON list; the marks sit inside its strings, so it still parses
            marked_keywords = [k for k in json.loads(keywords or "[]") if MARK_OPEN in k]
            parts = [title_marked] + [p for p in (synopsis, ", ".join(marked_keywords)) if MARK_OPEN in p]
            segment = conn.execute(
                "SELECT id, end FROM segments WHERE story_id = ? AND start <= ? ORDER BY start DESC LIMIT 1",
                (sid, at)).fetchone()
            out.setdefault(sid, []).append(Moment(
                segment[0] if segment else None, at, max(at, segment[1]) if segment else at, title, None,
                " — ".join(parts), at, ("index",)))
    return out


def _marked_folded(text: str, folded: set[str]) -> str:
    """``text`` with its words that fold to one of ``folded`` marked."""
    out, at = [], 0
    for start, end, word in stems.spans(text or ""):
        if fold(word) in folded:
            out += [text[at:start], MARK_OPEN, text[start:end], MARK_CLOSE]
            at = end
    return "".join(out) + (text or "")[at:]


def first_matched_words(conn: sqlite3.Connection, matched: dict[int, tuple[str | None, set[str]]],
                        forms: frozenset[str], phrases: tuple[tuple[str, ...], ...]) -> dict[int, float]:
    """Start time of the first word of each segment that is one of the query's words,
    given per segment its language and the matched words as written in its text.

    A segment's timed words are its text in pieces, so only those holding a matched word
    as written are read, then checked as before (a hundred moments' 1,100 words read
    and stemmed took 2 ms); a segment with none of them (its text corrected since, or
    timed words written otherwise) has all of its words read."""
    found: dict[int, float] = {}
    written = sorted(set().union(*(said for _, said in matched.values())))
    if 0 < len(written) <= 50:  # more: a query of many words, read as a segment without them is
        _first_words(conn, matched, list(matched), written, forms, phrases, found)
    rest = [seg for seg in matched if seg not in found]
    if rest:
        _first_words(conn, matched, rest, [], forms, phrases, found)
    return found


def _first_words(conn: sqlite3.Connection, matched: dict[int, tuple[str | None, set[str]]], segments: list[int],
                 holding: list[str], forms: frozenset[str], phrases: tuple[tuple[str, ...], ...],
                 found: dict[int, float]) -> None:
    """Into ``found``, the first of the segments' words (those ``holding`` one of these
    strings, or all) that is one of the query's."""
    held = " OR ".join(["instr(word, ?) > 0"] * len(holding))
    keys: dict[str | None, str] = {}
    # per segment its words in order: (timed word's idx, start, the terms it may stand for)
    said: dict[int, list[tuple[int, float, set[str]]]] = {}
    for seg_id, idx, start, word in conn.execute(
        f"""SELECT segment_id, idx, start, word FROM words WHERE segment_id IN ({','.join('?' * len(segments))})
            {f'AND ({held})' if held else ''} ORDER BY segment_id, idx""", [*segments, *holding]):
        if seg_id in found:
            continue
        lang = matched[seg_id][0]
        key = keys.setdefault(lang, stems.language_key(lang))
        said.setdefault(seg_id, []).extend((idx, start, {stems.term(w, key), stems.unaccented(w, key)})
                                           for w in stems.words(word))
    for seg_id, words in said.items():
        for i, (_, start, terms) in enumerate(words):
            # a phrase counts where all of it is said, in order (its first word alone, said
            # earlier, is not where the phrase the moment marks is)
            if terms & forms or any(_said_from(words, i, phrase) for phrase in phrases if phrase):
                found[seg_id] = start
                break


def _said_from(words: list[tuple[int, float, set[str]]], i: int, phrase: tuple[str, ...]) -> bool:
    """Whether ``phrase`` is said from the ``i``-th word on, word after word (a timed word
    may hold two: "e-mail")."""
    if i + len(phrase) > len(words):
        return False
    run = words[i:i + len(phrase)]
    return all(term in terms for term, (_, _, terms) in zip(phrase, run)) and \
        all(b[0] - a[0] in (0, 1) for a, b in zip(run, run[1:]))
