"""The words index's vocabulary: its terms, read once per state of the index (not of the
whole archive) and kept in memory, so that "did you mean" does not read the postings of
thousands of words, and a word typed with ``*`` finds the terms it begins."""

from __future__ import annotations

import bisect
import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from storyatlas import stems
from storyatlas.archive.db import read_only_uri
from storyatlas.search import compounds
from storyatlas.text import fold

# candidates share the first letters, differ in length by at most LENGTHS, and at most
# _CANDIDATES are compared per language (the closest lengths first)
_CANDIDATES = 3000
LENGTHS = 2
_NEAREST = sorted(range(-LENGTHS, LENGTHS + 1), key=abs)  # 0, -1, 1, -2, 2
# the most terms a word typed with * stands for: each costs about 0.2 ms at a million
# segments ("sta*", 1,044 terms in the benchmark's archive: 24 ms with 100, 185 with 1,000)
BEGUN = 100
# a vocabulary this small (about 20 ms to read) is read again as soon as the archive changes
_READ_AT_ONCE = 20_000
log = logging.getLogger(__name__)
_vocabularies: dict[str, tuple[bytes, Vocabulary]] = {}
_refreshing: set[str] = set()
_lock = threading.Lock()


def begun(vocabulary: Vocabulary | IndexTerms, word: str,
          held: Callable[[list[str]], set[str]]) -> tuple[tuple[str, ...], bool]:
    """The index terms a word typed with ``*`` stands for, in every language: those whose
    stem begins with it, and its own forms, as the stem of the word meant may be shorter
    than the letters typed ("inonda*": French "inond", of "inondation"). Of those ``held``
    says the stories the searcher may see say (so that neither which nor how many tell of
    a story they may not), at most BEGUN, the shortest first; and whether more begin with it."""
    # its own forms ask the index too (``held``), held or not in the vocabulary
    begins = (vocabulary.beginning(lang, fold(word)) for lang in (*stems.LANGUAGES, stems.OTHER))
    found = sorted(set(stems.query_forms(word)).union(*begins), key=lambda term: (len(term), term))
    kept: list[str] = []
    for at in range(0, len(found), BEGUN + 1):  # about 5 µs a term (1,000: 5.5 ms at a million segments)
        batch = found[at:at + BEGUN + 1]
        said = held(batch)
        kept += [term for term in batch if term in said]
        if len(kept) > BEGUN:
            break
    return tuple(kept[:BEGUN]), len(kept) > BEGUN


def words_state(conn: sqlite3.Connection) -> bytes:
    """What names the words index's state: its structure record (FTS5 keeps it at id 10 of
    the index's data table and writes it again, with a counter of writes, at every change).
    The vocabulary was read again after any change to the archive, 0.7 s of a core at a
    million segments after a title edited or a story reviewed, in every server process."""
    found = conn.execute("SELECT block FROM segment_terms_data WHERE id = 10").fetchone()
    return found[0] if found else b""


class Vocabulary:
    """The words index's terms, each language's stems kept by their first two letters and
    their length (and by the first and third letters, and the second and third)."""

    def __init__(self, terms: list[str]) -> None:
        self.size = len(terms)
        self._terms = terms  # in order: SQLite's and Python's orders of text are the code points'
        self._stems: dict[tuple[str, int], list[str]] = {}
        self._accented: dict[str, list[str]] = {}
        for term in terms:
            lang, _, stem = term.partition("_")
            self._stems.setdefault((f"{lang}_{stem[:2]}", len(stem)), []).append(stem)
            if len(stem) >= 3:  # by their first and third letters, and second and third (suggest._beginnings)
                self._stems.setdefault((f"{lang}_{stem[0]}.{stem[2]}", len(stem)), []).append(stem)
                self._stems.setdefault((f"{lang}_.{stem[1:3]}", len(stem)), []).append(stem)
            if not stem.isascii() and stems.kept_accents(term):  # isascii first: a million terms
                self._accented.setdefault(f"{lang}_{fold(stem)}", []).append(stem)
        # the compounding languages' stems backwards (``ending``), sorted as the vocabulary
        # is read, not by the first search after (11 ms at 200,000 segments)
        self._backwards = {lang: sorted(stem[::-1] for stem in self._language(lang)) for lang in compounds.LANGUAGES}

    def accented(self, lang: str, stem: str) -> list[str]:
        """Stems of ``lang`` that keep their word's accents (``stems.told_apart``) and
        fold to ``stem``: "mém" (French "mémé") for "mem" ("même")."""
        return self._accented.get(f"{lang}_{stem}", [])

    def holds(self, lang: str, stem: str) -> bool:
        """Whether ``lang`` has this stem (the terms are read in order, so each list is sorted)."""
        stems_of = self._stems.get((f"{lang}_{stem[:2]}", len(stem)), [])
        at = bisect.bisect_left(stems_of, stem)
        return at < len(stems_of) and stems_of[at] == stem

    def holds_term(self, term: str) -> bool:
        """Whether it holds an index term ("en_bakeri"; "" for a word that folds to nothing)."""
        lang, _, stem = term.partition("_")
        return bool(stem) and self.holds(lang, stem)

    def beginning(self, lang: str, begins: str) -> list[str]:
        """The terms of ``lang`` whose stem begins with ``begins``."""
        start = f"{lang}_{begins}"
        return self._terms[bisect.bisect_left(self._terms, start):bisect.bisect_left(self._terms, start + "\U0010ffff")]

    def _language(self, lang: str) -> list[str]:
        """The stems of ``lang``, in order."""
        start, end = (bisect.bisect_left(self._terms, f"{lang}_{at}") for at in ("", "\U0010ffff"))
        return [term.partition("_")[2] for term in self._terms[start:end]]

    def ending(self, lang: str, ends: str) -> list[str]:
        """The terms of ``lang`` (German or Dutch: ``compounds``) whose stem ends with ``ends``."""
        backwards, start = self._backwards.get(lang, []), ends[::-1]
        found = backwards[bisect.bisect_left(backwards, start):bisect.bisect_left(backwards, start + "\U0010ffff")]
        return [f"{lang}_{stem[::-1]}" for stem in found]

    def of_length(self, lang: str, begins: str, length: int) -> list[str]:
        """Stems of ``lang`` that begin with the two letters ``begins`` and have ``length`` letters."""
        return self._stems.get((f"{lang}_{begins}", length), [])

    def near(self, lang: str, stem: str, begins: str | None = None) -> list[str]:
        """Stems of ``lang`` that share the first two letters of ``stem`` (or begin as
        ``begins`` says: "fl", "f.o", ".lo") and differ in length by at most LENGTHS:
        the closest lengths first, at most _CANDIDATES."""
        prefix, found = f"{lang}_{begins or stem[:2]}", []
        for d in _NEAREST:
            found += self._stems.get((prefix, len(stem) + d), ())
            if len(found) >= _CANDIDATES:
                return found[:_CANDIDATES]
        return found


