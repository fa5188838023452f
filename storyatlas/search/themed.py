"""Search through themes: a query's words, in any of the vocabulary's languages, call up
the themes they trigger, and so the stories tagged with them in other languages."""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
from dataclasses import dataclass

import numpy as np

from storyatlas import stems
from storyatlas.archive import Archive, tags
from storyatlas.archive.discover import story_ids
from storyatlas.archive.word_index import STORY
from storyatlas.search import known_words, ranked
from storyatlas.search.known_words import KnownWords
from storyatlas.search.query import fold, typed_words
from storyatlas.text import as_written

_WORDS, _FORMS, _LEMMAS = 0, 1, 2
"""How a trigger is filed: by its folded words; by its words' index terms (a stem that
stands for the other forms); by a stem too short to, and a one-word trigger by itself as
a dictionary form too, which a query's word meets only where the dictionary makes them
forms of one word (``known_words.KnownWords.lemmas``): German "streikten" and "gestreikt"
(went on strike, struck) have the stem "streikt" and "gestreikt", "streiken" "streik"."""


@dataclass(frozen=True)
class _Triggers:
    order: dict[str, int]
    """Each theme's place in the vocabulary: the themes a query calls up come in it."""
    by_word: dict[str, tuple[tuple[str, frozenset[str], str, str, int], ...]]
    """(theme id, a trigger phrase's folded words, or its words' index terms in its
    language: "fr_inond", that language, a one-word trigger as written, case-folded:
    "déporté" ("" for a phrase), and how it is filed: ``_WORDS``, ``_FORMS``, ``_LEMMAS``),
    filed under one of them: a phrase is called up only when every word of it is in the
    query, that one too, as typed or in another of its forms."""


MIN_STEM = 5
"""A trigger stands for the other forms of its words where each of their stems has this
many letters: shorter stems meet by chance ("tenait" and "tennis" are both "ten" to the
French stemmer, "bed" is Dutch "bede"). Of 3,000 words drawn from the labelled stories,
241 called up a theme as written; with the forms of stems of three letters and more
487, about a third of the new ones by chance, with five letters and more 366, about a tenth.
A shorter stem (from ``MIN_PHRASE_STEM``) stands for the forms the dictionary gives the
trigger's lemma: Polish "wojny" and "wojnie" called up no war, "wojna"'s stem being "wojn"."""
MIN_PHRASE_STEM = 3
"""The same for a trigger of two words or more, all of which a query must say: Polish
"wielki woda" (high water) stood for no other form, "woda"'s stem being "wod", so
"wielka woda" called up no theme. Its function words and words shorter than this are
met as written, as a query's have no index term (``_forms``): filed by their terms,
"rupere de nor" (a cloudburst), "worek z piaskiem" (a sandbag) and "carte de séjour"
met no other form of theirs. A phrase of one other word counts as a one-word trigger
(``MIN_STEM``): "en paro" (out of work) is "par" to the stemmer, as "pared" (a wall) is."""

# the vocabulary holds ten thousand trigger words: fold, stem and file them once per
# version of it, not on every search (looking at each of them took 0.45 ms a search)
_filed: dict[tuple[str, int], _Triggers] = {}
_lock = threading.Lock()


_AND = frozenset({"and", "und", "et", "y", "e", "i", "en", "si", "και"})
"""The words joining the two parts of a theme's label ("Work and workplaces") in the
vocabulary's languages, folded."""


def named(label: str) -> str:
    """A theme's name: its label up to "and" ("Work", "Travail", "Local democracy").
    A query saying it calls the theme up, as a trigger would: "work", "travail", "trabajo",
    "care", "soins" and "transport" called up none, as the vocabulary leaves words said in
    passing in every story out of its triggers (so a story is not tagged for them). The
    label's second part ("War and memory") is no name of the theme ("memory"); the whole
    label is one (``query_triggers``)."""
    words = label.split()
    cut = next((at for at, word in enumerate(words) if at and fold(word) in _AND), len(words))
    return " ".join(words[:cut])


