"""Finding stories across languages: words only, meaning only, and the two fused.

    python benchmarks/discovery.py [--sets 1 2 3 | --held-apart [FILE]] [--thresholds | --kindred | --moments [QUERIES]]

The labelled stories of tests/data/themes (288 short first-person testimonies, 48 in each
of en, de, fr, es, it, pl, each with its English translation and the themes a person gave
it) go into a fresh archive, one segment per sentence, and get their meaning vectors.
The queries are each theme's name in each of the six languages, as the vocabulary gives
it ("Hochwasser und Überschwemmung", "Powodzie i wielka woda", ...): 34 themes x 6 = 204
queries. A story is relevant to a query when a person labelled it with the theme and it
is told in another language than the query's (stories in the query's own language are
left out of the ranking: this measures discovery across languages). Since 2026-12-06 a
theme's name calls the theme up (``search.themed.named``), so each query calls up its
own (since 2026-12-07 by all its words, ``search.themed.query_triggers``): the words'
column then holds the stories the tagger tagged with it; ``--moments`` has free queries.

The stories are tagged with themes as the archive tags a story once it is transcribed.
For each query the stories are ranked four ways, in the same process, the same archive:
words only (the words index, with the stories' English translations searchable too, and
after them the stories tagged with a theme the query's words call up), meaning only
(``meaning.nearest``, stories in the order of their best passage), the search the
archive answers (words, meaning and the themes' own ranking fused), and that without the
themes' ranking. Printed: recall at 10 (relevant stories in the first ten, over all
relevant, averaged) and mean reciprocal rank of the first relevant story, per query
language and overall; the target is that the fused ranking beats both words and meaning.

``--kindred`` prints instead what each story's five closest passages ("others lived this
too", ``meaning.kindred``) share with it: a labelled theme, and another language, by how
many are taken first from stories told in another language, and with or without the
stories tagged with a theme of this one's first (the story page takes three and those).

``--moments`` ranks instead the held-apart stories for queries about one moment of one of
them ("la fábrica cerró"), each in another language than its story's
(``benchmarks/data/moment-queries.tsv``, written blind from the stories' text): in the top
10, first, and the mean reciprocal rank of that story, words, meaning and fused, by the
query's language. ``--moments moment-queries-18.tsv --held-apart held-apart-18.jsonl``:
such queries for another set, written after the fusion's other choices and used for the
themes' weight in it (``fused.fuse``'s ``theme_share``); ``moment-queries-18b.tsv`` for the
rest of that set's stories, kept apart from every choice; ``moment-queries-17.tsv`` (with
``--held-apart held-apart-17.jsonl``) for stories in Dutch, Portuguese, Romanian and Greek,
written after that choice; ``moment-queries-17b.tsv`` a second query for each of them, kept
apart while a theme's whole label calling it up and each theme's own share were tried;
``moment-queries-16.tsv`` (``--held-apart held-apart-16.jsonl``) for the other set in those
four languages, kept apart while a story's closeness from all its passages was tried;
``moment-queries-19.tsv`` (``--held-apart held-apart-19.jsonl``) for a set in the first six
languages written after every choice, stories and queries alike.

``--held-apart``: the 144 stories of ``held-apart-12.jsonl`` instead, which no choice
of the tagger saw (it was fitted on the numbered sets, 1-3 among them, so on those the
themes' ranking is flattered); the fusion's constants were chosen having seen it.
``--held-apart held-apart-18.jsonl``: another such set in the same six languages, written
after those choices. Either way a query is a theme's name, and a story is relevant when
labelled with that theme: the themes' ranking is what the tagger found for the very
theme asked, which the words and meaning have to find from the query's words.

``--thresholds`` prints instead how well meaning's two thresholds separate the relevant
stories from the rest, so that they can be chosen on other sets than the ones judged
here: for each query, each story in another language counts as found from the
threshold its best passage reaches (``meaning.MIN_SCORE``); for each story, each other
story as kindred from the threshold their closest passages reach (``meaning.KINDRED_MIN``),
relevant when the two share a labelled theme. Precision and recall are pooled over all
queries (all stories).

Caveats: the theme names were written with the vocabulary, and the tagger's trigger
words were extended looking at stories-1 (see tests/data/themes/README.md); neither the
words index nor the meaning index was tuned on these stories or queries.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from themes import DATA, load, segments  # noqa: E402

from storyatlas import meaning  # noqa: E402
from storyatlas.archive import Archive, Viewer  # noqa: E402
from storyatlas.search import SearchQuery, fts, known_words  # noqa: E402
from storyatlas.search.fts import FTSBackend  # noqa: E402
from storyatlas.settings import Settings  # noqa: E402
from storyatlas.themes import default_vocabulary, store  # noqa: E402
from storyatlas.themes.run import tag_story  # noqa: E402
from storyatlas.themes.tagger import Tagger  # noqa: E402
from tests.conftest import add_story  # noqa: E402

LANGUAGES = ("en", "de", "fr", "es", "it", "pl")
DEPTH = 10
WAYS = ("words", "meaning", "fused")
HELD_APART = DATA / "held-apart-12.jsonl"
MOMENT_QUERIES = HERE / "data" / "moment-queries.tsv"
READER = Viewer.anonymous()


def ranked_words(backend: FTSBackend, query: str, fused: bool) -> list[int]:
    found = backend.search(SearchQuery(query, READER, limit=100, meaning=fused))
    return [hit.story_id for hit in found.stories]


def ranked_meaning(archive: Archive, query: str) -> list[int]:
    order: list[int] = []
    for hit in meaning.nearest(archive, query, READER, limit=300):
        if hit.story_id not in order:
            order.append(hit.story_id)
    return order


def without_themes(backend: FTSBackend, query: str) -> list[int]:
    """The fused ranking without the themes' own (``themed.by_theme``): what it adds."""
    kept = fts.by_theme
    fts.by_theme = lambda *args: []
    try:
        return ranked_words(backend, query, fused=True)
    finally:
        fts.by_theme = kept