def kept_vocabulary(conn: sqlite3.Connection, key: tuple[str, bytes]) -> Vocabulary:
    """The index's terms. Read once per process (about a second at a million
    segments); after the archive changes, read again at once when that is quick (a
    small archive), else in the background while the list in memory still answers: it
    only proposes candidates, and ``_said`` confirms each in the index as it is now (an
    erased word is never offered), so a stale list can miss a word said since, never
    offer one gone."""
    path, state = key
    with _lock:
        found = _vocabularies.get(path)
        stale = found is not None and found[0] != state and path not in _refreshing
        if stale and found[1].size > _READ_AT_ONCE:
            _refreshing.add(path)
    if found is None or (stale and found[1].size <= _READ_AT_ONCE):
        vocabulary = _read(conn)
        with _lock:
            _vocabularies[path] = (state, vocabulary)
        return vocabulary
    if stale:
        threading.Thread(target=_reread, args=(path, state), daemon=True, name="storyatlas-vocabulary").start()
    return found[1]


def vocabulary_now(conn: sqlite3.Connection, key: tuple[str, bytes]) -> Vocabulary | IndexTerms:
    """The vocabulary, where it is the words index's as it is now; else (a large archive
    changed, its vocabulary read again in the background) the index's own terms, read as
    asked: a word typed with * must find a word said since, and the answer is kept until
    the archive changes again."""
    vocabulary = kept_vocabulary(conn, key)
    with _lock:
        current = _vocabularies.get(key[0], (b"", None))[0] == key[1]
    return vocabulary if current else IndexTerms(conn)


class IndexTerms:
    """The words index's terms, read from it as asked (``vocabulary_now``): slower than
    the vocabulary in memory where many terms begin alike (fts5vocab counts each one's
    entries), but never behind the index."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        _vocabulary_table(conn)

    def beginning(self, lang: str, begins: str) -> list[str]:
        start = f"{lang}_{begins}"
        return [r[0] for r in self.conn.execute(
            "SELECT term FROM temp.segment_terms_vocab WHERE term >= ? AND term < ?", (start, start + "\U0010ffff"))]


def _vocabulary_table(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.segment_terms_vocab "
                 "USING fts5vocab(main, segment_terms, row)")


def _read(conn: sqlite3.Connection) -> Vocabulary:
    _vocabulary_table(conn)
    return Vocabulary([r[0] for r in conn.execute("SELECT term FROM temp.segment_terms_vocab ORDER BY term")])


def _reread(path: str, state: bytes | None) -> None:
    try:
        conn = sqlite3.connect(read_only_uri(path), uri=True)
        try:
            if state is None:
                state = words_state(conn)
            vocabulary = _read(conn)
        finally:
            conn.close()
        with _lock:
            _vocabularies[path] = (state, vocabulary)
    except sqlite3.Error as e:  # the list in memory, if any, goes on answering
        log.warning("could not read the words index's vocabulary for \"did you mean\": %s", e)
    finally:
        with _lock:
            _refreshing.discard(path)


def warm(path: Path) -> None:
    """Read the vocabulary in the background (a server, as it starts), so that the first
    misspelled query does not wait for it."""
    with _lock:
        if str(path) in _refreshing:
            return
        _refreshing.add(str(path))
    threading.Thread(target=_reread, args=(str(path), None), daemon=True, name="storyatlas-vocabulary").start()