def query_triggers(archive: Archive) -> list[tuple[str, dict[str, list[str]]]]:
    """(theme id, the phrases a query calls it up by, per language): its triggers, its
    names (``named``) and its whole labels. A query saying a whole label is about its
    theme (``fused.ABOUT_THEMES``): by its name alone, "Krieg und Erinnerung" (war and
    memory) was half about war, so war's stories neither its words nor meaning found
    took no part in the ranking; typing the theme's labels, its stories in other
    languages in the top ten went from 0.788 to 0.808 and 0.792 to 0.820 (held-apart-12
    and -18, ``benchmarks/discovery.py --held-apart``), 0.873 to 0.881 on held-apart-17,
    which that choice had not seen."""
    found = []
    for row in tags.theme_rows(archive):
        triggers = json.loads(row["triggers"])
        for lang, label in {"en": row["label"], **json.loads(row["labels"] or "{}")}.items():
            triggers[lang] = [*triggers.get(lang, ()), *dict.fromkeys((named(label), label))]
        found.append((row["id"], triggers))
    return found


def _triggers(archive: Archive) -> _Triggers:
    key = (str(archive.path), tags.vocabulary_generation(archive))
    with _lock:
        found = _filed.get(key)
    if found is None:
        order, by_word = {}, {}
        for theme_id, triggers in query_triggers(archive):
            order[theme_id] = len(order)
            for lang, phrases in triggers.items():
                for phrase in phrases:
                    said = phrase.split()
                    words = frozenset(map(fold, said))
                    # a phrase's function words as written (``MIN_PHRASE_STEM``)
                    plain = {fold(w) for w in said if len(words) > 1 and _unstemmed(w.casefold(), lang)}
                    own = [stems.term(w.casefold(), lang) for w in said if fold(w) not in plain] \
                        if lang in stems.SNOWBALL else []
                    terms = frozenset(own).union(plain) if own else frozenset()
                    shortest = min(len(t.partition("_")[2]) for t in own) if own else 0
                    stemmed = _FORMS if shortest >= (MIN_STEM if len(own) == 1 else MIN_PHRASE_STEM) else \
                        _LEMMAS if len(words) == 1 and shortest >= MIN_PHRASE_STEM else None
                    written = as_written(phrase) if len(words) == 1 else ""
                    lemma = frozenset({_lemma_key(lang, known_words.lemma_hash(written))}) \
                        if written and lang in stems.LANGUAGES else frozenset()
                    # filed under a word that is no function word: a query saying "de"
                    # looked at 250 phrases filed under it (0.1 ms)
                    for filed, how in ((words, _WORDS), (terms if stemmed is not None else frozenset(), stemmed),
                                       (lemma, _LEMMAS)):
                        if filed:
                            by_word.setdefault(min(filed - plain or filed), []).append(
                                (theme_id, filed, lang, written, how))
        found = _Triggers(order, {w: tuple(filed) for w, filed in by_word.items()})
        with _lock:
            _filed.clear()
            _filed[key] = found
    return found


@dataclass(frozen=True)
class Called:
    themes: tuple[str, ...]
    """Themes with a trigger made of the query's words (all of a phrase's words present,
    in any of their forms), in the vocabulary's order."""
    words: frozenset[str]
    """The query's words (folded) in a trigger phrase that calls one up."""


def called_up(archive: Archive, text: str, language: str | None = None, known: KnownWords | None = None) -> Called:
    """The themes a query calls up, and by which of its words. ``language``: the one the
    query's function words tell (``Query.told``): a word in a trigger of that language
    calls up no other language's ("mi padre emigró", Spanish, called up religion through
    Portuguese "padre", a priest; Spanish "padre" is family's). ``known``: the languages'
    dictionaries, by which a trigger with a short stem stands for its forms (``MIN_STEM``)."""
    triggers = _triggers(archive)
    called = _called(triggers, text, known)
    if language is not None:
        own = {w for _, words, lang in called if lang == language for w in words}
        called = [c for c in called if c[2] == language or own.isdisjoint(c[1])]
    return Called(tuple(sorted({theme_id for theme_id, _, _ in called}, key=triggers.order.__getitem__)),
                  frozenset(w for _, words, _ in called for w in words))


