"""The first search after a server starts and after the archive changes, on an archive
kept by benchmarks/search.py.

    python benchmarks/search.py --segments 1000000 --fused --keep /tmp/bench.db
    python benchmarks/after_a_change.py /tmp/bench.db [--rounds 12] [--no-facets-warm]

First, as a server starts, the process reads in the background what it keeps in memory
(the vocabulary, every meaning vector, every story's facet values: web/app.py's lifespan);
once that is done, the first search of each kind is timed, then a second of each kind
(the baseline). ``--no-facets-warm`` leaves the facet values to the first search, as a
start did before they were read with the rest.

Then: a live archive changes all the time: the worker writes a story, a moderator reviews one,
a volunteer corrects a line. What a search process keeps in memory per archive state must
then be brought up to date by the next search. This times, in one process, rounds of: a
change (in turn a story's title edited, a story added and taken out, a theme given to a
story), the first fused search after it (a common word: its facets are counted over
thousands of stories), and the next search (another common word, nothing changed: the
baseline). Then the same rounds with every story's facet values read again after each
change, as each change cost before the facets followed the log of stories changed
(storyatlas/archive/facets.py, migration 0018). After each round a misspelled query asks
for "did you mean", whose vocabulary is read again only when the words index has changed
(none of these changes does; before, each did: 0.7 s of a core at a million segments).
The archive is left as it was found.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from search import SEED, WORDS, Language, queries  # noqa: E402  (storyatlas first)

from storyatlas import meaning  # noqa: E402
from storyatlas.archive import Archive, Viewer, facets  # noqa: E402
from storyatlas.search import SearchQuery  # noqa: E402
from storyatlas.search import vocabulary as words_vocabulary  # noqa: E402
from storyatlas.search.fts import FTSBackend  # noqa: E402


def changes(archive: Archive) -> list[Callable[[], None]]:
    """Three kinds of change, each undone by itself or by the next of its kind."""
    c = archive.conn
    first = c.execute("SELECT min(id) FROM stories").fetchone()[0]

    def title() -> None:
        with archive.transaction() as t:
            t.execute("UPDATE stories SET title = title WHERE id = ?", (first,))

    def story() -> None:
        with archive.transaction() as t:
            new = t.execute("SELECT max(id) FROM stories").fetchone()[0] + 1
            t.execute("""INSERT INTO stories (id, title, language, languages, country, community, visibility,
                                              review_state)
                         VALUES (?, 'New', 'de', '["de"]', 'DE', 'Linz', 'public', 'published')""", (new,))
        with archive.transaction() as t:
            t.execute("DELETE FROM stories WHERE id = ?", (new,))

    def theme() -> None:
        with archive.transaction() as t:
            if t.execute("DELETE FROM story_themes WHERE story_id = ? AND theme_id = 'bench'", (first,)).rowcount == 0:
                t.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, 'bench', 1)", (first,))

    return [title, story, theme]


def _settle() -> None:
    """Until what the process reads in the background is read (the vocabulary, the vectors,
    the facet values; not the threads that read parts of the words index, kept for good)."""
    for thread in threading.enumerate():
        if thread.name.startswith(("storyatlas-vocabulary", "storyatlas-meaning", "storyatlas-facets")):
            thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("archive", type=Path, help="an archive kept by benchmarks/search.py --fused --keep")
    parser.add_argument("--rounds", type=int, default=12, help="changes of each way of following them (a multiple "
                                                               "of 6 leaves the archive as it was)")
    parser.add_argument("--no-facets-warm", action="store_true", help="leave the facet values to the first search")
    args = parser.parse_args()
    rng = random.Random(SEED)
    visitor = Viewer()
    started = time.perf_counter()
    words_vocabulary.warm(args.archive)
    meaning.warm(args.archive)
    if not args.no_facets_warm:
        facets.warm(args.archive)
    _settle()
    print(f"{args.archive}: started, what is kept in memory read in {time.perf_counter() - started:.1f} s"
          f"{'' if args.no_facets_warm else ', the facet values among it'}")
    with Archive(args.archive) as archive:
        languages = {lang: Language(lang, rng) for lang in WORDS}
        kinds = queries(languages, archive, rng, 4 * args.rounds + 5)
        words, misspelled = kinds["common word"], kinds["misspelling"]
        backend = FTSBackend(archive)

        def ms(text: str) -> float:
            started = time.perf_counter()
            backend.search(SearchQuery(text, visitor))
            return (time.perf_counter() - started) * 1000

        for which in ("first", "second"):
            took = {kind: ms(texts[-1 if which == "first" else -2]) for kind, texts in kinds.items()}
            print(f"the {which} fused search of each kind after the start, ms: "
                  + ", ".join(f"{kind} {t:.0f}" for kind, t in took.items()))
        for text in words[:5]:
            ms(text)
        ways_of_change = changes(archive)
        print(f"the first fused search (a common word) after a change, and the next, {args.rounds} changes "
              "each way")
        ways = (("the facets follow the log", False), ("every story's facets read again", True))
        for w, (way, forget) in enumerate(ways):
            first, nxt, vocabulary = [], [], 0
            for r in range(args.rounds):
                ways_of_change[r % len(ways_of_change)]()
                if forget:
                    facets._tables.clear()
                at = 5 + 2 * (w * args.rounds + r)
                first.append(ms(words[at]))
                nxt.append(ms(words[at + 1]))
                held = words_vocabulary._vocabularies[str(archive.path)][1]
                ms(misspelled[at])
                _settle()
                vocabulary += words_vocabulary._vocabularies[str(archive.path)][1] is not held
            print(f"{way}: first after a change p50 {statistics.median(first):.1f} ms, max {max(first):.1f}; "
                  f"the next p50 {statistics.median(nxt):.1f}, max {max(nxt):.1f} "
                  f"({statistics.median(first) / statistics.median(nxt):.2f}x the next at p50); "
                  f"the vocabulary read again {vocabulary} times")


if __name__ == "__main__":
    main()
