""""Did you mean": words said in stories the searcher may see, spelled like the query's.

Candidates come from the words index's own vocabulary (fts5vocab over ``segment_terms``:
a redacted or erased word is gone from it with its segment), read once per state of the
words index (not of the whole archive) and kept in memory, so a misspelling does not read
the postings of thousands of words.
The index holds terms (a word stemmed in its language, "de_kell"), so a query word is
compared, in each language, with the terms of that language sharing its first two
letters and about its length (kept apart by both: a pass over every term sharing the
letters was half of a misspelled query's time at a million segments), and with the
shorter terms it begins with (a slip in an ending leaves a word unstemmed). Where those
find nothing as like it, wider candidates are asked, one set after the other (``_wider``).
A close term is offered as a word someone said ("Keller", not "kell"): of the words of
the first segments the searcher may see whose term it is, the one spelled most like the
word typed; and of the words so found, those of the language the query's function
words tell first (``_Order``), then those most like it. No word is offered for a number,
nor for a word that calls up a theme (it is a word of its language).
That vocabulary is the whole archive's, so a term is offered only once found in a story
the searcher may see: a word from a private story must never be offered.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Collection, Iterator, Sequence

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from storyatlas import stems
from storyatlas.archive.word_index import STORY
from storyatlas.search.known_words import KnownWords
from storyatlas.search.query import Query, Term, literal, with_word
from storyatlas.search.vocabulary import LENGTHS, Vocabulary, kept_vocabulary
from storyatlas.text import as_kept, fold

_SHOWN = 3
# when the word found most like the word typed is less like it than this (_likeness),
# wider candidates are asked (_wider); chosen on benchmarks/did_you_mean.py --sets 1 2 3
# --seed 7: always asking those of the first two letters offered fewer words first for
# slips past them, and took 0.8 ms more a misspelling (70-85 were as good, with
# _likeness as it is now)
_LIKE = 80
# the last wider set (two slips, one in the first two letters) offers only words at least
# this like the word typed: it lets half the word's beginning, one slip off, find a stem
# ("sandbags" was offered "stand"); 50-70 were as good on the tuning sets
_LIKE_BEGUN = 60
# no word less like the word typed than this is offered (two slips in five letters are
# 60): most words no story says are spelled right, and were offered a short word they
# begin like ("ensayando": "esa", "verschwiegen": "verso"); benchmarks/did_you_mean.py
# --sets 1 2 3 --seed 7 --absent 8 9 10 11 --words 1500: 89.4 % of them offered a word
# without it, 59.0 % with it; misspellings offered their word first 94.2 -> 94.2 % (one
# slip), 92.2 -> 92.1 (--from 0), 69.4 -> 69.2 (two), 54.6 -> 55.8 (two, --from 0);
# 65 offered 1-7 % fewer words with two slips first (ad hoc)
_LEAST = 60
# nor one more slips from it than this, however long ("sciopero", Italian for a strike,
# was offered "scooter", three slips in eight letters), but for a word beginning as it
# does, _KIN letters or more: another form ("preguntaramos": "preguntó"). On the tuning
# sets (as above) 59.0 % of the words no story says offered a word without it, 43.1 %
# with it and no _KIN, 46.4 % with _KIN 6 (49.0 with 5); words with two slips 69.2 ->
# 68.1 % offered first (55.8 -> 55.0 --from 0), two run together 91.7 % as before, one
# slip as before. Most offered no more were no kin of the word ("spacer": "später",
# "soledad": "solidale"), some were ("tuvieron": "tuvimos")
_SLIPS = 2
_KIN = 6
# candidates whose words are read at most, for a word typed: those turned away by the
# rules above are read first (--sets 1 2 3 --seed 7: one word of 749 offered second
# before, not now, with 12; two with 8); benchmarks/search.py --reuse at 200k, two runs
# each, alternating: a misspelling 2.0-2.1 ms at p50 and 2.7-3.4 at p99 with 12,
# against 2.2-2.3 and 6.8-7.8 with none (1,037 reads a run, 802 with it)
_READ_AT_MOST = 12
# segments read for a candidate's words as said, the one spelled most like the word typed
# offered ("rzszowa": "rzeszowa", not "rzeszów"); benchmarks/did_you_mean.py --sets 1 2 3
# --seed 7: 90.2 % offered first with 1, 92.4 % with 2, 93.0 % with 3, at 0.1 and 0.3 ms more
# a misspelling at 200k (benchmarks/search.py)
_FORMS = 2
# where none of those is as like it as _LIKE (a form of a common stem: "teinendo", of
# Spanish "ten"), _MORE_FORMS more are read, for the first _READ_MORE candidates asked;
# --sets 1 2 3 --seed 7: offered first 92.2 -> 94.2 % (one slip), 90.2 -> 92.2 % (--from 0),
# at 0.1-0.3 ms more a misspelling at a million segments (every candidate: 92.5 % with
# --from 0, 0.7-1.2 ms more)
_MORE_FORMS = 20
_READ_MORE = 3
# a word of a dictionary (``known_words``) that no story says is offered only words this
# many slips from it: most such words are spelled right ("gekocht" was offered "gedacht").
# benchmarks/did_you_mean.py --sets 1 2 3 --seed 7 --absent 8 9 10 11 --words 1500: 41.5 % of
# them offered a word before, 20.3 % with 1; misspellings with one slip offered first 93.7 %
# before and after, two slips 68.0 -> 67.7 %. Offering a dictionary word nothing: 5.5 % and
# 89.2 % (44 of 743 misspellings are words too, mostly of another language: "roto", "wrog")
_KNOWN_SLIPS = 1
# segments saying a term read for a form of it said just so (``_said_just_so``)
_JUST_SO = 200
_COMPARED = 6  # words found, of which the _SHOWN spelled most like the word typed are offered
# the closest candidates asked whether a story the searcher may see says them: bounds the
# time a word with very many close ones takes, far beyond what a few hidden stories hold
_ASKED = 100


def suggestions(conn: sqlite3.Connection, key: tuple[str, bytes], parsed: Query, stories_sql: str,
                params: list, spelled_right: Collection[str] = (),
                known: KnownWords | None = None, in_order: Sequence[str] = ()) -> tuple[tuple[str, str], ...]:
    """Up to three words per query word not found, each as (the word typed, the word
    offered); ``key`` names the archive and its words index's state (path, ``words_state``).
    None for a word in ``spelled_right`` (folded): most words no story says are spelled
    right, and the themes' trigger words are words of their languages ("strajk", a strike,
    was offered "staje", "straw" and "strada"). For a word ``known`` (``known_words``), only
    words one slip from it (_KNOWN_SLIPS) and no function word of its languages, which finds
    nothing alone and counts for nothing beside other words ("sand bag" was offered "and
    bag"). ``in_order``: the query's words as typed, function words too, for two typed
    apart (``_joined``)."""
    unseen = _unseen(conn, parsed, stories_sql, params)
    typed = [word for word in unseen if fold(word) not in spelled_right]
    if not unseen:
        return ()
    vocabulary = kept_vocabulary(conn, key)
    told = parsed.language if parsed.told else None
    out: list[tuple[str, str]] = _joined(conn, vocabulary, in_order, unseen, stories_sql, params)
    for word in typed:
        folded = fold(word)
        order = _Order(folded, told)
        said_in = [(lang, term[len(lang) + 1:]) for lang in (*stems.LANGUAGES, stems.OTHER)
                   if (term := stems.term(word, lang))]
        close: list[tuple[float, str]] = []
        for lang, stem in said_in:
            close += _close(vocabulary, lang, stem)
            # a slip in a word's ending leaves it unstemmed ("tuvioms" for "tuvimos", whose
            # stem is "tuv"): the shorter stems it begins with, after the others
            close += [(length / 100 - 1, f"{lang}_{folded[:length]}") for length in
                      range(len(stem) - LENGTHS - 1, 2, -1) if vocabulary.holds(lang, folded[:length])]
        # "meme" is French "même", a function word that finds nothing; "mémé" (granny)
        # is what was meant, its accents left out: offered first
        close += [(1.0, accented) for accented in _accented(vocabulary, word)]
        shown = _shown(conn, word, close, stories_sql, params, order=order)
        wider = _wider(vocabulary, said_in, folded)  # each set made only when asked
        while _unlike(shown, folded) and (more := next(wider, None)) is not None:
            least, candidates = more
            if least and shown:  # a last resort (``_wider``): words found come first
                break
            shown = sorted(dict.fromkeys(shown + _shown(conn, word, candidates, stories_sql, params, least, order)),
                           key=order, reverse=True)[:_SHOWN]
        if _unlike(shown, folded):
            shown = (_split(conn, vocabulary, word, stories_sql, params) + shown)[:_SHOWN]
        if known is not None and word in known:
            shown = [said for said in shown if OSA.distance(fold(said), folded) <= _KNOWN_SLIPS
                     and not any(stems.is_stop_word(said, lang) for lang in known.languages(word))]
        out += [(word, said) for said in shown]
    return _once(out)


def _joined(conn: sqlite3.Connection, vocabulary: Vocabulary, in_order: Sequence[str], unseen: Collection[str],
            stories_sql: str, params: list) -> list[tuple[str, str]]:
    """Two words typed apart that stories the searcher may see say as one word ("sand
    bags": "sandbags", "Sand Säcke": "Sandsäcke"; Whisper writes such words either way):
    of each two words typed one after the other, one of them said by no story, the word
    said whose term, in a language, is theirs written together."""
    found: list[tuple[str, str]] = []
    for first, second in zip(in_order, in_order[1:]):
        if first not in unseen and second not in unseen:
            continue
        together = fold(first) + fold(second)
        for lang in stems.LANGUAGES:
            term = stems.term(together, lang)
            if term and vocabulary.holds_term(term) and (said := _said(conn, term, stories_sql, params, together)):
                found.append((f"{first} {second}", said))
                break
    return found


def _unlike(shown: list[str], folded: str) -> bool:
    """Whether no word offered so far is as like the word typed as _LIKE."""
    return not shown or max(_likeness(said, folded) for said in shown) < _LIKE


class _Order:
    """How the words found for a word typed are ordered: first those found as words of
    the language the query's function words tell, when they tell one ("cierre de la
    mina" was offered French "aciérie" and Polish "cieszę" before "cerró"), then the more
    like it the sooner. A word's language is that of the term it was read for, in a
    story the searcher may see (whether the whole archive's vocabulary holds its term
    in that language was as good, but told of private stories). benchmarks/did_you_mean.py
    --sets 1 2 3 --seed 7 --in-sentence: offered first 93.0 -> 95.7 % (one slip), 90.9 ->
    92.2 (--from 0), 67.2 -> 71.8 (two slips), 54.6 -> 56.2 (two, --from 0); ten more
    likeness for them, instead of first, was as good but for two slips."""

    def __init__(self, folded: str, told: str | None = None) -> None:
        self.folded, self.told = folded, told
        self.in_told: set[str] = set()

    def found(self, said: str, term: str) -> None:
        if self.told and term.startswith(f"{self.told}_"):
            self.in_told.add(said)

    def __call__(self, said: str) -> tuple[bool, float]:
        return said in self.in_told, _likeness(said, self.folded)


def _split(conn: sqlite3.Connection, vocabulary: Vocabulary, word: str, stories_sql: str,
           params: list) -> list[str]:
    """Two words run together ("rivercame": "river came"): the word typed split in two
    words of one language, each of two letters or more, that stories the searcher may
    see say just so (a function word in any form); the most even first. Offered only
    where no word is as like the one typed: always asking offered fewer words first for
    one-slip misspellings, whose halves are often two words by chance ("turnde")."""
    typed = word.casefold()  # split as typed: "straße" folds to more letters
    cuts = [(fold(typed[:at]), fold(typed[at:])) for at in
            sorted(range(2, len(typed) - 1), key=lambda at: (abs(len(typed) - 2 * at), at))]
    halves = list(dict.fromkeys(half for cut in cuts for half in cut if half))
    held: dict[str, dict[str, str]] = {}  # per language, the halves whose terms it holds
    for lang in stems.LANGUAGES:
        held[lang] = {half: term for half, term in zip(halves, stems.terms_once(halves, lang), strict=True)
                      if vocabulary.holds_term(term)}
    found: list[str] = []
    for left, right in cuts:
        for lang, terms in held.items():
            if left in terms and right in terms:
                said = [_said_as(conn, terms[half], half, lang, stories_sql, params) for half in (left, right)]
                if all(said) and (apart := f"{said[0]} {said[1]}") not in found:
                    found.append(apart)
                    break
        if len(found) == _SHOWN:
            break
    return found


def _wider(vocabulary: Vocabulary, said_in: list[tuple[str, str]],
           folded: str) -> Iterator[tuple[float, list[tuple[float, str]]]]:
    """Candidates asked, one set after the other, only while no word found is as like the
    word typed as _LIKE, each with how like it a word offered from them must be: the
    stems of the word with a swap undone ("bakrey"), those a slip in its first two
    letters leaves ("lfood", "clelar": the stems that begin as the word would without
    it, seven lists, not one), then those two slips leave ("saultaqrlo"), and last,
    from seven letters on and only where no word was found, those two slips leave where
    one is in its first two letters ("aslutarol")."""
    # a swap can change how the word is stemmed ("bakrey" is its own stem, "bakery"'s is
    # "bakeri"): the word with each swap undone, stemmed (with each letter dropped too,
    # no more words were offered first on the tuning sets, for 0.2 ms more)
    swapped = _swapped_back(folded)
    yield 0, [(1.0, term) for lang, _ in said_in for term in dict.fromkeys(stems.terms_once(swapped, lang))
              if vocabulary.holds_term(term)]
    yield 0, [c for lang, stem in said_in for begins in _beginnings(stem)
              for c in _close(vocabulary, lang, stem, begins)]
    yield 0, [c for lang, _ in said_in for c in _unstemmed(vocabulary, lang, folded)]
    # benchmarks/did_you_mean.py --sets 1 2 3 --seed 7 --slips 2 --from 0: offered first 51.1 %
    # without, 55.6 % with, 55.4 % from seven letters on (55.3 % with _LIKE_BEGUN), 54.1 %
    # only where no word was found, as then one slip lost no word offered first (it did 0.1-
    # 0.3 % so), at 0.1-0.2 ms more than without for a word no story says at a million
    # segments (0.5-1.2 ms more for every length)
    if len(folded) >= 7:
        yield _LIKE_BEGUN, [c for lang, _ in said_in
                            for c in _unstemmed(vocabulary, lang, folded, _beginnings(folded))]


def _close(vocabulary: Vocabulary, lang: str, stem: str, begins: str | None = None) -> list[tuple[float, str]]:
    """The stems of ``lang`` close to ``stem`` among those ``Vocabulary.near`` gives, each
    with its likeness."""
    # difflib's ratio, in C++: the Python one took most of a misspelled query's time;
    # every close one: words of stories the searcher may not see must not crowd out
    # those they may (which are only known by asking, in _shown)
    return [(ratio / 100, f"{lang}_{candidate}") for candidate, ratio, _ in
            process.extract(stem, vocabulary.near(lang, stem, begins), scorer=fuzz.ratio, score_cutoff=75,
                            limit=None) if candidate != stem]


def _unstemmed(vocabulary: Vocabulary, lang: str, folded: str,
               begins: list[str] | None = None) -> list[tuple[float, str]]:
    """The stems of ``lang`` that the beginning of a word typed is at most one slip from
    (two from seven letters on: "strxxt", a third off "street", is offered nothing): a
    word with two slips is seldom stemmed as the word would be ("saultaqrlo" is its own
    stem, "salutarlo"'s is "salut"), so its stem is no guide. Only stems of four letters
    and half the word or more (a shorter one begins too many words); the longest and
    fewest slips away score highest. ``begins``: the first letters the stems may begin
    with (``_beginnings``), not the word's own two."""
    found: dict[str, int] = {}
    lengths = range(max(4, (len(folded) + 1) // 2), len(folded) + 1)
    of_length = {n: [c for b in begins or [folded[:2]] for c in vocabulary.of_length(lang, b, n)]
                 for n in range(lengths.start - 1, lengths.stop + 1)}
    for length in lengths:
        typed, most = folded[:length], 1 if length < 7 else 2
        for d in (-1, 0, 1):
            for candidate, slips, _ in process.extract(typed, of_length[length + d], scorer=OSA.distance,
                                                       score_cutoff=most, limit=None):
                found[candidate] = min(slips, found.get(candidate, most))
    return [((len(c) - 2 * slips) / len(folded), f"{lang}_{c}") for c, slips in found.items()]


def _swapped_back(folded: str) -> list[str]:
    """The word typed with each pair of letters next to each other swapped back."""
    return [folded[:i] + folded[i + 1] + folded[i] + folded[i + 2:] for i in range(len(folded) - 1)]


def _beginnings(stem: str) -> list[str]:
    """How the word a stem was misspelt from may begin, where the slip is in its first two
    letters (``Vocabulary.near``'s ``begins``; "." is any letter): "lf" swapped is "fl",
    "lood" with one dropped ".lo" or "l.o"..."""
    if len(stem) < 3:
        return []
    a, b, c = stem[:3]
    found = [b + a,  # swapped
             b + c,  # one added before them
             a + c,  # one added between them
             "." + b + c, a + "." + c,  # one replaced
             "." + a + b, a + "." + b]  # one dropped
    return [f for f in dict.fromkeys(found) if f != a + b]


def accented_words(conn: sqlite3.Connection, key: tuple[str, bytes], words: list[str], stories_sql: str,
                   params: list) -> tuple[tuple[str, str], ...]:
    """For a query of function words only, which finds nothing: the words stories the
    searcher may see say, that differ from one typed only by the accents that tell them
    from it ("ma meme": "mémé")."""
    vocabulary = kept_vocabulary(conn, key)
    out: list[tuple[str, str]] = []
    for word in words:
        close = [(1.0, accented) for accented in _accented(vocabulary, word)]
        out += [(word, said) for said in _shown(conn, word, close, stories_sql, params)]
    return _once(out)


def offers(text: str, offered: tuple[tuple[str, str], ...]) -> dict[str, tuple[str, ...]]:
    """``SearchResults``' "did you mean": the words offered, and the query with each in the
    place of the word it was offered for, every other word not found written as the first
    word offered for it ("flood cellr": "flood cellar"; "cellr accidnet": "cellar accident")."""
    first: dict[str, str] = {}
    for typed, word in offered:
        first.setdefault(typed, word)
    queries = []
    for typed, word in offered:
        query = with_word(text, typed, word)
        for other, its in first.items():
            query = query if other == typed else with_word(query, other, its)
        queries.append(query if query != text else word)  # spelled otherwise in the query (another normalisation)
    return {"suggestions": tuple(word for _, word in offered), "suggested_queries": tuple(dict.fromkeys(queries))}


def _once(offered: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Each word offered once, for the first word typed it was found for."""
    first: dict[str, tuple[str, str]] = {}
    for word, said in offered:
        first.setdefault(said, (word, said))
    return tuple(first.values())


def _accented(vocabulary: Vocabulary, word: str) -> list[str]:
    """The index terms that keep their accents (``stems.told_apart``) and, in their
    language, fold like ``word``'s term."""
    found: list[str] = []
    folded = fold(word)
    for lang in stems.LANGUAGES:
        term = stems.term(folded, lang)
        if term:
            found += [f"{lang}_{stem}" for stem in vocabulary.accented(lang, term[len(lang) + 1:])
                      if f"{lang}_{stem}" != stems.term(word, lang)]
    return found


def _shown(conn: sqlite3.Connection, word: str, close: list[tuple[float, str]], stories_sql: str,
           params: list, least: float = 0, order: _Order | None = None) -> list[str]:
    """The closest candidate terms' words, as said in stories the searcher may see: of
    the first found, those spelled most like the word typed (stems compare only the
    words' beginnings: "siguienhdo" is "siguiendo", not "siguiente")."""
    shown: list[str] = []
    folded = fold(word)
    order = order or _Order(folded)
    read = 0
    for asked, (_, candidate) in enumerate(sorted(close, key=lambda c: (-c[0], c[1]))[:_ASKED]):
        if _too_far(candidate, folded):
            continue
        if read == _READ_AT_MOST:
            break
        read += 1
        said = _said(conn, candidate, stories_sql, params, folded, more=asked < _READ_MORE)
        if said:
            order.found(said, candidate)
        # a word that differs only by accents is found as typed already, but for these
        if said and (fold(said) != folded or stems.kept_accents(candidate)) and said != word \
                and said not in shown and _likeness(said, folded) >= max(least, _LEAST) \
                and (OSA.distance(fold(said), folded) <= _SLIPS or _kin(said, folded)):
            shown.append(said)
        if len(shown) == _COMPARED:
            break
    # sorted keeps the stems' order between words spelled as like
    return sorted(shown, key=order, reverse=True)[:_SHOWN]


def _too_far(term: str, folded: str) -> bool:
    """Whether no word of an index term can be offered for the word typed, known before
    its words are read: a word said begins with its stem, and the stem is more than
    _SLIPS from every beginning of the word typed (one more, as a stem may end otherwise
    than the word: English "famili"), and not of its kin. Reading the words of those the
    rules turn away took a misspelling 1 ms more at a million segments."""
    stem = fold(term.partition("_")[2])
    begun = len(os.path.commonprefix([stem, folded]))
    if begun >= _KIN or begun == len(stem):  # kin, or it may be: the word said goes on
        return False
    return min(OSA.distance(stem, folded[:k]) for k in
               range(max(0, len(stem) - _SLIPS - 1), min(len(folded), len(stem) + _SLIPS + 1) + 1)) > _SLIPS + 1


def _kin(said: str, folded: str) -> bool:
    """Whether a word said begins as the word typed does, _KIN letters or more."""
    return len(os.path.commonprefix([fold(said), folded])) >= _KIN


def _likeness(said: str, folded: str) -> float:
    """How like a word typed (folded) a word said is spelled, from 0 to 100: slips (one
    letter added, dropped or replaced, or two swapped) against the longer word's length.
    fuzz.ratio counts a swap as two and an addition as one, so "woemn" was offered
    "woman" before "women": on benchmarks/did_you_mean.py --sets 1 2 3 --seed 7, 86.2 %
    of the words meant were offered first with it, 89.9 % with this."""
    return 100 * OSA.normalized_similarity(fold(said), folded)


def _unseen(conn: sqlite3.Connection, parsed: Query, stories_sql: str, params: list) -> list[str]:
    """The query's words that no story the searcher may see says, a phrase's each on its
    own: a word said needs no other (when a query is relaxed, "cellars sandbags" offered
    "cell" for the word it had found, and a phrase found beside a word that was not, or
    one whose words are all said but not in that order, had each of its words offered
    another). Not a number: "2002", a year no story names, was offered "2005" and "200"."""
    words: dict[str, Term] = {}  # each word once, however often it is typed
    for t in parsed.terms():
        for w in stems.words(" ".join(t.words)):
            if len(fold(w)) >= stems.MIN_VOCABULARY and not w.isdecimal():
                words.setdefault(w, Term((w,), False) if t.phrase else t)
    return [w for w, term in words.items() if not _seen(conn, term, stories_sql, params)]


def _seen(conn: sqlite3.Connection, term: Term, stories_sql: str, params: list) -> bool:
    """Whether a story the searcher may see says the word, in any of its forms."""
    if not term.forms():
        return False
    return conn.execute(f"""SELECT 1 FROM segment_terms WHERE segment_terms MATCH ?
                            AND segment_terms.rowid >> 32 IN ({stories_sql}) LIMIT 1""",
                        [term.words_fts(), *params]).fetchone() is not None


def _said_as(conn: sqlite3.Connection, term: str, folded: str, lang: str, stories_sql: str,
             params: list) -> str | None:
    """The word ``folded`` as said in a story the searcher may see (in one of the first
    _FORMS segments saying its term; a function word as typed, when any form of it is
    said there); None when none is."""
    said = _said(conn, term, stories_sql, params, folded)
    if said is not None and fold(said) != folded and not stems.is_stop_word(folded, lang):
        said = _said_just_so(conn, term, folded, lang, stories_sql, params)
    if said is None or (fold(said) != folded and not stems.is_stop_word(folded, lang)):
        return None
    return said if fold(said) == folded else folded


def _said_just_so(conn: sqlite3.Connection, term: str, folded: str, lang: str, stories_sql: str,
                  params: list) -> str | None:
    """The word ``folded``, as said, in one of the first _JUST_SO segments saying its term
    that hold its letters: a form of a common stem the first segments do not say
    ("lavora", of Italian "lavor")."""
    pattern = "%" + folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    for column, text in _columns(lang):
        rows = conn.execute(
            f"""SELECT s.{text} FROM (SELECT segment_terms.rowid & {STORY - 1} AS id FROM segment_terms
                                     WHERE segment_terms MATCH ? AND segment_terms.rowid >> 32 IN ({stories_sql})
                                     LIMIT {_JUST_SO}) m
                JOIN segments s ON s.id = m.id WHERE s.{text} LIKE ? ESCAPE '\\' LIMIT 10""",
            ["{" + column + "} : " + literal(term), *params, pattern]).fetchall()
        said = next((as_kept(row[0][start:end]).lower() for row in rows for start, end, said in stems.spans(row[0])
                     if fold(said) == folded), None)
        if said is not None:
            return said
    return None


def _columns(lang: str) -> tuple[tuple[str, str], ...]:
    """Where a term of ``lang`` is said: the words index's column and the segment's text.
    English terms are the segment's own words or its translation's."""
    return (("terms", "text"), ("terms_en", "text_en")) if lang == "en" else (("terms", "text"),)


def _said(conn: sqlite3.Connection, term: str, stories_sql: str, params: list, folded: str,
          more: bool = False) -> str | None:
    """A word whose term is ``term``, as said (in lower case) in a story the searcher may
    see, of those _FORMS segments say the one most like ``folded`` (with ``more``, and
    none as like as _LIKE, of _MORE_FORMS more); None when no such story says it. The
    term's prefix is the language its words were stemmed in: the segment's own (its
    text) or English (its translation)."""
    lang = term.split("_", 1)[0]
    for column, text in _columns(lang):
        best = None
        for offset, limit in ((0, _FORMS), (_FORMS, _MORE_FORMS)):
            rows = conn.execute(
                f"""SELECT s.{text} FROM segment_terms JOIN segments s ON s.id = segment_terms.rowid & {STORY - 1}
                    WHERE segment_terms MATCH ? AND segment_terms.rowid >> 32 IN ({stories_sql})
                    LIMIT {limit} OFFSET {offset}""",
                ["{" + column + "} : " + literal(term), *params]).fetchall()
            # in lower case, not case-folded: "straße", not "strasse"
            forms = [as_kept(row[0][start:end]).lower() for row in rows
                     for start, end, said in stems.spans(row[0] or "")
                     if term in (stems.term(said, lang), stems.unaccented(said, lang))]
            if forms:
                best = max(dict.fromkeys([best, *forms] if best else forms), key=lambda said: _likeness(said, folded))
            if best is None or not more or _likeness(best, folded) >= _LIKE:
                break
        if best is not None:
            return best
    return None
