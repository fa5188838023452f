"""Turning what a person types into FTS5 queries, safely.

A query is words, "quoted phrases", ``-word`` (or ``-"a phrase"``, or ``NOT word``) to
leave out, ``OR`` between two terms for either, and ``word*`` for the words it begins. Every other character FTS5 would
read as syntax is dropped, so no input can produce a syntax error.

A word stands for its forms in every language (``stems.query_forms``: "Kellern" meets
"Keller" in German segments, "powodzi" meets "powódź" in Polish ones); a quoted phrase
is matched word for word, each word in any of its forms ("pumped the cellar" meets
"pumping the cellars"; "Straße" and "Strasse" alike). Stop words of
the query's language are left out, unless quoted: they neither make a hit nor count.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from storyatlas import stems
from storyatlas.text import as_written, fold, written_out

if TYPE_CHECKING:
    from storyatlas.search.known_words import KnownWords

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(-?)([\w][\w\'’-]*)(\*?)', re.UNICODE)
# a word typed with * stands for the words it begins from this many letters on ("riv*"):
# "a*" would be most of the index
MIN_BEGUN = 3
_WORD = re.compile(r"\w+", re.UNICODE)
_SYNTAX = re.compile(r'"|(?<!\S)(?:OR|AND)(?!\S)')


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]
    """The words as typed (one, or a phrase's)."""
    phrase: bool
    known: tuple[str, ...] | None = None
    """The forms the index holds (``Query.known``); None before they are looked up."""
    languages: tuple[str, ...] | None = None
    """The languages whose forms a word stands for; None for every one (``_said_elsewhere``)."""
    prefix: bool = False
    """A word typed with ``*``: it stands for the index terms it begins (``Query.begun``)."""
    begun: tuple[str, ...] = ()
    """For a word typed with ``*``, those terms, of those said in stories the searcher may see."""
    more_begun: bool = False
    """Whether it begins more terms than ``begun`` holds (``vocabulary.BEGUN``)."""
    compounds: tuple[str, ...] = ()
    """The index terms of German and Dutch compounds whose last part is this word
    (``Query.compounded``)."""

    @property
    def folded(self) -> tuple[str, ...]:
        return tuple(fold(w) for w in self.words)

    def all_forms(self) -> tuple[str, ...]:
        """Every index term this word may stand for or, for a phrase, every sequence of
        terms it may be found as, in each language."""
        if self.prefix:
            return self.begun
        if not self.phrase:
            # never a language's function word: "war" typed alone met every German "es war"
            # (but "mémé" is no "même": ``stems.told_apart``)
            typed = _typed(self)
            grammar = {lang for lang in stems.function_word_in(fold(typed)) if not stems.told_apart(typed, lang)}
            return tuple(f for f in (*stems.query_forms(self.words[0]), *self.compounds)
                         if f.partition("_")[0] not in grammar
                         and (self.languages is None or f.partition("_")[0] in self.languages))
        return self.phrase_forms()

    def phrase_forms(self, holds: Callable[[str], bool] | None = None) -> tuple[str, ...]:
        """Every sequence of terms a phrase may be found as (``stems.phrase_forms``), in
        every language; with ``holds``, of the terms it says the index has."""
        said = stems.words(" ".join(self.words))
        return tuple(sorted(set().union(*(stems.phrase_forms(said, lang, holds)
                                          for lang in (*stems.LANGUAGES, stems.OTHER)))))

    def _kept(self) -> tuple[str, ...]:
        """The forms the index holds, or all of them before they are looked up."""
        return self.all_forms() if self.known is None else self.known

    def sequences(self) -> tuple[tuple[str, ...], ...]:
        """The sequences of index terms a phrase stands for (empty for a single word)."""
        return tuple(tuple(f.split()) for f in self._kept()) if self.phrase else ()

    def forms(self) -> tuple[str, ...]:
        """The index terms a single word stands for (empty for a phrase)."""
        return () if self.phrase else self._kept()

    def words_fts(self) -> str:
        """This term against the words index (``segment_terms``)."""
        forms = self._kept()
        # a word the index does not hold: a term no text can make (terms are "xx_word");
        # no column filter: the index has only the two columns a word is looked for in,
        # and FTS5 checked the filter on every row ("the the" at a million segments: 37 ms
        # a half with it, 31 without)
        return "(" + (" OR ".join(literal(f) for f in forms) or literal(NOWHERE)) + ")"

    def plain_fts(self) -> str:
        """This term against an index of a plain tokenizer (the index points'), as typed
        and with ß, œ, ł and the like written out (their ``folded`` column): "Lodz" and
        "Łódź" find each other."""
        said = " ".join(self.words)
        out = written_out(said)
        begins = " *" if self.prefix else ""
        return literal(said) + begins if out == said.casefold() else \
            f"({literal(said)}{begins} OR {literal(out)}{begins})"


NOWHERE = "__"
"""A term no text makes: what a query word the index does not hold stands for."""


def literal(text: str) -> str:
    return '"' + text.replace('"', "") + '"'


@dataclass(frozen=True)
class Query:
    clauses: tuple[tuple[Term, ...], ...]
    """Every clause must match; a clause is one term, or several joined by OR."""
    excluded: tuple[Term, ...] = ()
    language: str = "en"
    """The language whose stop words were left out."""
    told: bool = False
    """Whether the query's own function words told its language (not given, not assumed)."""

    def _expression(self, clauses: list[str], any_clause: bool, term_fts) -> str:
        joined = (" OR " if any_clause else " AND ").join(f"({c})" for c in clauses)
        if self.excluded:
            joined = f"({joined}) NOT (" + " OR ".join(term_fts(t) for t in self.excluded) + ")"
        return joined

    def clause_fts(self, clause: tuple[Term, ...]) -> str:
        return " OR ".join(t.words_fts() for t in clause)

    def words_fts(self, any_clause: bool = False) -> str:
        """The FTS5 query of the words index: every clause, or any when ``any_clause``."""
        return self._expression([self.clause_fts(c) for c in self.clauses], any_clause, Term.words_fts)

    def excluded_fts(self) -> str:
        """Any of the words left out, against the words index."""
        return " OR ".join(t.words_fts() for t in self.excluded)

    def plain_fts(self, any_clause: bool = False) -> str:
        return self._expression([" OR ".join(t.plain_fts() for t in c) for c in self.clauses], any_clause,
                                Term.plain_fts)

    def terms(self) -> list[Term]:
        return [t for c in self.clauses for t in c]

    def begun(self, beginning: Callable[[str], tuple[tuple[str, ...], bool]]) -> Query:
        """This query with each word typed with ``*`` standing for the terms ``beginning``
        says it begins (and whether it begins more)."""
        def expand(term: Term) -> Term:
            if not term.prefix:
                return term
            found, more = beginning(term.words[0])
            return replace(term, begun=found, more_begun=more)
        return replace(self, clauses=tuple(tuple(expand(t) for t in c) for c in self.clauses),
                       excluded=tuple(expand(t) for t in self.excluded))

    def compounded(self, ending: Callable[[str], tuple[str, ...]]) -> Query:
        """This query with each word it looks for (not a phrase's, a word typed with ``*``
        nor one left out) standing for the compounds ``ending`` says it ends too."""
        def expand(term: Term) -> Term:
            return term if term.phrase or term.prefix else replace(term, compounds=ending(term.words[0]))
        return replace(self, clauses=tuple(tuple(expand(t) for t in c) for c in self.clauses))

    def known(self, holds: Callable[[str], bool]) -> Query:
        """This query with each word's forms cut to those ``holds`` says the index has
        (a form of every word is looked up in ten languages; most are in none, and
        each one left in an FTS5 expression costs every statement that uses it).
        Where the query's function words told it is English and English stories or
        translations say a word of it, the word stands for its English forms alone:
        "the train was late" met a German "Trainer" (whose stem is "train") beside a
        translation's "late". Every story's translation is English, so each is still
        reached through it; a query told another language keeps every language's forms,
        as the telling may be wrong ("a kind man" is German by its function words "a"
        and "man") and other languages' forms are its only words into other languages'
        stories."""
        english = self.told and self.language == "en"

        def cut(term: Term, asked: bool) -> Term:
            if term.prefix:  # already only those held (``begun``)
                kept = term.begun
            elif term.phrase:
                kept = term.phrase_forms(holds)
            else:
                kept = tuple(f for f in term.all_forms() if holds(f))
                if asked and english and any(f.startswith("en_") for f in kept):
                    kept = tuple(f for f in kept if f.startswith(("en_", f"{stems.OTHER}_")))
            return replace(term, known=kept)
        return replace(self, clauses=tuple(tuple(cut(t, True) for t in c) for c in self.clauses),
                       excluded=tuple(cut(t, False) for t in self.excluded))


def _parse(text: str) -> tuple[list[list[Term]], list[Term]]:
    clauses: list[list[Term]] = []
    excluded: list[Term] = []
    join_next = negate_next = False
    for minus, phrase, minus_word, word, star in _TOKEN.findall(text):
        if not phrase and word in ("OR", "AND", "NOT"):
            join_next = word == "OR" and bool(clauses)
            negate_next = word == "NOT"
            continue
        words = _WORD.findall(phrase if phrase else word)
        if not words:
            continue
        if phrase:
            terms = [Term(tuple(words), True)]
        else:
            # a word written with an apostrophe ("l'inondation") is its words, the article a
            # stop word; one written with hyphens ("e-mail", "Baden-Württemberg") is a phrase
            terms = [Term(tuple(part), len(part) > 1) for part in
                     (_WORD.findall(piece) for piece in re.split(r"['’]", word)) if part]
            if star and not terms[-1].phrase and len(fold(terms[-1].words[0])) >= MIN_BEGUN:
                terms[-1] = replace(terms[-1], prefix=True)
        if minus or minus_word or negate_next:
            excluded += terms
        elif join_next and clauses:
            clauses[-1] += terms
        else:
            clauses += [[t] for t in terms]
        join_next = negate_next = False
    return clauses, excluded


def query_language(words: list[str], language: str | None = None,
                   holds: Callable[[set[str]], set[str]] | None = None, known: KnownWords | None = None) -> str:
    """The language whose stop words a query's words are: the language asked for, or
    the one most of them are stop words of (English, the archive's common language,
    when it is not clear). Where another language has as many, or where no more than
    half the words are stop words of the one language (English but for that), ``holds``
    (which of the index terms given the index has) decides by the stories: "war years"
    is English where English stories say both words, though "war" is a German stop word,
    "die Flut" German where German stories say "Flut", and "sera e io" Italian where
    Italian stories say "sera" (Spanish has as many stop words in it: "será", "e"). Before
    the stories, ``known`` (``known_words``) decides by the words that are forms of each
    language: "Deporte y clubes" (sport and clubs) was French by "y" ("deporte" is
    "déporte" folded, "clubes" no French word). It overrules a language with one function
    word more: "la mine a fermé" is French, not Romanian by "mine" (me)."""
    if language in stems.SNOWBALL:
        return language
    stop = {lang: [stems.is_stop_word(w, lang) for w in words] for lang in stems.LANGUAGES}
    hits = {lang: sum(stop[lang]) for lang in stems.LANGUAGES}
    # max keeps the first of equals: English, then the language listed first
    best = max(stems.LANGUAGES, key=lambda lang: (hits[lang], lang == "en"))
    tied = [lang for lang in stems.LANGUAGES if hits[lang] == hits[best]]
    languages_of: dict[str, frozenset[str]] = {}  # each word's, read once and only where asked

    def of(word: str) -> frozenset[str]:
        if word not in languages_of:
            languages_of[word] = known.languages(word)
        return languages_of[word]

    def words_of(lang: str) -> int:  # its function words and the forms its dictionary holds
        return 0 if known is None else sum(stopped or lang in of(w) for w, stopped in zip(words, stop[lang]))

    # a language with more function words than any other is not the query's where another
    # with one fewer has more of its words: "la mine a fermé" was Romanian by "la", "a" and
    # "mine" (me), and searched "fermé" alone, which met Polish "fermę" and Italian "ferma".
    # Not with two fewer: the tables hold words of other languages (Polish's "beim", "weiss",
    # "bis"). English is the query's (its table lacks most of its function words, and "the"
    # is French "thé" folded)
    outworded = known is not None and best != "en" and any(
        hits[lang] + 1 >= hits[best] and words_of(lang) > words_of(best) for lang in stems.LANGUAGES)
    # English alone, at once: the stories are asked only between equals ("przez most", across
    # the bridge, was English by "most", and searched "przez" alone)
    if holds is None or len(tied) == 1 and (best == "en" or 2 * hits[best] > len(words)) and not outworded:
        return best
    candidates = tied if 2 * hits[best] > len(words) and not outworded else [
        lang for lang in stems.LANGUAGES if hits[lang] or lang == "en"]
    held = holds({t for lang in candidates for w in words for t in _terms_of(w, lang)})

    def said_in(lang: str) -> int:
        return sum(stopped or bool(_terms_of(w, lang) & held) for w, stopped in zip(words, stop[lang]))

    def held_in(lang: str) -> int:
        return sum(bool(_terms_of(w, lang) & held) for w in words)

    # between equals, the words of each language first, then the stories' words before
    # stop words: "teh mine" was Romanian, whose stop word "mine" is, and left "teh" alone
    return max(candidates, key=lambda lang: (words_of(lang), said_in(lang), held_in(lang), hits[lang], lang == "en"))


def parse(text: str, language: str | None = None, holds: Callable[[set[str]], set[str]] | None = None,
          known: KnownWords | None = None) -> Query | None:
    """The query, stop words left out; None when nothing searchable is left (no words,
    only stop words, or only words to leave out). ``holds``, which of the index terms
    given the index has, and ``known``, the languages' words, help tell the query's
    language (``query_language``)."""
    clauses, excluded = _parse(text)
    free = [_typed(t) for c in clauses for t in c if not (t.phrase or t.prefix)]
    lang = query_language(free, language, holds, known)
    kept = _without_stop_words(clauses, lang)
    if not kept and lang != "en" and language is None and len(free) == 1:
        # "war", "man", "die": stop words in German, whole words in English; a query of
        # one such word alone means the word
        lang = "en"
        kept = _without_stop_words(clauses, lang)
    if not kept and language is None and holds is not None:
        kept = _said_elsewhere(clauses, lang, holds)
    if not kept:
        return None
    told = language is None and any(stems.is_stop_word(w, lang) for w in free)
    return Query(_once(kept), tuple(excluded), lang, told)


def _once(clauses: list[list[Term]]) -> tuple[tuple[Term, ...], ...]:
    """Each clause once, and each term once in its clause (the first as typed): FTS5 reads
    a word's whole list again each time it is asked, and "Water water water" took three
    times as long as "water" (77-105 ms at a million segments)."""
    seen, out = set(), []
    for clause in clauses:
        keys, terms = set(), []
        for t in clause:
            if (t.folded, t.phrase, t.prefix) not in keys:
                keys.add((t.folded, t.phrase, t.prefix))
                terms.append(t)
        if frozenset(keys) not in seen:
            seen.add(frozenset(keys))
            out.append(tuple(terms))
    return tuple(out)


def _typed(term: Term) -> str:
    """A term's (first) word as typed, case-folded with its accents."""
    return as_written(term.words[0])


def _terms_of(word: str, lang: str) -> set[str]:
    """The index terms of a word typed (case-folded) in ``lang``: its own, and as typed
    without accents, but for a word its accents tell from a function word."""
    own = stems.term(word, lang)
    return ({own} if stems.kept_accents(own) else {own, stems.term(fold(word), lang)}) - {""}


def _without_stop_words(clauses: list[list[Term]], lang: str) -> list[list[Term]]:
    kept = [[t for t in c if t.phrase or t.prefix or not stems.is_stop_word(_typed(t), lang)] for c in clauses]
    return [c for c in kept if c]


def _said_elsewhere(clauses: list[list[Term]], lang: str,
                    holds: Callable[[set[str]], set[str]]) -> list[list[Term]]:
    """A query of stop words only, in a language nobody gave: its words that the stories
    say as whole words of another language, each standing for its forms in those alone
    ("in der war" finds English stories about the war, never a German "war"); nothing
    where no story says one so (stop words alone never make a hit)."""
    def others(word: str) -> list[str]:
        return [other for other in stems.LANGUAGES if other != lang and not stems.is_stop_word(word, other)]

    words = {_typed(t) for c in clauses for t in c}
    held = holds({t for w in words for other in others(w) for t in _terms_of(w, other)})
    said = {w: tuple(other for other in others(w) if _terms_of(w, other) & held) for w in words}
    kept = [[replace(t, languages=said[_typed(t)]) for t in c if said[_typed(t)]] for c in clauses]
    return [c for c in kept if c]


def with_word(text: str, typed: str, offered: str) -> str:
    """The query with the word ``typed`` (in any case; words apart however far) written ``offered``."""
    words = re.escape(typed).replace(r"\ ", r"\s+")
    return re.sub(rf"(?<!\w){words}(?!\w)", lambda _: offered, text, flags=re.IGNORECASE)


def meant(text: str) -> str:
    """What a query asks for by meaning: the query as typed, without the quotes and the
    OR and AND that say how to search its words, or, where it leaves words out or has
    words typed with ``*`` (the beginnings of words, which mean nothing to the encoder),
    its other words and phrases alone. Quoted, '"wielka woda"' (high water) came closest
    to short lines about nothing ("I still call her at Christmas."), unquoted to floods."""
    clauses, excluded = _parse(text)
    if not excluded and not any(t.prefix for c in clauses for t in c):
        return " ".join(_SYNTAX.sub(" ", text).split()) if _SYNTAX.search(text) else text
    return " ".join(w for c in clauses for t in c if not t.prefix for w in t.words)


def said_and_left_out(text: str) -> tuple[str, tuple[Term, ...]]:
    """The query's words and phrases, without the terms it leaves out ("-cellar"), and those."""
    clauses, excluded = _parse(text)
    return " ".join(w for c in clauses for t in c for w in t.words), tuple(excluded)


def word_for_word(text: str) -> str:
    """The query with the words it asks for quoted as one phrase, as typed ("jusqu'à"), the
    words it leaves out kept: what searches words too common to search alone ("the -river":
    '"the" -river'); empty where it asks for no word."""
    asked, left_out, negate = [], [], False
    for minus, phrase, minus_word, word, _ in _TOKEN.findall(text):
        if not phrase and word in ("OR", "AND", "NOT"):
            negate = word == "NOT"
            continue
        if minus or minus_word or negate:
            left_out.append("-" + (literal(phrase) if phrase else word))
        elif _WORD.search(phrase or word):
            asked.append(phrase or word)
        negate = False
    return " ".join((literal(" ".join(asked)), *left_out)) if asked else ""


def terms(text: str) -> list[str]:
    """The words and phrases of a query, each as an FTS5 string literal."""
    clauses, _ = _parse(text)
    return [t.plain_fts() for c in clauses for t in c]


def fts_query(text: str, any_term: bool = False) -> str | None:
    """All terms must match (or any, when ``any_term``), for an index of a plain
    tokenizer; None when nothing searchable is left."""
    query = parse(text)
    return None if query is None else query.plain_fts(any_term)


def query_words(text: str) -> set[str]:
    """The folded words of a query (stop words too: theme triggers may hold them)."""
    return {fold(w) for w in typed_words(text)}


def typed_words(text: str) -> set[str]:
    """The words of a query as typed, case-folded with their accents (stop words too)."""
    clauses, _ = _parse(text)
    return {as_written(w) for c in clauses for t in c for w in t.words}
