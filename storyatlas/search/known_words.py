"""Words of the vocabulary's languages, as dictionaries spell them: a word no story says
may be spelled right ("Oma hat gekocht"), and is then offered no word it is not one slip
from ("gedacht").

They come from spaCy's lookup tables (spacy-lookups-data, a dependency already): every
form and lemma, 6.7 million words of a language in the ten, too many to hold as Python
strings (1.2 GB) or to read per search (45 s). So each is kept as an 8-byte hash of its
folded spelling, and of its spelling as written where it has accents, its last four bits
the language, sorted, each beside the high 32 bits of its lemma's hash (a theme's
trigger stands for its forms by them: ``search.themed``), in one file of the cache
(122 MB) made once in the background and read through a memory map: a look-up reads a
few pages. A word no table holds is taken for one about once in 10^11 look-ups.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import logging
import os
import subprocess
import sys
import threading
import time
import unicodedata
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from storyatlas import stems
from storyatlas.text import fold
from storyatlas.themes.lemmas import table_files, table_pairs

log = logging.getLogger(__name__)

_FORMAT = 4  # made again when this changes, or the tables' version, or how words are folded
_STALE_LOCK_S = 600  # a lock older than this was left by a process that died making the file
_lock = threading.Lock()
_loaded: dict[Path, KnownWords] = {}
_making: set[Path] = set()


_LANGUAGE_BITS = 0xF  # room for 16 languages
_AS_WRITTEN = "="  # the hash of a word as written, accents and all, beside that of its folded spelling
_WRITTEN_WITH = {
    "de": "äöü", "fr": "àâæçéèêëîïôœùûüÿ", "es": "áéíóúüñ", "it": "àèéìíîòóùú", "pl": "ąćęłńóśźż",
    "nl": "áàâäçéèêëíìîïóòôöúùûü", "pt": "áâãàçéêíóôõúü", "ro": "ăâîșşțţ",
}
"""The letters beyond a-z each language writes its words with (English borrows them all,
Greek has its own). Its tables agree: Romanian's 335,031 words hold no "ó" or "ñ", Spanish's
553,828 "ó" in 19,259 and "ñ" in 10,216 (ad hoc, 2026-12-06)."""


def _spellings(word: str) -> tuple[int, ...]:
    """The hashes a word is looked up by, in turn: as written, accents and all, where
    folding changes more than its case, then folded; none for no word."""
    folded = fold(word)
    if not folded:
        return ()
    written = unicodedata.normalize("NFC", word.casefold())
    return (_hashed(_AS_WRITTEN + written), _hashed(folded)) if written != folded else (_hashed(folded),)


_EVERY = frozenset(stems.LANGUAGES)


@functools.lru_cache(maxsize=4096)
def _writing(word: str) -> frozenset[str]:
    """The languages that write every letter of ``word`` beyond a-z (``_WRITTEN_WITH``)."""
    letters = {c for c in unicodedata.normalize("NFC", word.casefold()) if c.isalpha() and not c.isascii()}
    if not letters:
        return _EVERY
    greek = all(unicodedata.name(c, "").startswith("GREEK") for c in letters)
    return frozenset({"en", *(["el"] if greek else []),
                      *(lang for lang, written in _WRITTEN_WITH.items() if letters <= set(written))})


def lemma_hash(lemma: str) -> int:
    """What stands beside each of its forms: the high 32 bits of its hash as written."""
    return _hashed(unicodedata.normalize("NFC", lemma.casefold())) >> 32


def _hashed(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little") & ~_LANGUAGE_BITS


class KnownWords:
    """Whether a word (as typed, in any case and accents) is a word of one of the languages,
    of which, and the form of which lemmas."""

    def __init__(self, hashes: np.ndarray, lemmas: np.ndarray, languages: tuple[str, ...]) -> None:
        self._hashes = hashes
        self._lemmas = lemmas  # beside each hash, its word's lemma's (the high 32 bits)
        self._languages = languages

    def __contains__(self, word: object) -> bool:
        # whatever letters it is typed with: the tables lack many words with accents
        # ("comisión", "déjà", "Bücherei"), known only as another language's, folded;
        # as no word, 62 of the labelled stories' 38,015 would be offered other words
        return isinstance(word, str) and bool(self._languages_among(word, _EVERY))

    def languages(self, word: str) -> frozenset[str]:
        """The languages ``word`` is a form of: as written where it is written with accents
        and some language writes it so ("fermé" is French, not Romanian "ferme"); else
        folded (French "déporte" typed "deporte" is French), among those that write the
        letters it is typed with: "carbón" (coal), which Spanish's table lacks, is not
        Romanian "carbon"."""
        return self._languages_among(word, _writing(word))

    def _languages_among(self, word: str, writing: frozenset[str]) -> frozenset[str]:
        for h in _spellings(word):
            found = frozenset(self._languages[key & _LANGUAGE_BITS]
                              for _, key in self._rows(h, h | _LANGUAGE_BITS)) & writing
            if found:
                return found
        return frozenset()

    def lemmas(self, word: str, language: str) -> frozenset[int]:
        """The dictionary forms ``word`` is a form of in ``language`` (itself where it is
        one), as hashes: "wojny" and "wojnie" share "wojna"'s, "tenait" and "tennis" none.
        As written where it is written with accents and the language writes it so."""
        if language not in self._languages:
            return frozenset()
        for h in _spellings(word):
            key = h | self._languages.index(language)
            found = frozenset(int(self._lemmas[at]) for at, _ in self._rows(key, key))
            if found:
                return found
        return frozenset()

    def form_of(self, word: str, lemma: str, language: str) -> bool:
        """Whether ``language``'s dictionary makes ``word`` a form of ``lemma`` (or ``lemma``
        itself): "wojny" of "wojna"; Italian "partir" of "partire", not of "partita"."""
        return lemma_hash(lemma) in self.lemmas(word, language)

    def _rows(self, low: int, high: int) -> Iterator[tuple[int, int]]:
        """(row, hash) of each hash from ``low`` to ``high``: a few at most, one a language or lemma."""
        at = int(np.searchsorted(self._hashes, np.uint64(low)))
        while at < len(self._hashes) and (key := int(self._hashes[at])) <= high:
            yield at, key
            at += 1

    def __len__(self) -> int:
        return len(self._hashes)


@functools.lru_cache(maxsize=16)  # asked on every search: the tables' version is read from their package's files
def path(cache: Path, languages: tuple[str, ...] = stems.LANGUAGES) -> Path:
    tables = ",".join(p.name for lang in languages for p in table_files(lang))
    version = importlib.metadata.version("spacy-lookups-data")
    digest = hashlib.sha256(f"{_FORMAT} {version} {','.join(languages)} {tables}".encode()).hexdigest()[:12]
    return cache / "known-words" / f"{digest}.npy"


def make(cache: Path, languages: tuple[str, ...] = stems.LANGUAGES) -> KnownWords:
    """Make the file of known words (50 s for all languages) and read it."""
    target = path(cache, languages)
    rows = array("Q")  # (hash with the language's bits, lemma's hash) of each word
    for n, lang in enumerate(languages):
        for table in table_files(lang):
            rows.extend(_rows(table_pairs(table), n))
    pairs = np.frombuffer(rows, dtype=np.uint64).reshape(-1, 2)
    pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    pairs = pairs[np.concatenate([[True], (pairs[1:] != pairs[:-1]).any(axis=1)])]
    lemmas = pairs[:, 1].astype(np.uint32)
    if len(lemmas) % 2:
        lemmas = np.append(lemmas, np.uint32(0))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.partial")  # two processes may make it at once
    with open(partial, "wb") as f:  # how many words, their hashes, then their lemmas' two to a number
        np.save(f, np.concatenate([np.array([len(pairs)], np.uint64), pairs[:, 0], lemmas.view(np.uint64)]))
    partial.replace(target)
    for older in target.parent.glob("*.npy"):  # made for other versions of the tables or of this file
        if older != target and older.stem.isalnum():
            with contextlib.suppress(OSError):
                older.unlink()
    return _read(target, languages)


def _rows(pairs: Iterable[tuple[str, str]], language: int) -> Iterator[int]:
    """For each form and lemma of a table, its hash folded with the language's bits and
    its lemma's hash's high 32 bits (a lemma is its own), then as written where that
    differs; one after the other."""
    lemma_of: dict[str, int] = {}  # each lemma hashed once (a form is mostly in one pair)
    for form, lemma in pairs:
        if lemma not in lemma_of:
            # as written: Romanian "malul" (the shore's) is a form of "mal", not of "mâl" (silt)
            lemma_of[lemma] = lemma_hash(lemma)
            yield from _word_rows(lemma, language, lemma_of[lemma])
        yield from _word_rows(form, language, lemma_of[lemma])


def _word_rows(word: str, language: int, lemma: int) -> Iterator[int]:
    for h in _spellings(word):
        yield h | language
        yield lemma


def _read(at: Path, languages: tuple[str, ...]) -> KnownWords:
    kept = np.load(at, mmap_mode="r")
    count = int(kept[0]) if len(kept) else -1
    if len(kept) != 1 + count + (count + 1) // 2:
        raise ValueError(f"{len(kept)} numbers where {count} words take {1 + count + (count + 1) // 2}")
    known = KnownWords(kept[1:1 + count], kept[1 + count:].view(np.uint32)[:count], languages)
    with _lock:
        _loaded[at] = known
    return known


def loaded(cache: Path, languages: tuple[str, ...] = stems.LANGUAGES) -> KnownWords | None:
    """The known words, once made (``warm``); None until then: a search never waits for them."""
    at = path(cache, languages)
    with _lock:
        known = _loaded.get(at)
    if known is not None:
        return known
    try:
        return _read(at, languages) if at.exists() else None
    except (OSError, ValueError) as e:  # cut short or damaged: ``warm`` makes it again
        log.warning("cannot read the known words in %s (%s)", at, e)
        return None


def made(cache: Path) -> KnownWords:
    """The known words, made now where they are not yet (a benchmark, a test)."""
    return loaded(cache) or make(cache)


def warm(cache: Path, languages: tuple[str, ...] = stems.LANGUAGES) -> threading.Thread | None:
    """Make the known words in the background where no process has (a server, as it starts):
    in a process of its own, at a lower priority, so that the 680 MB the tables take to
    read are given back and the server's threads keep the interpreter."""
    at = path(cache, languages)
    with _lock:
        if at in _making:
            return None
        _making.add(at)
    thread = threading.Thread(target=_make_once, args=(cache, languages, at), daemon=True,
                              name="storyatlas-known-words")
    thread.start()
    return thread


