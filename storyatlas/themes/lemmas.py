"""Words to dictionary forms, for matching triggers in the language a story was told in.

spaCy's lookup tables (spacy-lookups-data) map millions of word forms to lemmas, far
more than tagging needs and slow to load (Polish: 3.8 million forms, 1.4 GB in spaCy's
tables). So for each language the forms whose lemma is a word of some trigger are
picked out once per set of trigger words and kept in a small file in the cache.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import importlib.util
import json
import logging
import re
import threading
from collections.abc import Iterable
from pathlib import Path

from storyatlas.text import fold

log = logging.getLogger(__name__)

_WORD = re.compile(r"\w+", re.UNICODE)
# languages that write compounds as one word: "Sandsäcke" is "Sand" + a form of "Sack"
COMPOUNDING = {"de", "nl"}
_MIN_PART = 3
_lock = threading.Lock()


def words(text: str) -> list[str]:
    return [fold(w) for w in _WORD.findall(text)]


def table_files(lang: str) -> list[Path]:
    spec = importlib.util.find_spec("spacy_lookups_data")
    if spec is None or not spec.submodule_search_locations:
        return []
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    # Polish comes split by part of speech; Greek has only exceptions
    files = sorted(data.glob(f"{lang}_lemma_lookup*.json.gz"))
    return files or sorted(data.glob(f"{lang}_lemma_exc.json.gz"))


def table_pairs(path: Path) -> Iterable[tuple[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        table = json.load(f)
    for key, value in table.items():
        if isinstance(value, str):
            yield key, value
        elif isinstance(value, dict):  # {pos: {form: [lemmas]}} (exception tables)
            for form, lemmas in value.items():
                for lemma in lemmas if isinstance(lemmas, list) else [lemmas]:
                    yield form, lemma
        elif isinstance(value, list):
            for lemma in value:
                yield key, lemma


def _heads(words: set[str]) -> set[str]:
    """The possible last parts of compound words ("sandsack" -> "sack", "ndsack", ...)."""
    return {w[i:] for w in words for i in range(1, len(w) - _MIN_PART + 1)}


def build_index(lang: str, wanted: set[str]) -> dict[str, list[str]]:
    """Word form -> the wanted words (or, for compounding languages, word endings) it may stand for.

    A form counts when the table gives it a wanted word as lemma, or the same lemma as
    the table gives a wanted word: the tables turn some nouns into verbs (Spanish
    "huelgas" and "huelga" both become "holgar"), and then both forms still meet.
    """
    if lang in COMPOUNDING:
        wanted = wanted | _heads(wanted)
    pairs = [(fold(form), fold(lemma)) for path in table_files(lang) for form, lemma in table_pairs(path)]
    # what the table makes of each wanted word itself
    via: dict[str, set[str]] = {}
    for form, lemma in pairs:
        if form in wanted and lemma != form:
            via.setdefault(lemma, set()).add(form)
    index: dict[str, set[str]] = {}
    for form, lemma in pairs:
        targets = ({lemma} if lemma in wanted else set()) | via.get(lemma, set())
        targets.discard(form)
        if targets:
            index.setdefault(form, set()).update(targets)
    return {form: sorted(lemmas) for form, lemmas in index.items()}


class Lemmatizer:
    """Candidate dictionary forms for each word of a text, in one language."""

    def __init__(self, lang: str, index: dict[str, list[str]]) -> None:
        self.lang = lang
        self.index = index

    def candidates(self, text: str) -> list[tuple[str, ...]]:
        return [self._word(w) for w in words(text)]

    def _word(self, word: str) -> tuple[str, ...]:
        found = self.index.get(word)
        if found:
            return (word, *found)
        if self.lang in COMPOUNDING:
            # an inflected compound: keep its first part, take the lemma of its last
            for i in range(_MIN_PART, len(word) - _MIN_PART + 1):
                heads = self.index.get(word[i:])
                if heads:
                    return (word, *(word[:i] + head for head in heads))
        return (word,)


def lemmatizer(lang: str, wanted: set[str], cache: Path) -> Lemmatizer:
    """The lemmatizer for ``lang`` and these trigger words, built once and cached on disk
    (an edit to another language's triggers does not make it again)."""
    digest = hashlib.sha256("\n".join(sorted(wanted)).encode()).hexdigest()[:16]
    return _lemmatizer(lang, frozenset(wanted), digest, cache)


@functools.lru_cache(maxsize=32)
def _lemmatizer(lang: str, wanted: frozenset[str], digest: str, cache: Path) -> Lemmatizer:
    path = cache / "lemmas" / f"{lang}-{digest}.json"
    with _lock:
        index = _kept(path)
        if index is not None:
            return Lemmatizer(lang, index)
        log.info("indexing %s word forms for theme triggers (once per vocabulary version)", lang)
        index = build_index(lang, set(wanted))
        _keep(path, lang, index)
        return Lemmatizer(lang, index)


def _kept(path: Path) -> dict[str, list[str]] | None:
    """The forms kept at ``path``; None where there are none, or none that can be read (a
    file damaged or cut short, a folder this user may not read): they are made again."""
    try:
        if not path.exists():
            return None
        index = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(index, dict):
            raise ValueError("not a table of word forms")
    except (OSError, ValueError) as e:
        log.warning("cannot read the word forms kept in %s (%s): they are made again", path, e)
        return None
    return index


def _keep(path: Path, lang: str, index: dict[str, list[str]]) -> None:
    partial = path.with_suffix(".partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps(index, ensure_ascii=False), encoding="utf-8")
        partial.replace(path)
    except OSError as e:  # a cache that cannot be written (full, read-only) costs time, not the theme job
        log.warning("cannot keep the %s word forms in %s (%s): they are made again in each process; set "
                    "STORYATLAS_CACHE to a folder this user may write to", lang, path.parent, e)
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
