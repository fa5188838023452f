"""Finding stories across languages: words only, meaning only, and the two fused.

    python benchmarks/discovery.py [--sets 1 2 3]

The labelled stories of tests/data/themes (288 short first-person testimonies, 48 in each
of en, de, fr, es, it, pl, each with its English translation and the themes a person gave
it) go into a fresh archive, one segment per sentence, and get their meaning vectors.
The queries are each theme's name in each of the six languages, as the vocabulary gives
it ("Hochwasser und Überschwemmung", "Powodzie i wielka woda", ...): 34 themes x 6 = 204
queries. A story is relevant to a query when a person labelled it with the theme and it
is told in another language than the query's (stories in the query's own language are
left out of the ranking: this measures discovery across languages).

For each query the stories are ranked three ways, in the same process, the same archive:
words only (the words index, with the stories' English translations searchable too),
meaning only (``meaning.nearest``, stories in the order of their best passage), and the
search the archive answers (words and meaning fused). Printed: recall at 10 (relevant
stories in the first ten, over all relevant, averaged) and mean reciprocal rank of the
first relevant story, per query language and overall; the target is that the fused
ranking beats both.

Caveats: the theme names were written with the vocabulary, and the tagger's trigger
words were extended looking at stories-1 (see tests/data/themes/README.md); neither the
words index nor the meaning index was tuned on these stories or queries.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from themes import DATA, segments  # noqa: E402

from storyatlas import meaning  # noqa: E402
from storyatlas.archive import Archive, Viewer  # noqa: E402
from storyatlas.search import SearchQuery  # noqa: E402
from storyatlas.search.fts import FTSBackend  # noqa: E402
from storyatlas.themes import default_vocabulary  # noqa: E402
from tests.conftest import add_story  # noqa: E402

LANGUAGES = ("en", "de", "fr", "es", "it", "pl")
DEPTH = 10
READER = Viewer.anonymous()


def load(sets: list[int]) -> list[dict]:
    stories = []
    for n in sets:
        with open(DATA / f"stories-{n}.jsonl", encoding="utf-8") as f:
            stories += [json.loads(line) for line in f if line.strip()]
    return stories


def ranked_words(backend: FTSBackend, query: str, fused: bool) -> list[int]:
    found = backend.search(SearchQuery(query, READER, limit=100, meaning=fused))
    return [hit.story_id for hit in found.stories]


def ranked_meaning(archive: Archive, query: str) -> list[int]:
    order: list[int] = []
    for hit in meaning.nearest(archive, query, READER, limit=300):
        if hit.story_id not in order:
            order.append(hit.story_id)
    return order


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    stories = load(args.sets)
    vocabulary = default_vocabulary()
    with tempfile.TemporaryDirectory(prefix="storyatlas-discovery-") as tmp, \
            Archive(Path(tmp) / "archive.db") as archive:
        started = time.perf_counter()
        language_of, themes_of = {}, {}
        for n, story in enumerate(stories):
            lines = [(i * 5.0, i * 5.0 + 5.0, text, english) for i, (text, english) in enumerate(segments(story))]
            sid = add_story(archive, f"story {n}", story["language"], lines)
            language_of[sid], themes_of[sid] = story["language"], set(story["themes"])
        made = meaning.index(archive)
        print(f"{len(stories)} stories, {made} passages given meaning vectors in {time.perf_counter() - started:.0f} s")
        backend = FTSBackend(archive)
        scores: dict[str, dict[str, list[tuple[float, float]]]] = defaultdict(lambda: defaultdict(list))
        for theme in vocabulary.themes:
            for lang in LANGUAGES:
                query = theme.label if lang == "en" else theme.labels.get(lang)
                relevant = {sid for sid, found in themes_of.items() if theme.id in found and language_of[sid] != lang}
                if not query or not relevant:
                    continue
                for way, ranking in (("words", ranked_words(backend, query, fused=False)),
                                     ("meaning", ranked_meaning(archive, query)),
                                     ("fused", ranked_words(backend, query, fused=True))):
                    ranking = [sid for sid in ranking if language_of[sid] != lang]
                    recall = len(set(ranking[:DEPTH]) & relevant) / len(relevant)
                    first = next((i for i, sid in enumerate(ranking, 1) if sid in relevant), None)
                    for key in (lang, "all"):
                        scores[key][way].append((recall, 1 / first if first else 0.0))
        print(f"\nrecall at {DEPTH} / mean reciprocal rank, stories in other languages than the query's")
        print(f"{'query language':<15} {'queries':>7} {'words':>15} {'meaning':>15} {'fused':>15}")
        print("-" * 71)
        for key in (*LANGUAGES, "all"):
            row = scores[key]
            cells = []
            for way in ("words", "meaning", "fused"):
                values = row[way]
                cells.append(f"{sum(r for r, _ in values) / len(values):.3f} / {sum(m for _, m in values) / len(values):.3f}")
            print(f"{key:<15} {len(row['words']):>7} {cells[0]:>15} {cells[1]:>15} {cells[2]:>15}")


if __name__ == "__main__":
    main()
