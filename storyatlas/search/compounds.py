"""German and Dutch compounds found by their last part: "Arzt" finds "Zahnarzt",
"Hochwasser" "Jahrhunderthochwasser", "Keller" "Weinkeller".

Both languages write a compound as one word, whose last part says what it is (a
"Zahnarzt" is an "Arzt", a dentist a doctor), so its stem is no form of that part's
and the words index did not meet it. Of the 3,103 words of seven letters or more
written with a capital in the labelled German stories, 1,156 are two German words
joined (by the dictionary); a query of the last part finds 983 of them
(``benchmarks/compounds.py``, 2026-12-07; none before, 953 before ``CUT_INSIDE``). Of
60 of the compounds those stories' words stood for (before the sixth blind set), drawn
at random, 54 are a kind of the word; most of the rest have a stem like it: "Schüler"
(pupils) stands for "Volksschule" (a school). Of the 2,569 words of seven letters or
more in the Dutch ones, 706 are two Dutch words joined and the last part finds 548
(``--language nl``); of 60 of the compounds their words stand for, 53 are a kind of the
word by a reading that is no native speaker's (2026-12-07).

A query's word stands, besides its own forms, for the index terms of the stories'
words that end with its stem where what comes before is a word of that language by
the dictionary (``known_words``), as it is or less a joining letter or two
("Jahrhundert", "Frühstück-s"), and no function word: "Land" does not find "Ausland"
(abroad), nor "Rand" (edge) "Strand" (a beach), "st" being no word, nor "haal" (fetch)
"verhaal" (a story), "ver" being a prefix there (``PREFIXES``, ``SUFFIXES``; in Dutch
they took 65 and 50 of the 1,157 compounds its words stood for). What comes before
may be two words ("Luftschutz-keller", "Jahrhundert-hoch-wasser"): of the 80 words of
ten letters or more in those stories that are a word after two, a query of the last part
finds 63 (none before; most of the rest are cut wrongly by the benchmark, "Zwangs-
arbeite-rinnen", or their last part's stem is too short to be sought, "Wagen" as
"wag"), and of the 89 compounds it stands for that one word did not, 74 are a kind of
it. Each
cut is looked up, so a word whose stem ends many terms pays for it: on the stems of
spaCy's German table, "Arbeit" took 1.4 ms where it took 0.7 (ad hoc, 2026-12-07).
A compound is not found by its first part: that part's stem is cut from the whole
("Hochwasserschutz"), and a "Wasserwerfer" (water cannon) is no water.

Without the dictionary (before a server has made it) no compound is found so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from storyatlas import stems
from storyatlas.search.known_words import KnownWords
from storyatlas.text import fold

if TYPE_CHECKING:
    from storyatlas.search.vocabulary import Vocabulary

LANGUAGES = ("de", "nl")
MIN_STEM = 4
"""The shortest stem of a query's word found at the end of compounds: "Tür" ("tur")
would end "Natur"; "Arzt" and "Haus" are found so."""
MIN_FRONT = 3
PREFIXES = frozenset({"ver", "miss", "pro"})
"""Words that begin a word as a prefix that makes it another, never the first part of a
compound: Dutch "ver" (far) in "verhaal" (a story; "haal", fetch) and "vertaal"
(translate; "taal", a language), German "miss" in "Missbrauch" (abuse; "Brauch", a
custom), "pro" in Dutch "promotie"."""
JOINING = ("s", "es", "n", "en", "er", "e")
"""What German and Dutch put between a compound's parts ("Arbeit-s-platz", "Kinder-garten")."""
SUFFIXES = {"nl": frozenset({"lijk", "tien", "tiend"}), "de": frozenset({"schaft", "zehn", "zehnt"})}
"""Stems that are words and also endings that make words of others, never sought at the
end of a compound: "vriendelijk" (friendly) is no "lijk" (a corpse), "Freundschaft"
(friendship) no "Schaft" (a shaft), "zeventien" (seventeen) and "siebzehn" no ten."""
_LONG_FRONT = "xaxax"
CUT_INSIDE = ("ung", "ik", "est")
"""Endings the stemmer cuts from the last part of a long word and not from the word alone
("Fabrik", "Siedlung", "Schwester": "Krankenschwester" is "krankenschw"). Others it cuts
so are left: "Schwerin" would stand for "Krankenschwester" by "-erin", "sächsisch"
(Saxon) for "Niedersachsen" by "-isch". Among the labelled German stories' capitalised
words these stand for 49 compounds more, 43 of them a kind of the word by the author's
reading (the rest "Leitung" for "Abteilungsleiter" and "Kursleiterin", "Firmung" for
"Baufirma", "Rechnungen" for "Bruchrechnen"; chosen on those stories, not held apart)."""
MOST = 20
"""The most compounds a word stands for, the shortest first: each term in the FTS5 query
costs every statement that reads it."""
LOOKED_AT = 100
"""The most terms ending with a word's stem whose front is looked up in the dictionary, of
those said in stories the searcher may see, the shortest first (about 20 µs a term, more
where the front is looked at as two words: "Arbeit" ended 87 of the 55,718 stems of
spaCy's German table and took 1.7 ms; ad hoc, 2026-12-07)."""