def kindred(archive: Archive, language_of: dict[int, str], themes_of: dict[int, set[str]]) -> None:
    """The five passages "others lived this too" shows, for each story (these have no
    place, so none is left out for being told in the story's own): how many share a
    labelled theme with it, how many are told in another language, taking first that many
    of the closest in another language, and the stories sharing a tagged theme or not."""
    print(f"\n{'other languages first':>21} {'themes first':>12} {'shown':>6} {'share a theme':>13} "
          f"{'another language':>16}")
    for first, themes_first in [(n, False) for n in range(6)] + [(n, True) for n in range(6)]:
        shown = shared = elsewhere = 0
        for sid in language_of:
            hits = meaning.kindred(archive, sid, READER, limit=5, other_languages=first, themes_first=themes_first)
            shown += len(hits)
            shared += sum(bool(themes_of[h.story_id] & themes_of[sid]) for h in hits)
            elsewhere += sum(language_of[h.story_id] != language_of[sid] for h in hits)
        print(f"{first:>21} {str(themes_first):>12} {shown:>6} {shared / shown:>13.3f} {elsewhere / shown:>16.3f}")


def moments(backend: FTSBackend, archive: Archive, story_of: dict[str, int], queries: Path) -> None:
    """Where each moment query puts the one story it was written for (``--moments``)."""
    rows = read_tsv(queries)
    ranks: dict[str, dict[str, list[int | None]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        wanted = story_of[row["story"]]
        for way, ranking in (("words", ranked_words(backend, row["query"], fused=False)),
                             ("meaning", ranked_meaning(archive, row["query"])),
                             ("fused", ranked_words(backend, row["query"], fused=True))):
            for key in (row["query_language"], "all"):
                ranks[key][way].append(ranking.index(wanted) + 1 if wanted in ranking else None)
    table(f"{len(rows)} queries about a moment of one story, by the query's language", ranks, [*LANGUAGES, "all"])


def read_tsv(path: Path) -> list[dict[str, str]]:
    """A table of tab-separated values with a header, its lines starting with # left out."""
    with path.open(newline="", encoding="utf-8") as f:
        lines = [line for line in f if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def cell(ranks: list[int | None]) -> str:
    """How many of the wanted stories are in the top ten, how many first, and the mean reciprocal rank."""
    n = len(ranks)
    top10 = sum(1 for r in ranks if r is not None and r <= DEPTH)
    top1 = sum(1 for r in ranks if r == 1)
    mrr = sum(1 / r for r in ranks if r) / n if n else 0.0
    return f"{top10:>2}/{n:<2} {top1:>2}/{n:<2} {mrr:.3f}"


def table(title: str, groups: dict[str, dict[str, list[int | None]]], order: list[str]) -> None:
    print(f"\n{title}: in the top {DEPTH} / first / mean reciprocal rank")
    print(f"{'':10}" + "".join(f" {way:^20}" for way in WAYS))
    print("-" * 73)
    for key in order:
        print(f"{key:10}" + "".join(f" {cell(groups[key][way]):>20}" for way in WAYS))


def query_text(theme, lang: str) -> str | None:
    return theme.label if lang == "en" else theme.labels.get(lang)


def thresholds(archive: Archive, vocabulary, language_of: dict[int, str], themes_of: dict[int, set[str]]) -> None:
    """Precision and recall of what meaning keeps at each threshold (see the docstring)."""
    found, relevant = [], 0  # (best score, relevant) per query and story in another language
    for theme in vocabulary.themes:
        for lang in LANGUAGES:
            query = query_text(theme, lang)
            if not query:
                continue
            relevant += sum(theme.id in themes_of[sid] and language_of[sid] != lang for sid in themes_of)
            best: dict[int, float] = {}
            for hit in meaning.nearest(archive, query, READER, limit=len(themes_of) * 100, min_score=-9.0):
                best.setdefault(hit.story_id, hit.score)
            found += [(score, theme.id in themes_of[sid]) for sid, score in best.items() if language_of[sid] != lang]
    kin, kin_relevant = [], 0
    for sid in themes_of:
        kin_relevant += sum(bool(themes_of[sid] & themes_of[other]) for other in themes_of if other != sid)
        kin += [(hit.score, bool(themes_of[sid] & themes_of[hit.story_id]))
                for hit in meaning.kindred(archive, sid, READER, limit=len(themes_of), min_score=-9.0)]
    for title, pairs, total, steps, current in (
            ("a query's stories (meaning.MIN_SCORE)", found, relevant, [x / 100 for x in range(-6, 7)],
             meaning.MIN_SCORE),
            ("kindred stories (meaning.KINDRED_MIN)", kin, kin_relevant, [x / 100 for x in range(0, 22, 2)],
             meaning.KINDRED_MIN)):
        scores = np.array([p[0] for p in pairs])
        hits = np.array([p[1] for p in pairs])
        print(f"\n{title}: {total} relevant pairs\n{'from':>8} {'kept':>7} {'precision':>9} {'recall':>7} {'F1':>6}")
        for t in sorted({*steps, current}):
            kept = scores >= t
            tp = int((kept & hits).sum())
            precision, recall = tp / max(1, int(kept.sum())), tp / max(1, total)
            f1 = 2 * precision * recall / max(1e-9, precision + recall)
            mark = "  <- now" if t == current else ""
            print(f"{t:>8.3f} {int(kept.sum()):>7} {precision:>9.3f} {recall:>7.3f} {f1:>6.3f}{mark}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--held-apart", nargs="?", const=HELD_APART.name, metavar="FILE",
                        help=f"the stories of a held-apart set of tests/data/themes instead (never used to fit "
                             f"the tagger; {HELD_APART.name} if no file is named)")
    parser.add_argument("--thresholds", action="store_true",
                        help="print how well meaning's thresholds separate relevant stories, instead of the rankings")
    parser.add_argument("--kindred", action="store_true",
                        help="print what a story page's five closest passages share with it, instead of the rankings")
    parser.add_argument("--moments", nargs="?", const=MOMENT_QUERIES.name, metavar="QUERIES",
                        help="rank the held-apart stories for queries about one moment of one, from this file of "
                             f"benchmarks/data ({MOMENT_QUERIES.name} if none is named; implies --held-apart)")
    args = parser.parse_args()
    if args.held_apart or args.moments:
        files = [DATA / (args.held_apart or HELD_APART.name)]
    else:
        files = [DATA / f"stories-{n}.jsonl" for n in args.sets]
    queries = HERE / "data" / args.moments if args.moments else None
    for path in [*files, *([queries] if queries else [])]:
        if not path.is_file():
            sys.exit(f"there is no {path.name} in {path.parent}: name one of "
                     f"{', '.join(sorted(p.name for p in path.parent.glob('*' + path.suffix)))}")
    stories = [story for path in files for story in load(path)]
    missing = sorted({row["story"] for row in read_tsv(queries)} - {s["id"] for s in stories}) if queries else []
    if missing:  # before the archive is built (minutes), not at the first query
        sys.exit(f"{queries.name} asks about {len(missing)} stories not in {files[0].name} ({missing[0]}, ...): "
                 "name the set its queries were written for with --held-apart FILE")
    vocabulary = default_vocabulary()
    with tempfile.TemporaryDirectory(prefix="storyatlas-discovery-") as tmp, \
            Archive(Path(tmp) / "archive.db") as archive:
        started = time.perf_counter()
        language_of, themes_of, story_of = {}, {}, {}
        for n, story in enumerate(stories):
            lines = [(i * 5.0, i * 5.0 + 5.0, text, english) for i, (text, english) in enumerate(segments(story))]
            sid = add_story(archive, f"story {n}", story["language"], lines)
            language_of[sid], themes_of[sid], story_of[story["id"]] = story["language"], set(story["themes"]), sid
        made = meaning.index(archive)
        print(f"{len(stories)} stories, {made} passages given meaning vectors in {time.perf_counter() - started:.0f} s")
        if args.thresholds:
            thresholds(archive, vocabulary, language_of, themes_of)
            return
        started = time.perf_counter()
        store.vocabulary(archive)  # the archive's own vocabulary, whose triggers call a query's themes up
        tagger = Tagger(vocabulary, Path(tmp))
        for sid in language_of:
            tag_story(archive, sid, Path(tmp), tagger)
        print(f"tagged with themes, as the archive tags a story, in {time.perf_counter() - started:.0f} s")
        if args.kindred:
            kindred(archive, language_of, themes_of)
            return
        backend = FTSBackend(archive, known_words.made(Settings().cache))  # as a server has them
        if args.moments:
            moments(backend, archive, story_of, queries)
            return
        scores: dict[str, dict[str, list[tuple[float, float]]]] = defaultdict(lambda: defaultdict(list))
        for theme in vocabulary.themes:
            for lang in LANGUAGES:
                query = query_text(theme, lang)
                relevant = {sid for sid, found in themes_of.items() if theme.id in found and language_of[sid] != lang}
                if not query or not relevant:
                    continue
                for way, ranking in (("words", ranked_words(backend, query, fused=False)),
                                     ("meaning", ranked_meaning(archive, query)),
                                     ("fused", ranked_words(backend, query, fused=True)),
                                     ("no themes", without_themes(backend, query))):
                    ranking = [sid for sid in ranking if language_of[sid] != lang]
                    recall = len(set(ranking[:DEPTH]) & relevant) / len(relevant)
                    first = next((i for i, sid in enumerate(ranking, 1) if sid in relevant), None)
                    for key in (lang, "all"):
                        scores[key][way].append((recall, 1 / first if first else 0.0))
        print(f"\nrecall at {DEPTH} / mean reciprocal rank, stories in other languages than the query's")
        print(f"{'query language':<15} {'queries':>7} {'words':>15} {'meaning':>15} {'fused':>15} "
              f"{'fused, no themes':>17}")
        print("-" * 89)
        for key in (*LANGUAGES, "all"):
            row = scores[key]
            cells = []
            for way in ("words", "meaning", "fused", "no themes"):
                recall, mrr = (sum(value) / len(value) for value in zip(*row[way]))
                cells.append(f"{recall:.3f} / {mrr:.3f}")
            print(f"{key:<15} {len(row['words']):>7} {cells[0]:>15} {cells[1]:>15} {cells[2]:>15} {cells[3]:>17}")


if __name__ == "__main__":
    main()
