"""Word forms for search, in the language they were spoken in.

Each word is stemmed with the Snowball stemmer of its language (through PyStemmer: all
ten vocabulary languages, Polish included, so "powodzi" and "powódź" meet, as do
"Kellern" and "Keller") and then folded like every word of the archive (``text.fold``),
but for a word whose accents tell it from a function word its stem would fold like
(French "mémé" is no "même", German "schön" no "schon": ``_grammar_stems``).
A stem is kept with its language ("de_kell"): a German stem and a Polish one that
happen to be spelled alike stay apart, and a query, whose language is not known, is
stemmed in every language and meets each segment only in the segment's own language.

A word said with accents whose stem changes when it is typed without them (Portuguese
"inundação" stems to "inund", "inundacao" to "inundaca"; French "inondées", Romanian
"inundație") is indexed under both: people type on phones without the accents, and
those forms met nothing (12 of 74 words of flood stories sampled in nine languages, all
Portuguese, Spanish, French or Romanian). The second terms follow the segment's own,
after ``UNACCENTED``, so a phrase still matches the words in order, and never the
segment's last word and the first of the second terms.

The archive's triggers call ``index_terms`` from SQL, so the words index is written in
the same transaction as the text it comes from (``surface`` only for the migrations
before 0014, which an archive made new still runs). This module is a bottom layer: it
imports nothing of the project but ``text``.
"""

from __future__ import annotations

import functools
import importlib.util
import itertools
import json
import math
import re
import threading
import unicodedata
from collections.abc import Callable
from pathlib import Path

from storyatlas.text import as_written, fold

# the theme vocabulary's languages (themes.vocabulary.LANGUAGES), with their Snowball names
SNOWBALL = {"en": "english", "de": "german", "fr": "french", "es": "spanish", "it": "italian",
            "pl": "polish", "nl": "dutch", "pt": "portuguese", "ro": "romanian", "el": "greek"}
LANGUAGES = tuple(SNOWBALL)
OTHER = "xx"
"""Words of any other language (or of none known) are folded but not stemmed."""

_WORD = re.compile(r"\w+", re.UNICODE)
# a word as stored decomposed ("Ko" + U+0308 + "ln"): \w takes no combining mark, and
# split it in two, so the word was found but never marked
_DECOMPOSED_WORD = re.compile(r"\w[\w\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]*")
# shortest word offered as a suggestion ("did you mean")
MIN_VOCABULARY = 3
_CACHE_SIZE = 200_000
_local = threading.local()
_caches: dict[str, dict[str, str]] = {lang: {} for lang in (*LANGUAGES, OTHER)}
_unaccented: dict[str, dict[str, str]] = {lang: {} for lang in (*LANGUAGES, OTHER)}
UNACCENTED = "_"
"""Between a text's terms, one per word, and the terms of its words as typed without
accents: a term of its own (the tokenizer keeps "_"), in no query. Until migration 0023
it was "|", which the tokenizer skips, so the quoted phrase "mnie sie" met every
segment whose last word was "mnie" and whose first word with accents was "się"."""
# a word as said, folded (for phrases)
_surfaces: dict[str, str] = {}


def language_key(lang: str | None) -> str:
    """The language a segment's words are stemmed in: its own, or OTHER."""
    return lang if lang in SNOWBALL else OTHER


def _stemmer(lang: str):
    # PyStemmer's stemmers must not be shared between threads
    stemmers = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    found = stemmers.get(lang)
    if found is None:
        import Stemmer

        found = stemmers[lang] = Stemmer.Stemmer(SNOWBALL[lang])
    return found


def _stem(word: str, lang: str) -> str:
    """``word`` (case-folded, accents kept: the stemmers read them) stemmed and folded, or
    stemmed only where its accents tell it from a function word (``_grammar_stems``)."""
    if lang == OTHER:
        return fold(word)
    stem = _stemmer(lang).stemWord(word)
    folded = fold(stem)
    if word.isascii() or folded not in (grammar := _grammar_stems(lang)):
        return folded
    written = _written_stem(word, stem)
    return written if written != folded and written not in grammar[folded] else folded


