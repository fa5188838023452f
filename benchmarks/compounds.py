"""German and Dutch compounds found by their last part (``search/compounds.py``).

    python benchmarks/compounds.py [--language nl] [--show 60]

The words of the labelled German stories (tests/data/themes/*.jsonl) make a vocabulary,
stemmed as the words index stems them, and those written with a capital (nouns, and
names) the queries; with ``--language nl`` those of the Dutch ones, every word (Dutch
writes its nouns in small letters). Counted:

- of those of seven letters or more that the dictionary (``known_words``) cuts into two
  words of the language (the first less a joining letter, and no function word nor
  prefix, the last no ending such as "-tien"; the first such cut from the left), how
  many a query of the last part now finds;
- of those of ten letters or more whose last part is a word and what comes before it
  no word but two ("Luftschutz-keller"), how many a query of the last part finds;
- how many compounds each of them, as a query, stands for; ``--show N`` prints N of
  those (query and compound) drawn at random, to be read by someone who knows the
  language: is the compound a kind of the word?

The cut here is the benchmark's own, not the search's, which looks only at the words
that end with a query's stem.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from themes import DATA, load  # noqa: E402

from storyatlas import stems  # noqa: E402
from storyatlas.search import known_words  # noqa: E402
from storyatlas.search.compounds import JOINING, LANGUAGES, MIN_FRONT, SUFFIXES, compounds, part_word  # noqa: E402
from storyatlas.search.vocabulary import Vocabulary  # noqa: E402
from storyatlas.settings import Settings  # noqa: E402
from storyatlas.text import fold  # noqa: E402


def capitalised(language: str) -> tuple[set[str], set[str]]:
    """Every word of the stories told in ``language``, and those written with a capital
    (every word, in Dutch)."""
    every, nouns = set(), set()
    for story in (s for path in sorted(DATA.glob("*.jsonl")) for s in load(path)):
        if story["language"] == language:
            for word in re.findall(r"\w+", story["text"]):
                every.add(word.casefold())
                if language == "nl" or word[:1].isupper() and word[1:2].islower():
                    nouns.add(word.casefold())
    return every, nouns


def cut(word: str, language: str, known, parts: int = 2) -> tuple[str, str] | None:
    """A word as two words of ``language`` (the first from the left), or None; ``parts=3``:
    as a word after what is no word but two."""
    def of(part: str) -> bool:
        return part_word(part, language, known)

    def front_of(front: str) -> bool:  # a word, or a word and a joining letter
        return any(of(f) for f in (front, *(front[:-len(j)] for j in JOINING if front.endswith(j))))

    def two(front: str) -> bool:
        return any(front_of(front[:at]) and front_of(front[at:]) for at in range(MIN_FRONT, len(front) - 2))

    def last_of(last: str) -> bool:  # a word, and no ending that makes words (search/compounds.py)
        return of(last) and stems.term(fold(last), language).partition("_")[2] not in SUFFIXES.get(language, ())
    for at in range(MIN_FRONT, len(word) - 3):
        front, last = word[:at], word[at:]
        if last_of(last) and (front_of(front) if parts == 2 else not front_of(front) and two(front)):
            return front, last
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--language", choices=LANGUAGES, default="de")
    parser.add_argument("--show", type=int, default=0, metavar="N")
    args = parser.parse_args()
    lang, known = args.language, known_words.made(Settings().cache)
    every, nouns = capitalised(lang)
    vocabulary = Vocabulary(sorted({stems.term(fold(w), lang) for w in every} - {""}))
    long = [w for w in sorted(nouns) if len(w) >= 7]
    joined = {w: parts for w in long if (parts := cut(w, lang, known))}
    three = {w: parts for w in long if len(w) >= 10 and (parts := cut(w, lang, known, parts=3))}
    print(f"{vocabulary.size} terms of {lang} stories; {len(long)} {'' if lang == 'nl' else 'capitalised '}words "
          f"of 7+ letters, {len(joined)} two words joined; found by a query of the last part: "
          f"{_found(joined, lang, vocabulary, known)}")
    print(f"{sum(len(w) >= 10 for w in long)} of 10+ letters, {len(three)} a word after two; found by a query "
          f"of the last part: {_found(three, lang, vocabulary, known)}")
    standing = {w: compounds(vocabulary, known, w) for w in sorted(nouns) if len(w) >= 4}
    pairs = [(w, term) for w, terms in standing.items() for term in terms]
    print(f"{len(standing)} {'' if lang == 'nl' else 'capitalised '}words of 4+ letters as queries: "
          f"{sum(map(bool, standing.values()))} stand for compounds, {len(pairs)} in all")
    random.Random(7).shuffle(pairs)
    for word, term in pairs[:args.show]:
        print(f"  {word} -> {term}")


def _found(cuts: dict[str, tuple[str, str]], lang: str, vocabulary: Vocabulary, known) -> str:
    found = sum(stems.term(fold(w), lang) in compounds(vocabulary, known, last) for w, (_, last) in cuts.items())
    return f"{found} ({found / max(1, len(cuts)):.1%})"


if __name__ == "__main__":
    main()