def query_themes(archive: Archive, text: str) -> tuple[str, ...]:
    """The themes a query calls up (``called_up``)."""
    return called_up(archive, text).themes


def _called(triggers: _Triggers, text: str, known: KnownWords | None = None) -> list[tuple[str, set[str], str]]:
    """(theme id, the query's folded words that called it up, the trigger's language) for
    each trigger phrase the query holds. A word calls up only the nearest of the one-word
    triggers it meets: those written as it is typed, accents and all, before those it
    folds to, then those the dictionary makes it a form of, then those it meets by a
    stem alone: Spanish "deporte" (sport) called up war and migration through French
    "déporté" and the stem "deport" of six languages, Italian "turni" (shifts) sport
    through German "Turnier" (a tournament) beside work's "turno"."""
    typed = typed_words(text)
    said: dict[str, set[str]] = {}  # what a trigger may be filed under -> the query's words saying it
    typed_as: dict[str, str] = {}  # a query's word folded -> as typed
    for word in typed:
        typed_as.setdefault(fold(word), word)
        for key in (fold(word), *_forms(word), *(_lemmas(known, word) if known is not None else ())):
            said.setdefault(key, set()).add(fold(word))
    found = [(theme_id, phrase, lang, nearness)
             for key in said for theme_id, phrase, lang, written, how in triggers.by_word.get(key, ())
             for words in [[typed_as[w] for w in said[key]]]
             for nearness in [_nearness(known, how, typed, words, written, lang)]
             if phrase <= said.keys() and _meets(known, how, nearness, words, written, lang)]
    nearest: dict[str, int] = {}  # a query's word -> the nearness of the nearest one-word trigger it meets
    for _, phrase, _, nearness in found:
        for word in said[min(phrase)] if len(phrase) == 1 else ():
            nearest[word] = min(nearest.get(word, _BY_STEM), nearness)
    return [(theme_id, set().union(*(said[w] for w in phrase)), lang) for theme_id, phrase, lang, nearness in found
            if len(phrase) > 1 or any(nearness <= nearest[w] for w in said[min(phrase)])]


_AS_TYPED, _FOLDED, _BY_DICTIONARY, _BY_STEM = range(4)
"""How near a query's word is to a one-word trigger it meets, nearest first: typed as the
trigger is written, folded to it, a form of it by the dictionary, of its stem alone."""


def _nearness(known: KnownWords | None, how: int, typed: set[str], words: list[str], written: str, lang: str) -> int:
    if how == _WORDS:
        return _AS_TYPED if written in typed else _FOLDED if written else _BY_STEM
    if written and known is not None and any(_lemma_of(known, w, written, lang) for w in words):
        return _BY_DICTIONARY
    return _BY_STEM


def _meets(known: KnownWords | None, how: int, nearness: int, words: list[str], written: str, lang: str) -> bool:
    """Whether a query's ``words`` (as typed) that a trigger is filed under (``how``) meet
    it: by a short stem or a dictionary form only where the dictionary makes one a form
    of it (``_lemma_of``, as ``_nearness`` reads it), folded only where none is another
    word, typed with accents it lacks (``_bare_of``). Without the dictionary (before a
    server has made it), by no short stem nor dictionary form, and folded."""
    if how == _LEMMAS:
        return nearness == _BY_DICTIONARY
    return nearness != _FOLDED or known is None or any(_bare_of(known, w, written, lang) for w in words)