def _written_stem(word: str, stem: str) -> str:
    """A stem with the accents its word is written with: the French and Spanish stemmers
    take some off ("mémé" is "mem", "té" is "te"); "ş" and "ţ" written with a comma below."""
    said = word[:len(stem)]
    return (said if fold(said) == fold(stem) else stem).translate(_COMMA_BELOW)


def term(word: str, lang: str) -> str:
    """The index's term for one case-folded word spoken in ``lang`` (a language key):
    "de_kell" for "kellern"; "" for a word that folds to nothing."""
    cache = _caches[lang]
    found = cache.get(word)
    if found is None:
        stem = _stem(word, lang)
        found = f"{lang}_{stem}" if stem else ""
        if len(cache) >= _CACHE_SIZE:
            cache.clear()
        cache[word] = found
    return found


def kept_accents(index_term: str) -> bool:
    """Whether an index term keeps its word's accents (``_stem``): "fr_mém", not "fr_mem"."""
    stem = index_term.partition("_")[2]
    return fold(stem) != stem


def told_apart(word: str, lang: str) -> bool:
    """Whether a case-folded word's accents tell it, in ``lang``, from the function or
    stop word it folds like: French "mémé" from "même"."""
    return not word.isascii() and kept_accents(term(word, lang))


def unaccented(word: str, lang: str) -> str:
    """The term of a case-folded word spoken in ``lang`` as typed without its accents,
    where that is not its own term: "pt_inundaca" for "inundação" (whose term is
    "pt_inund"); "" for every other word."""
    if word.isascii() or lang == OTHER:  # OTHER's terms are folded, not stemmed: the same
        return ""
    cache = _unaccented[lang]
    found = cache.get(word)
    if found is None:
        found = term(fold(word), lang)
        if found == term(word, lang):
            found = ""
        if len(cache) >= _CACHE_SIZE:
            cache.clear()
        cache[word] = found
    return found


def words(text: str | None) -> list[str]:
    """The words of a text, case-folded with their accents (NFC), in order."""
    if not text:
        return []
    # the triggers ask for a segment's terms and its words as said one after the other
    last = getattr(_local, "last", None)
    if last is not None and last[0] == text:
        return last[1]
    found = _WORD.findall(as_written(text))
    _local.last = (text, found)
    return found


def spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, case-folded word) of each word of ``text`` as stored, for marking
    matched words in the text itself."""
    if unicodedata.is_normalized("NFC", text):  # as stored, almost always: no word to normalise
        return [(m.start(), m.end(), m.group().casefold()) for m in _WORD.finditer(text)]
    return [(m.start(), m.end(), as_written(m.group()))
            for m in _DECOMPOSED_WORD.finditer(text)]


def positions(text: str) -> list[tuple[int, int]]:
    """(start, end) of each word of ``text`` as stored (the words ``spans`` gives)."""
    return [m.span() for m in _WORD.finditer(text)]


def terms(said: list[str], lang: str) -> list[str]:
    """``term`` of each case-folded word, spoken in ``lang`` (a language key)."""
    cache = _caches[lang]
    try:
        return [cache[w] for w in said]
    except KeyError:
        return [term(w, lang) for w in said]


def terms_once(folded: list[str], lang: str) -> list[str]:
    """``term`` of each folded word, none kept in the cache: words asked about once, such
    as the variants of a misspelling "did you mean" tries (a word's hundreds, through
    ``term``, took 0.8 ms and filled the cache the indexer uses)."""
    if lang != OTHER and all(w.isascii() for w in folded):
        # folded and ASCII: the stemmer's stem is folded already (``_stem``)
        return [f"{lang}_{stem}" if stem else "" for stem in _stemmer(lang).stemWords(folded)]
    return [f"{lang}_{stem}" if (stem := _stem(w, lang)) else "" for w in folded]


def index_terms(text: str | None, lang: str | None) -> str:
    """What the words index holds of a text spoken in ``lang``: one term per word, in
    order, then after ``UNACCENTED`` those of its words typed without accents that differ."""
    key = language_key(lang)
    found = words(text)
    cache, bare = _caches[key], _unaccented[key]
    try:
        # the triggers call this for every segment written: most words are known already
        # (a word that folds to nothing joins as a double space, which the tokenizer skips)
        own = " ".join([cache[w] for w in found])
    except KeyError:
        own = " ".join([term(w, key) for w in found])
    if not found or text.isascii():  # no accent to leave out (most English translations)
        return own
    try:
        extra = [t for t in [bare[w] for w in found if not w.isascii()] if t]
    except KeyError:
        extra = [t for t in [unaccented(w, key) for w in found] if t]
    return f"{own} {UNACCENTED} {' '.join(extra)}" if extra else own


def surface(text: str | None) -> str:
    """The words of a text as written, folded, in order (for phrases and "did you mean")."""
    found = words(text)
    try:
        return " ".join([_surfaces[w] for w in found])
    except KeyError:
        for w in found:
            if w not in _surfaces:
                if len(_surfaces) >= _CACHE_SIZE:
                    _surfaces.clear()
                _surfaces[w] = fold(w)
        return " ".join([_surfaces[w] for w in found])


# Letters an ending may carry accented, where the stemmer reads them: a word typed
# without them is given them back at its end (``reaccented``)
ENDING_ACCENTS = {
    "pl": {"a": "ą", "c": "ć", "e": "ę", "l": "ł", "n": "ń", "o": "ó", "s": "ś"},
    "fr": {"e": "éè", "a": "â"},
    "pt": {"a": "ãá", "c": "ç", "e": "ê", "i": "í", "o": "õ"},
}
_ENDING = 5
"""How many of a word's last letters may be given accents (Polish "-łyśmy")."""
_MIN_REACCENTED = 3
"""Shortest stem a word given accents may stand for ("mail" is not "ma")."""


