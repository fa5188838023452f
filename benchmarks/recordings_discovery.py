"""Finding real recordings by a query in another language: words only, meaning only, fused.

    python benchmarks/recordings_discovery.py [--speech DIR] [--keep DIR] [--show]

Every clip of SPEECH_DIR/manifest.tsv (default ../shared/speech, relative to the
repository; nothing of it is copied here) goes into a fresh archive as its own story
through the archive's real path, as `storyatlas ingest` does: ingest_file, the job
(transcription with the base model, language detected, not given; the English
translation; themes; the words index), then the meaning vectors. Each story is titled
"Recording N" so its file name cannot be found by words. Clips without a reference stay
in the archive as stories nobody looks for.

The queries are benchmarks/data/recording-queries.tsv: one per clip with a reference, in
another language than the clip's, 2-6 words about what is said. They were written once
from the reference texts, before anything was ranked, and are never changed after seeing
results. For each query the stories are ranked three ways, as benchmarks/discovery.py
does: words only (the words index, translations searchable too), meaning only
(``meaning.nearest``, stories in the order of their best passage) and the search the
archive answers (words and meaning fused). Printed, per clip language, per query language
and overall: queries whose clip is in the first ten, first, and the mean reciprocal rank
(0 when not found). ``--show``: each query's ranks and what the archive heard.

Caveats: the clips are unrelated single sentences (1.5-23 s; the four without a
reference run 5-104 s), not stories, so a query has one right answer among 56 stories of
one or two passages: easier than an archive of thousands, and with little text to match.
Eleven English clips are LJSpeech, ten of them from one book on printing, and resemble
each other. Several clips hold names (Gutenberg, Sintra, Bieber, 1813) that any language
writes alike, so words can find them across languages. What Whisper base heard (and its
English) is what is searched, mistakes included. One person wrote the queries, knowing
the archive's approach; the figures are a first look on 52 queries, not a fitted target.

--keep DIR builds the archive in DIR once and reuses it on later runs (the ranking
alone takes seconds; building transcribes every clip).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from discovery import WAYS, ranked_meaning, ranked_words, read_tsv, table  # noqa: E402  (the same rankings)

from storyatlas import meaning
from storyatlas.archive import Archive, StoryMetadata, Viewer
from storyatlas.ingest import ingest_file
from storyatlas.jobs import process_job
from storyatlas.search import known_words
from storyatlas.search.fts import FTSBackend
from storyatlas.settings import Settings

KEEPER = Viewer.keeper("benchmark")
STORIES_FILE = "stories.tsv"  # in the archive folder: file -> story id, and the build time


def build(folder: Path, speech: Path, model: str) -> tuple[dict[str, int], float]:
    """Ingest every clip of the manifest into a new archive in ``folder``; file -> story id."""
    settings = Settings(archive=folder, model=model)
    stories: dict[str, int] = {}
    started = time.perf_counter()
    with Archive(settings.database) as archive:
        rows = read_tsv(speech / "manifest.tsv")
        for n, row in enumerate(rows, 1):
            t0 = time.perf_counter()
            result = ingest_file(archive, speech / row["file"], StoryMetadata(title=f"Recording {n}"), settings, KEEPER)
            if result.error or result.job_id is None:
                print(f"  refused {row['file']}: {result.error}", flush=True)
                continue
            job = process_job(settings, result.job_id, archive=archive)
            if job.state != "done":
                print(f"  failed {row['file']}: {job.state} {job.message}", flush=True)
                continue
            stories[row["file"]] = result.story_id
            print(f"  {n:>2}/{len(rows)} {row['file']:<48} {time.perf_counter() - t0:5.1f} s", flush=True)
        made = meaning.index(archive)
    build_s = time.perf_counter() - started
    print(f"{len(stories)} stories, {made} passages given meaning vectors; built in {build_s:.0f} s")
    with (folder / STORIES_FILE).open("w", encoding="utf-8") as f:
        f.write(f"# built in {build_s:.0f} s\nfile\tstory_id\n")
        f.writelines(f"{name}\t{sid}\n" for name, sid in stories.items())
    return stories, build_s


def load(folder: Path) -> dict[str, int]:
    return {r["file"]: int(r["story_id"]) for r in read_tsv(folder / STORIES_FILE)}


def heard(archive: Archive, story_id: int) -> tuple[str, str, str]:
    """The story's detected language, its transcript and its English, as stored."""
    story = archive.story(story_id, KEEPER)
    segments = archive.segments(story_id, KEEPER)
    text = " ".join(s.text.strip() for s in segments)
    english = " ".join((s.text_en or "").strip() for s in segments if s.text_en)
    return story.language or "-", text, english


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[2:]))
    parser.add_argument("--speech", type=Path, default=REPO.parent / "shared" / "speech",
                        help="folder with manifest.tsv and the clips (default ../shared/speech)")
    parser.add_argument("--queries", type=Path, default=HERE / "data" / "recording-queries.tsv")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="build the archive here, or reuse the one built here before")
    parser.add_argument("--model", default="base")
    parser.add_argument("--show", action="store_true", help="one line per query: its ranks, what was heard")
    args = parser.parse_args()

    clip_language = {r["file"]: r["language"] for r in read_tsv(args.speech / "manifest.tsv")}
    queries = [q for q in read_tsv(args.queries) if q["file"] in clip_language]
    with tempfile.TemporaryDirectory(prefix="storyatlas-recordings-") as tmp:
        folder = args.keep or Path(tmp) / "archive"
        if (folder / STORIES_FILE).exists():
            stories = load(folder)
            print(f"Reusing the archive in {folder} ({len(stories)} stories; "
                  f"{(folder / STORIES_FILE).read_text().splitlines()[0].lstrip('# ')})")
        else:
            print(f"Building an archive of {len(clip_language)} clips from {args.speech} in {folder} "
                  f"(model {args.model}, language detected)")
            stories, _ = build(folder, args.speech, args.model)
        with Archive(Settings(archive=folder, model=args.model).database) as archive:
            meaning.index(archive)  # nothing to do unless a build was cut short
            backend = FTSBackend(archive, known_words.made(Settings().cache))  # as a server has them
            by_clip: dict[str, dict[str, list[int | None]]] = defaultdict(lambda: defaultdict(list))
            by_query: dict[str, dict[str, list[int | None]]] = defaultdict(lambda: defaultdict(list))
            for q in queries:
                sid = stories.get(q["file"])
                rankings = {"words": ranked_words(backend, q["query"], fused=False),
                            "meaning": ranked_meaning(archive, q["query"]),
                            "fused": ranked_words(backend, q["query"], fused=True)}
                ranks = {way: (r.index(sid) + 1 if sid in r else None) for way, r in rankings.items()}
                for way, rank in ranks.items():
                    for key in (clip_language[q["file"]], "all"):
                        by_clip[key][way].append(rank)
                    by_query[q["query_language"]][way].append(rank)
                if args.show:
                    marks = " ".join(f"{way[0]}:{ranks[way] or '-':<3}" for way in WAYS)
                    print(f"{marks}  {q['file']:<46} {q['query_language']}: {q['query']}")
                    if sid is not None:
                        lang, text, english = heard(archive, sid)
                        print(f"{'':20}heard ({lang}): {text[:110]}")
                        if english and english != text:
                            print(f"{'':20}English: {english[:110]}")
            clips = sorted(k for k in by_clip if k != "all")
            clips.sort(key=lambda k: -len(by_clip[k]["words"]))
            table("By the clip's language", by_clip, [*clips, "all"])
            table("By the query's language", by_query, sorted(by_query, key=lambda k: -len(by_query[k]["words"])))


if __name__ == "__main__":
    main()