def compounds(vocabulary: Vocabulary, known: KnownWords, word: str,
              held: Callable[[list[str]], set[str]] | None = None) -> tuple[str, ...]:
    """The index terms of German and Dutch compounds whose last part is ``word`` (as typed);
    ``held``: of those given, the terms said in stories the searcher may see, which alone
    are looked at (so that which are found tells nothing of the others)."""
    found: list[str] = []
    folded = fold(word.casefold())
    for lang in LANGUAGES:
        if folded not in stems.stop_words(lang):
            for stem in _stems(folded, lang, known):
                found += _ending(vocabulary, known, lang, stem, held)
    return tuple(sorted(dict.fromkeys(found), key=lambda term: (len(term), term))[:MOST])


def _stems(folded: str, lang: str, known: KnownWords) -> list[str]:
    """The stems of a word's last part sought: its own, and the stem it has at the end of a
    long word where the stemmer cuts one of ``CUT_INSIDE`` more and what is left is no word
    of ``lang``: "Fabrik" is "fabrik" but "Schuhfabrik" "schuhfabr", "Siedlung"
    "siedlung" but "Barackensiedlung" "barackensiedl"; "Zeitung" would be "zeit", as
    "Tageszeit" (a time of day) is, so it is not sought so."""
    stem = stems.term(folded, lang).partition("_")[2]
    # the word after a front that leaves the stemmer's regions (R1, R2) all of the word
    inner = stems.term(_LONG_FRONT + folded, lang).partition("_")[2][len(_LONG_FRONT):]
    sought = [stem]
    if any(stem == inner + end for end in CUT_INSIDE) and lang not in known.languages(inner):
        sought.append(inner)
    return [s for s in sought if len(s) >= MIN_STEM and s not in SUFFIXES.get(lang, ())]


def _ending(vocabulary: Vocabulary, known: KnownWords, lang: str, stem: str,
            held: Callable[[list[str]], set[str]] | None) -> list[str]:
    """The compounds among the terms of ``lang`` ending with ``stem``, the shortest first."""
    ending, kept, looked = sorted(vocabulary.ending(lang, stem), key=lambda term: (len(term), term)), [], 0
    for at in range(0, len(ending), LOOKED_AT):
        batch = ending[at:at + LOOKED_AT]
        if held is not None:
            said = held(batch)
            batch = [term for term in batch if term in said]
        batch = batch[:LOOKED_AT - looked]
        looked += len(batch)
        kept += [term for term in batch if _front(term.partition("_")[2][:-len(stem)], stem, lang, vocabulary, known)]
        if len(kept) >= MOST or looked >= LOOKED_AT:
            break
    return kept[:MOST]


def _front(front: str, stem: str, lang: str, vocabulary: Vocabulary, known: KnownWords, parts: int = 2) -> bool:
    """Whether what comes before a compound's last part (``stem``) is a word of ``lang``,
    or ``parts`` words joined ("Luftschutz-keller": "Luft" and "Schutz"), each as it is
    or less a joining letter or two that do not begin a word, or a stem the index holds,
    with what follows: "Schnürsenkel" (a shoelace) is "Schnür" and "Senkel", no "Enkel"
    (a grandchild); "Hauptstraße" no "Trasse" (a route)."""
    if _part(front, stem, lang, vocabulary, known):
        return True
    # the cut is looked for from the right, each last part a word before the rest is looked
    # up: most cuts end at the first lookup
    return parts > 1 and any(
        _part(front[at:], stem, lang, vocabulary, known, strict=True)
        and _front(front[:at], front[at:], lang, vocabulary, known, parts - 1)
        for at in range(len(front) - MIN_FRONT, MIN_FRONT - 1, -1))


def _part(front: str, stem: str, lang: str, vocabulary: Vocabulary, known: KnownWords, strict: bool = False) -> bool:
    """Whether ``front`` is a word of ``lang`` or one and a joining letter or two that do not
    begin a word with ``stem``; ``strict`` (a middle part): not where it is a word that is
    also another and such a joining letter: "Feldbergstraße" is no "Feldbergs-trasse",
    though "Bergs" is a word (a mountain's)."""
    if not strict and part_word(front, lang, known):
        return True
    joined = [j for j in JOINING if front.endswith(j) and part_word(front[:-len(j)], lang, known)]
    if joined:
        return any(not (part_word(j + stem, lang, known) or vocabulary.holds(lang, j + stem)) for j in joined)
    return strict and part_word(front, lang, known)


def part_word(word: str, lang: str, known: KnownWords) -> bool:
    """Whether ``word`` (folded) may be a part of a compound of ``lang``: a word of the
    language by the dictionary, of three letters or more, no function word nor prefix."""
    return (len(word) >= MIN_FRONT and word not in PREFIXES and not stems.function_word_in(word)
            and lang in known.languages(word))