@functools.lru_cache(maxsize=20_000)
def reaccented(typed: str, lang: str, shortest: int = _MIN_REACCENTED) -> frozenset[str]:
    """The terms of the forms of ``lang`` that a word typed without accents (folded) may
    be, with the accents of its ending given back: "pl_rozmaw" for "rozmawialam"
    ("rozmawiałam"), "pt_inund" for "inundacoes" ("inundações"). Its own term meets
    only the same form said with accents (``unaccented``); these meet its other forms
    ("rozmawiałyśmy", "inundação"). Only letters from just before where its own stem
    ends are changed, so the word's root stays as typed; a stem shorter than ``shortest``
    is left out."""
    letters = ENDING_ACCENTS[lang]
    start = max(len(typed) - _ENDING, len(_stemmer(lang).stemWord(typed)) - 2)
    options = [[c, *letters.get(c, "")] if i >= start else [c] for i, c in enumerate(typed)]
    found = {term("".join(form), lang) for form in itertools.product(*options)}
    return frozenset(t for t in found if len(t) - len(lang) - 1 >= shortest)


ONE_ACCENT = {"es": ("aeiou", "áéíóú")}
"""Spanish writes at most one acute accent in a word ("había", "después", "aquí"): its
vowels and their accents. (An ñ typed as n needs nothing: terms are folded after the
stemmer, and giving it back changed no phrase of the labelled stories.)"""


@functools.lru_cache(maxsize=20_000)
def one_accent(typed: str, lang: str) -> frozenset[str]:
    """The terms of the words of ``lang`` a word typed without accents (folded) may be,
    with one accent on any of its vowels."""
    vowels, accented = ONE_ACCENT[lang]
    return frozenset(term(typed[:i] + accented[vowels.index(c)] + typed[i + 1:], lang)
                     for i, c in enumerate(typed) if c in vowels)


_PHRASE_FORMS = 64
"""Sequences of terms a quoted phrase is looked for as in one language, at most."""


