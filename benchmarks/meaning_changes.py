"""The meaning search while the vectors change, on an archive kept by benchmarks/search.py.

    python benchmarks/search.py --segments 1000000 --fused --keep /tmp/bench.db
    python benchmarks/meaning_changes.py /tmp/bench.db [--changed 9000]

A search process holds every vector in memory and follows the archive's log of vector
changes (storyatlas/meaning/memory.py). This times, in one process: the first read of
every vector; the fused search with nothing changed; the first meaning search after a
new story's vectors are written, beside the same search reading every vector again (what
each change cost before); then, with ``--changed`` vectors rewritten, the first search
and the fused search with them searched beside the ones held. The new story is taken out
again; the rewritten vectors keep their values.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from search import SEED, WORDS, Language, queries, search_after_a_change  # noqa: E402  (storyatlas first)

from storyatlas import meaning  # noqa: E402
from storyatlas.archive import Archive, Viewer  # noqa: E402
from storyatlas.search import SearchQuery  # noqa: E402
from storyatlas.search.fts import FTSBackend  # noqa: E402


def _seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("archive", type=Path, help="an archive kept by benchmarks/search.py --fused --keep")
    parser.add_argument("--changed", type=int, default=9_000, help="vectors rewritten (at most 10,000 are "
                                                                   "searched beside before all are read again)")
    parser.add_argument("--queries", type=int, default=30, help="queries of each kind")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(SEED)
    visitor = Viewer()
    with Archive(args.archive) as archive:
        languages = {lang: Language(lang, rng) for lang in WORDS}
        texts = [t for kind in queries(languages, archive, rng, args.queries).values() for t in kind]
        backend = FTSBackend(archive)

        def fused() -> str:
            took = sorted(_seconds(lambda: backend.search(SearchQuery(t, visitor))) * 1000 for t in texts)
            return f"p50 {took[len(took) // 2]:.1f} ms, p99 {took[min(len(took) - 1, round(0.99 * len(took)))]:.1f}"

        def first_search() -> float:
            return _seconds(lambda: meaning.nearest(archive, "water", visitor))

        print(f"{args.archive}: every vector read into memory in {first_search():.1f} s")
        for r in range(args.rounds):
            print(f"fused search, nothing changed, {len(texts)} queries: {fused()}")
        after, again = search_after_a_change(archive, languages, rng)
        print(f"the first meaning search after a new story's 256 vectors: {after * 1000:.1f} ms; "
              f"reading every vector again, as each change did before: {again:.1f} s")
        with archive.transaction() as t:
            first = t.execute("SELECT min(segment_id) FROM segment_vectors").fetchone()[0]
            t.execute("UPDATE segment_vectors SET story_id = story_id WHERE segment_id < ?", (first + args.changed,))
        print(f"{args.changed:,} vectors changed: the first search {first_search() * 1000:.1f} ms")
        for r in range(args.rounds):
            print(f"fused search, with them searched beside: {fused()}")
        meaning._memory.wait()


if __name__ == "__main__":
    main()