def _left(lock: Path) -> bool:
    """Whether a lock was left by a process that stopped before making the words: one no
    longer running (a server stopped as it started), or one older than _STALE_LOCK_S."""
    try:
        if time.time() - lock.stat().st_mtime > _STALE_LOCK_S:
            return True
        os.kill(int(lock.read_text() or 0) or os.getpid(), 0)
    except ProcessLookupError:
        return True
    except (OSError, ValueError):  # no lock, another user's process, a lock being written
        return False
    return False


def _make_once(cache: Path, languages: tuple[str, ...], at: Path) -> None:
    if loaded(cache, languages) is not None:
        return
    lock = at.with_suffix(".lock")
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        if _left(lock):
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()
        held = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        os.write(held, str(os.getpid()).encode())
        os.close(held)
    except FileExistsError:  # another process is making them
        return
    except OSError as e:
        log.warning("cannot make the known words in %s (%s): \"did you mean\" offers words for words spelled "
                    "right too; set STORYATLAS_CACHE to a folder this user may write to", at.parent, e)
        return
    try:
        log.info("listing the words of %d languages for \"did you mean\" (once, about a minute)", len(languages))
        done = subprocess.run([sys.executable, "-m", __name__, str(cache), *languages],
                              capture_output=True, text=True, timeout=_STALE_LOCK_S)
        if done.returncode:
            log.warning("cannot make the known words in %s: %s", at.parent, done.stderr.strip()[-2000:])
    except (OSError, subprocess.TimeoutExpired) as e:
        log.warning("cannot make the known words in %s (%s)", at.parent, e)
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()


if __name__ == "__main__":
    os.nice(10)
    make(Path(sys.argv[1]), tuple(sys.argv[2:]))