def phrase_forms(said: list[str], lang: str, holds: Callable[[str], bool] | None = None) -> set[str]:
    """The sequences of terms (joined by spaces) a quoted phrase, its words case-folded
    as typed, may be found as in ``lang``: its words' own terms and, typed without
    accents, with them given back, so that "rua inundacao" finds "rua inundação" (the
    index holds a word as typed without accents apart from the words in order). Where
    the language's stemmer reads the accents of endings, those (``reaccented``, stems
    of any length: the words around a short one keep it apart); in Spanish, one accent
    anywhere (``one_accent``). With ``holds``, only terms it says the index has. Past
    ``_PHRASE_FORMS`` sequences, one word at a time is given its accents."""
    own = [term(w, lang) for w in said]
    if not own or not all(own):
        return set()
    options = [[t, *sorted(_given_back(fold(w), lang) - {t})] for t, w in zip(own, said)]
    if holds is not None:
        options = [[t for t in o if holds(t)] for o in options]
    if math.prod(len(o) for o in options) <= _PHRASE_FORMS:
        return {" ".join(seq) for seq in itertools.product(*options)}
    first = [o[0] for o in options]
    return {" ".join([*first[:i], t, *first[i + 1:]]) for i, o in enumerate(options) for t in o}


def _given_back(typed: str, lang: str) -> frozenset[str]:
    found = frozenset()
    if lang in ENDING_ACCENTS:
        found |= reaccented(typed, lang, 1)
    if lang in ONE_ACCENT:
        found |= one_accent(typed, lang)
    return found


def query_forms(word: str) -> tuple[str, ...]:
    """Every term a word typed in a query may stand for: its stem in each language (from
    the word as typed and as folded, for people who type without accents, and with the
    accents of its ending given back: ``reaccented``), and its folded form for words of
    other languages."""
    lowered = words(word)
    if not lowered:
        return ()
    typed = lowered[0]
    bare = fold(typed)
    forms = {term(typed, lang) for lang in LANGUAGES} | {term(bare, lang) for lang in LANGUAGES}
    forms.add(term(bare, OTHER))
    for lang in ENDING_ACCENTS:  # from the folded word: phones leave out some accents and not others
        forms |= reaccented(bare, lang)
    for lang in LANGUAGES:
        if told_apart(typed, lang):
            # typed with the accents that tell it from a function word ("mémé", "jąkał"):
            # never as typed without them, which is that word ("même", "jak")
            forms.discard(f"{lang}_{fold(term(typed, lang).partition('_')[2])}")
    forms |= {f for form in forms for f in alternated(form)}  # after: "jak" alternated is no form of "jąkał"
    forms.discard("")
    return tuple(sorted(forms))


def _german_plural(stem: str) -> set[str]:
    """The German stem with or without a plural ending the stemmer keeps: "-s" after a
    vowel ("foto", "fotos"), "-nen" of "-in" ("kollegin", "kolleginn"), "-n" after "-el"
    and "-ar" ("schaufel", "schaufeln"; "nachbar", "nachbarn"). Of 3,435 nouns said in the
    labelled German stories, a query of the word's dictionary form met the form said for
    97.2 % by the stems alone, 99.1 % with these; of 20,000 dictionary forms of nouns, 8
    met another word's stem ("Europäer", stemmed "europa", met "Europas"; by spaCy's
    lookup tables, ad hoc, 2026-12-08)."""
    found = set()
    if len(stem) >= 4 and stem[-1] in "aioy":  # the vowels of those plurals: Fotos, Kitas, Pullis, Partys
        found.add(stem + "s")
    if len(stem) >= 5 and stem[-2:] in ("as", "is", "os", "ys"):
        found.add(stem[:-1])
    if stem.endswith("in") and len(stem) >= 5:
        found.add(stem + "n")
    if stem.endswith("inn") and len(stem) >= 6:
        found.add(stem[:-1])
    if len(stem) >= 4 and stem.endswith(("el", "ar")):
        found.add(stem + "n")
    if len(stem) >= 5 and stem.endswith(("eln", "arn")):
        found.add(stem[:-1])
    return found


# Polish consonants that alternate at the end of a stem, before the endings of some cases
# ("fabryka", "w fabryce"; "droga", "na drodze"; "woda", "w wodzie"; "siostra", "siostrze";
# "mucha", "musze"), which the stemmer leaves apart
_POLISH_ALTERNATING = (("c", "k"), ("k", "c"), ("dz", "g"), ("g", "dz"), ("dz", "d"), ("d", "dz"),
                       ("rz", "r"), ("r", "rz"), ("sz", "ch"), ("ch", "sz"))