def _accented(word: str) -> bool:
    """Whether a word (case-folded, as written) has letters folding changes: "fermé", "szłam"."""
    return fold(word) != word


@functools.lru_cache(maxsize=65536)
def _lemma_of(known: KnownWords, word: str, trigger: str, lang: str) -> bool:
    """Whether the dictionary of ``lang`` makes a query's word a form of a trigger
    (``_LEMMAS``): not a function word of any language ("für" is Romanian "fur", I steal),
    and a word of ``lang`` as typed, accents and all. A form of the trigger itself, not
    of a word the trigger is a form of too: Italian "partir" (to leave) is "partire",
    whose past participle is "partita", a match, sport's. A word typed without the
    trigger's accents that is a form of the word they fold to as well is that word, as
    typed: Romanian "malul" is the shore's ("mal"), not the silt's ("mâl", of floods)."""
    return not stems.function_word_in(fold(word)) and lang in known.languages(word) and \
        known.form_of(word, trigger, lang) and not (
            not _accented(word) and _accented(trigger) and known.form_of(word, fold(trigger), lang))


@functools.lru_cache(maxsize=65536)
def _bare_of(known: KnownWords, word: str, trigger: str, lang: str) -> bool:
    """Whether a query's word meets a one-word trigger it folds to. Not
    where it is typed with accents the trigger lacks and the dictionary knows it, but not
    as a form of the trigger: French "fermé" (closed) met "ferme" (a farm), Polish
    "szłam" (I walked) "szlam" (sludge); "wojną" is "wojna"'s (war)."""
    if not _accented(word) or _accented(trigger):
        return True
    return not known.languages(word) or known.form_of(word, trigger, lang)


@functools.lru_cache(maxsize=65536)
def _lemmas(known: KnownWords, typed: str) -> frozenset[str]:
    """A query's word (case-folded) as the dictionary forms it is a form of, where it is a
    word of one language and no function word of any. Of the labelled stories' words, 193
    called up 477 themes more so, 31 % of them a label of their story (29.5 % of all
    call-ups); in every language it is a word of, 233 called up 868, 21 %, many by chance:
    Italian "ora" (now) called up religion through Portuguese "orar" (to pray), "sat"
    farming through German "säen" ("sät", sows)."""
    languages = known.languages(typed)
    if stems.function_word_in(fold(typed)) or len(languages) != 1:
        return frozenset()
    return frozenset(_lemma_key(lang, h) for lang in languages for h in known.lemmas(typed, lang))


def _lemma_key(lang: str, lemma: int) -> str:
    return f"{lang}#{lemma}"


def _unstemmed(typed: str, lang: str) -> bool:
    """Whether ``_forms`` gives a case-folded word no index term in ``lang``: too short a
    word, or a function word of it that its accents do not tell apart."""
    word = fold(typed)
    return len(word) < MIN_PHRASE_STEM or (word in stems.stop_words(lang) and not stems.told_apart(typed, lang))


@functools.lru_cache(maxsize=65536)
def _forms(typed: str) -> frozenset[str]:
    """A query's word (case-folded) as index terms, in each language it is no function word
    of, Polish ones alternated too ("fabryce" is "fabryk" too: ``stems.alternated``):
    "inondations", "powodzi", "Überschwemmungen" and "floods" called up no theme, where
    the trigger's own word did. Nothing for a word shorter than a stem that counts
    (``_unstemmed``, the one rule for a query's words and a trigger phrase's)."""
    word = fold(typed)
    own = {stems.term(form, lang) for lang in stems.LANGUAGES if not _unstemmed(typed, lang)
           for form in {typed, word}}
    return frozenset(own.union(*map(stems.alternated, own))) - {""}


def themed_stories(conn: sqlite3.Connection, themes: tuple[str, ...]) -> np.ndarray:
    """Every story tagged with any of ``themes`` (sorted, each once)."""
    return story_ids(conn, f"SELECT DISTINCT story_id AS id FROM story_themes WHERE theme_id IN ({_marks(themes)})",
                     themes)


