"""Words typed without their accents: how often one form finds another said with them.

    python benchmarks/accents.py [--wordlist LANG=PATH ...] [--pairs N] [--show LANG]

People type on phones without accents. A word said with them is indexed under its own
term and, where that differs, under the term of the same word typed without them
(``stems.unaccented``), so the same form always meets. This measures the other forms:
for two words of a language the stemmer gives one stem ("rozmawiałam",
"rozmawiałyśmy"), does the first, typed without accents, find the second? Counted
over ordered pairs whose second word has accents, with the accents of a typed word's
ending given back (``stems.reaccented``) and, in the same process, without them (the
baseline: the search before they were).

Also counted, per typed word: the words it newly finds that no word folding to it
stems like ("beyond its family"). Some are its own forms the stemmer keeps apart
("hiver", "hivers"), some other words ("koniec", end, finds "konia", horse). ``--show
LANG`` lists them.

The words: the labelled stories (tests/data/themes/*.jsonl, six languages), on which
the letters given back and the shortest stem kept were chosen; and word lists such as
Debian's wpolish, wfrench and wbrazilian, given as ``--wordlist
pl=/usr/share/dict/polish`` (which of them were held apart from those choices: the
README's *Words typed without accents*). A word list holds every form of its words,
so its pairs are sampled (``--pairs``, from a fixed seed): a word with accents, then
another word of its stem.

Then quoted phrases: every two words said one after the other in the labelled stories,
one of them with accents, typed without any: does the phrase find them, with the
accents given back to its words (``stems.phrase_forms``) and without? "Beyond": typed
phrases that now find two words no phrase folding to them stems like.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storyatlas import stems  # noqa: E402
from storyatlas.text import fold  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "themes"
GIVEN_BACK = dict(stems.ENDING_ACCENTS), dict(stems.ONE_ACCENT)


def given_back(yes: bool) -> None:
    """Accents given back to words typed without them (as now), or not (the baseline)."""
    for now, rules in zip((stems.ENDING_ACCENTS, stems.ONE_ACCENT), GIVEN_BACK):
        now.clear()
        if yes:
            now.update(rules)


def forms(typed: str, given: bool) -> set[str]:
    given_back(given)
    return set(stems.query_forms(typed))


def measure(vocabulary: set[str], lang: str, pairs: int | None, rng: random.Random) -> dict:
    family: dict[str, set[str]] = defaultdict(set)  # a stem: its words
    indexed: dict[str, set[str]] = defaultdict(set)  # an index term: the words indexed under it
    folding: dict[str, set[str]] = defaultdict(set)  # a word typed without accents: the stems of its words
    for word in vocabulary:
        own = stems.term(word, lang)
        family[own].add(word)
        indexed[own].add(word)
        if bare_term := stems.unaccented(word, lang):
            indexed[bare_term].add(word)
        folding[fold(word)].add(own)
    if pairs is None:
        ordered = [(x, y) for words in family.values() for y in words if not y.isascii() for x in words if x != y]
    else:  # a word with accents drawn, then another of its stem
        accented = sorted(y for words in family.values() if len(words) > 1 for y in words if not y.isascii())
        drawn = rng.sample(accented, min(pairs, len(accented)))
        ordered = [(rng.choice(sorted(family[stems.term(y, lang)] - {y})), y) for y in drawn]
    missed = found = 0
    for x, y in ordered:
        wanted = {stems.term(y, lang), stems.unaccented(y, lang)}
        if not forms(fold(x), False) & wanted:
            missed += 1
            found += bool(forms(fold(x), True) & wanted)
    typed = sorted({fold(x) for x, _ in ordered})
    beyond: dict[str, list[str]] = {}
    for word in typed:
        before, after = forms(word, False), forms(word, True)
        new = set().union(*(indexed.get(t, set()) for t in after - before))
        new -= set().union(*(indexed.get(t, set()) for t in before))
        if outside := sorted(w for w in new if stems.term(w, lang) not in folding[word]):
            beyond[word] = outside
    return {"pairs": len(ordered), "missed": missed, "found": found, "typed": len(typed), "beyond": beyond}


def phrase_sequences(typed: list[str], lang: str, given: bool) -> set[str]:
    given_back(given)
    return stems.phrase_forms(typed, lang)


def phrase_found(said: list[str], lang: str, given: bool) -> bool:
    """Does the quoted phrase of these words, each typed without accents, find them?"""
    return " ".join(stems.term(w, lang) for w in said) in phrase_sequences([fold(w) for w in said], lang, given)


def measure_phrases(texts: list[str], lang: str) -> dict:
    """Two-word phrases of ``texts`` with accents, each counted once, typed without them;
    and the typed phrases that now find two words no phrase folding to them stems like."""
    every = {pair for text in texts for pair in itertools.pairwise(stems.words(text))}
    indexed: dict[str, set[tuple[str, str]]] = defaultdict(set)  # a sequence of terms: its phrases
    family: dict[tuple[str, ...], set[str]] = defaultdict(set)  # typed without accents: its phrases' terms
    for pair in every:
        terms = " ".join(stems.term(w, lang) for w in pair)
        indexed[terms].add(pair)
        family[tuple(fold(w) for w in pair)].add(terms)
    phrases = {pair for pair in every if not "".join(pair).isascii()}
    missed = [p for p in phrases if not phrase_found(list(p), lang, False)]
    found = sum(phrase_found(list(p), lang, True) for p in missed)
    beyond: dict[str, list[str]] = {}
    typed_phrases = sorted({tuple(fold(w) for w in p) for p in phrases})
    for typed in typed_phrases:
        before, after = (phrase_sequences(list(typed), lang, given) for given in (False, True))
        new = set().union(*(indexed.get(s, set()) for s in after - before - family[typed]))
        if new:
            beyond[" ".join(typed)] = sorted(" ".join(p) for p in new)
    return {"phrases": len(phrases), "missed": len(missed), "found": found, "beyond": beyond,
            "typed": len(typed_phrases)}


def stories_texts() -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted(DATA.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            story = json.loads(line)
            found[story["language"]].append(story["text"])
    return found


def report(name: str, m: dict, asked: int, show: bool) -> None:
    """One row of a table (``asked``: its pairs or phrases), and what was found beyond."""
    share = m["missed"] / asked if asked else 0.0
    left = (m["missed"] - m["found"]) / asked if asked else 0.0
    print(f"{name:42} {asked:7} {m['missed']:7} ({share:5.1%}) {m['found']:9} {left:10.1%}"
          f" {len(m['beyond']):6}/{m['typed']}")
    if show:
        for typed, outside in m["beyond"].items():
            print(f"    {typed}: {', '.join(outside)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wordlist", action="append", default=[], metavar="LANG=PATH")
    parser.add_argument("--pairs", type=int, default=20_000, help="pairs sampled from a word list")
    parser.add_argument("--show", metavar="LANG", help="list the words found beyond their family")
    args = parser.parse_args()
    rng = random.Random(20261202)
    texts = stories_texts()
    sets = [(f"labelled stories, {lang}", lang, {w for t in said for w in stems.words(t)}, None)
            for lang, said in sorted(texts.items())]
    for given in args.wordlist:
        lang, _, path = given.partition("=")
        words = {w for line in Path(path).read_text(encoding="utf-8").splitlines() for w in stems.words(line)}
        sets.append((f"{Path(path).name} (word list), {lang}", lang, words, args.pairs))
    print(f"{'words':42} {'pairs':>7} {'missed':>15} {'found now':>9} {'missed now':>10} {'beyond/typed':>12}")
    for name, lang, words, pairs in sets:
        if lang not in stems.SNOWBALL:
            continue
        m = measure(words, lang, pairs, rng)
        report(name, m, m["pairs"], args.show == lang)
    print("pairs: two words of one stem, the second with accents; missed: the first typed without accents "
          "did not find the second before its ending's accents were given back; missed now: with them; "
          "beyond/typed: typed words that now find a word no word folding to them stems like")
    print(f"\n{'quoted phrases':42} {'phrases':>7} {'missed':>15} {'found now':>9} {'missed now':>10}"
          f" {'beyond/typed':>12}")
    for lang, said in sorted(texts.items()):
        m = measure_phrases(said, lang)
        report(f"labelled stories, {lang}", m, m["phrases"], args.show == lang)
    print("phrases: two words said one after the other, with accents; missed: typed without any, the quoted "
          "phrase did not find them before their accents were given back; missed now: with them; beyond/typed: "
          "typed phrases that now find two words no phrase folding to them stems like")


if __name__ == "__main__":
    main()