_MIN_ALTERNATED = 2
"""Letters of a stem kept before its last consonant is swapped ("rek", ręka: "rec", ręce)."""
# and an "e" before a last c, k or n that comes and goes ("koniec", "w końcu"; "początek",
# "na początku"; "sierpień", "w sierpniu"; "matka", "matek")
_POLISH_FLEETING = "ckn"
_VOWELS = frozenset("aeiouy")


def alternated(index_term: str) -> set[str]:
    """A Polish term with its last consonant alternated ("pl_fabryk": "pl_fabryc"), and
    with an "e" before it taken out or put in ("pl_koniec": "pl_konc"); a German term with
    or without the plural endings the stemmer keeps (``_german_plural``); none for another
    language's. Of 14,108 nouns said in the labelled Polish stories, a query of the word's
    dictionary form met the form said for 79.6 % by the stems alone, 86.4 % with these
    (82.6 % with the consonants only, 83.5 % with the "e" only); each of 20,000 dictionary
    forms of nouns and adjectives met 0.072 other words more (0.052, 0.020; by spaCy's
    lookup tables, 2026-12-06)."""
    lang, _, stem = index_term.partition("_")
    if lang == "de":
        return {f"de_{form}" for form in _german_plural(stem)}
    if lang != "pl":
        return set()
    found = {stem[:-len(said)] + meant for said, meant in _POLISH_ALTERNATING
             if stem.endswith(said) and len(stem) - len(said) >= _MIN_ALTERNATED}
    if len(stem) >= 4 and stem[-1] in _POLISH_FLEETING:
        if stem[-3:-1] == "ie" and stem[-4] not in _VOWELS:
            found.add(stem[:-3] + stem[-1])
        elif stem[-2] == "e" and stem[-3] not in _VOWELS:
            found.add(stem[:-2] + stem[-1])
        elif stem[-2] not in _VOWELS:
            found |= {stem[:-1] + "e" + stem[-1], stem[:-1] + "ie" + stem[-1]}
    return {f"{lang}_{form}" for form in found}


@functools.lru_cache(maxsize=1)
def _function_lists() -> dict[str, list[str]]:
    """Each language's function words as written (function_words/lists.json)."""
    return json.loads((Path(__file__).parent / "function_words" / "lists.json").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _function_words() -> dict[str, frozenset[str]]:
    by_word: dict[str, set[str]] = {}
    for lang, said in _function_lists().items():
        for word in said:
            by_word.setdefault(fold(word), set()).add(lang)
    return {word: frozenset(langs) for word, langs in by_word.items()}


def function_word_in(word: str) -> frozenset[str]:
    """The languages in which ``word`` (folded) is a function word ("war", "die", "son"),
    by the Snowball project's short lists and the project's own for Polish and Romanian
    (function_words/SOURCES.md): spaCy's stop lists hold content words too (Italian "casa",
    "lavoro", Romanian "mare")."""
    return _function_words().get(word, frozenset())


# words of spaCy's stop lists that carry a subject a story may be found by ("the mine
# closed", "la casa"), folded; a query keeps them
SUBJECTS_TOO = {
    "en": "amount bottom empty front full mine name part serious side top",
    "de": "ende jahr jahre jahren morgen recht tag tage tagen teil uhr zeit",
    "fr": "effet gens retour",
    "es": "dia dias lado pais tarde verdad",
    "it": "anni anno casa cima citta consiglio esempio faccia fine forza futuro giorni giorno governo gruppo lato "
          "lavoro luogo mesi ministro momento mondo ore paese persone piedi posto scopo tempo uomo vita",
    "pt": "apoio area caminho coisa conselho exemplo falta fim forma grupo inicio lado local lugar mes meses "
          "momento nivel numero ponto posicao povo questao sistema tempo tipo valor",
    "pl": "kierunku roku",
    "ro": "acord capat drept fata mare nevoie noroc spate timp vreme zi",
}


@functools.lru_cache(maxsize=None)
def _spacy_stop_words(lang: str) -> frozenset[str]:
    """A language's words of spaCy's stop list (read without loading spaCy), case-folded
    with their accents, less those that carry a subject (``SUBJECTS_TOO``); empty for a
    language spaCy has none for."""
    if lang not in SNOWBALL:
        return frozenset()
    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    path = Path(next(iter(spec.submodule_search_locations))) / "lang" / lang / "stop_words.py"
    if not path.exists():
        return frozenset()
    namespace: dict = {}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)  # a list of words, no imports
    # split at an apostrophe, as a query is: Dutch "zo'n", folded whole, was "zon", the sun
    said = {as_written(w) for words in namespace.get("STOP_WORDS", ())
            for w in re.split("['‘’]", words) if w}
    subjects = set(SUBJECTS_TOO.get(lang, "").split())
    return frozenset(w for w in said if fold(w) and fold(w) not in subjects)