_ASKED_BY_ID = 1000
"""Up to this many stories, ``by_theme`` looks each up rather than read all of a theme's."""


def by_theme(conn: sqlite3.Connection, themes: tuple[str, ...], among: np.ndarray) -> list[int]:
    """The stories of ``among`` (sorted) tagged with any of ``themes``, the one the tagger
    is surest tells one first (its best score): the themes' own ranking, which fusion
    counts beside the words' and meaning's."""
    if len(among) <= _ASKED_BY_ID:
        # those found by words or meaning too: each looked up (reading all of a theme's
        # 1,553 stories took 2.1 ms at a million segments, looking up 500 0.2-0.4)
        rows = conn.execute(f"""SELECT story_id, max(score) FROM story_themes WHERE theme_id IN ({_marks(themes)})
                                AND story_id IN (SELECT value FROM json_each(?)) GROUP BY story_id""",
                            (*themes, json.dumps(among.tolist()))).fetchall()
    else:
        rows = conn.execute(f"SELECT story_id, max(score) FROM story_themes WHERE theme_id IN ({_marks(themes)}) "
                            "GROUP BY story_id", themes).fetchall()
    ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
    scores = np.fromiter((r[1] for r in rows), np.float64, len(rows))
    kept = ranked.among(ids, among)
    ids, scores = ids[kept], scores[kept]
    return ids[np.lexsort((ids, -scores))].tolist()


def told_without(conn: sqlite3.Connection, themes: tuple[str, ...], story_ids: np.ndarray,
                 excluded_fts: str) -> dict[int, list[int]]:
    """Per story of ``story_ids``, its segments that tell one of ``themes`` and say none of
    the words a query leaves out (``excluded_fts``, against the words index): a story
    found through a theme with no such segment is no hit, as a moment saying such a word
    is none."""
    told: dict[int, list[int]] = {}
    for story_id, segment_id in conn.execute(
            f"""SELECT e.story_id, e.segment_id FROM theme_evidence e JOIN segments s ON s.id = e.segment_id
                WHERE e.theme_id IN ({_marks(themes)}) AND e.story_id IN (SELECT value FROM json_each(?))
                AND e.story_id * {STORY} + e.segment_id NOT IN (
                    SELECT rowid FROM segment_terms WHERE segment_terms MATCH ?)
                GROUP BY e.segment_id ORDER BY e.story_id, s.idx""",
            (*themes, json.dumps(story_ids.tolist()), excluded_fts)):
        told.setdefault(story_id, []).append(segment_id)
    return told


def rank_themed(conn: sqlite3.Connection, themes: tuple[str, ...], stories_sql: str, params: list,
                only: list[int] | None = None) -> None:
    """The stories among ``stories_sql`` (and ``only``, when given) tagged with any of
    ``themes`` into ``temp.search_hits``, below those found by their words (tier 1, by
    their best theme score); those already there stay as they are."""
    # the theme's stories are read and each looked up among the reachable ('+' keeps
    # SQLite from doing it the other way round, which it guesses cheaper for an IN list
    # it takes for 25 ids: at a million segments it looked up each of 21,000 reachable
    # stories under the theme, 5.6 ms against 1.4)
    conn.execute(
        f"""INSERT OR IGNORE INTO temp.search_hits (story_id, tier, key, score)
            SELECT t.story_id, 1, max(t.score), max(t.score) FROM story_themes t
            WHERE t.theme_id IN ({_marks(themes)}) AND +t.story_id IN ({stories_sql})
            {'AND t.story_id IN (SELECT value FROM json_each(?))' if only is not None else ''}
            GROUP BY t.story_id""", (*themes, *params, *([json.dumps(only)] if only is not None else [])))


def _marks(values: tuple[str, ...]) -> str:
    return ",".join("?" * len(values))