@functools.lru_cache(maxsize=None)
def stop_words(lang: str) -> frozenset[str]:
    """Folded stop words of a language: spaCy's (``_spacy_stop_words``) and its function
    words (``function_word_in``), some of which spaCy's lists lack: Italian "i" and "o",
    French "fut" and "avez", Spanish "estuve", Polish "potem" and "kogo"."""
    subjects = set(SUBJECTS_TOO.get(lang, "").split())
    return frozenset(f for f in map(fold, (*_spacy_stop_words(lang), *_function_lists().get(lang, ())))
                     if f and f not in subjects)


def is_stop_word(word: str, lang: str) -> bool:
    """Whether a case-folded word is a stop word of ``lang``: folded, one of its stop
    words, and not told apart from them by its accents (French "mémé" is not "même")."""
    return fold(word) in stop_words(lang) and not told_apart(word, lang)


# the accented spellings of function words that the lists write without the accents, so
# that they are still function words (``_grammar_stems``): Italian "né", "sì" and "lì"
# beside "ne", "si" and "li"; Romanian "ceilalți", where spaCy writes "ceilalti"
WRITTEN_TOO = {
    "de": "gäbe gäben käme kämen nähme nähmen sähe sähen wärst wärt",
    "es": "atrás",
    "it": "ché ciò dà lì né sé sì",
    "pt": "àquela àquelas àquele àqueles àquilo dás dê dês irão quão sê tá vá ó",
    "pl": "byście coście gdzieście jakąś jeśliście jeśliśmy jeżeliście jeżeliśmy",
    "ro": "altă astă atâți atâția avuți ceilalți căreia dați făcea făceți poți ăi ăia ăl",
}
# Romanian's s and t with a comma below, which older texts (and spaCy's list) write with a cedilla
_COMMA_BELOW = str.maketrans("şţ", "șț")


@functools.lru_cache(maxsize=None)
def _grammar_stems(lang: str) -> dict[str, frozenset[str]]:
    """The stems of a language's stop and function words as written, by their folded
    form. A word whose stem folds to one of them but is written otherwise keeps its
    accents in the index (``_stem``): French "mémé" (granny) was "fr_mem" as "même" is,
    so a search for it met every "même", and Polish "jąkał" (stuttered) every "jak"."""
    written = {as_written(w) for w in _function_lists().get(lang, ())}
    written |= _spacy_stop_words(lang) | set(WRITTEN_TOO.get(lang, "").split())
    stemmer = _stemmer(lang)
    by_folded: dict[str, set[str]] = {}
    for word in written:
        stem = stemmer.stemWord(word)
        by_folded.setdefault(fold(stem), set()).add(_written_stem(word, stem))
    return {folded: frozenset(stems) for folded, stems in by_folded.items()}


@functools.lru_cache(maxsize=1)
def grammar_version() -> str:
    """What names the stems ``_grammar_stems`` gives in every language: the words index
    is made again when it changes (the lists, or spaCy's, changed), as its terms do."""
    import hashlib

    said = json.dumps({lang: sorted((k, sorted(v)) for k, v in _grammar_stems(lang).items()) for lang in LANGUAGES},
                      ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(said.encode()).hexdigest()[:16]
