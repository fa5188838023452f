"""Precision and recall of story-level themes, per language, and tagging speed.

    python benchmarks/themes.py [tests/data/themes/stories.jsonl]

Each labelled story (text in its language, its English translation, the themes a
person gave it from the theme descriptions) is split into sentences as segments and
tagged with the repository's vocabulary. Precision and recall are counted over
(story, theme) pairs, per language and in total. Speed is segments tagged per second,
next to the bare spaCy English pipeline over the same English sentences (the baseline,
run in the same process): the ratio says what matching in two languages adds.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storyatlas.themes import Tagger, default_vocabulary  # noqa: E402
from storyatlas.themes.english import pipeline  # noqa: E402

DEFAULT = Path(__file__).resolve().parent.parent / "tests" / "data" / "themes" / "stories.jsonl"
_SENTENCE = re.compile(r"(?<=[.!?…])\s+")


def segments(story: dict) -> list[tuple[str, str | None]]:
    originals = [s for s in _SENTENCE.split(story["text"].strip()) if s]
    english = [s for s in _SENTENCE.split(story["english"].strip()) if s]
    if story["language"] == "en":
        return [(s, None) for s in originals]
    if len(english) != len(originals):  # keep every word: the rest of the English goes on the last segment
        english = english[: len(originals) - 1] + [" ".join(english[len(originals) - 1:])]
    return list(zip(originals, english))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stories", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--show", action="store_true", help="print each story's expected and found themes")
    args = parser.parse_args()
    stories = [json.loads(line) for line in args.stories.read_text(encoding="utf-8").splitlines() if line.strip()]
    vocabulary = default_vocabulary()

    with tempfile.TemporaryDirectory() as cache:
        tagger = Tagger(vocabulary, Path(cache))
        for lang in sorted({s["language"] for s in stories}):  # build the lemma indexes first, untimed
            tagger.tag(lang, [("warm up", "warm up")])
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # tp, fp, fn
        n_segments, started = 0, time.perf_counter()
        for story in stories:
            segs = segments(story)
            n_segments += len(segs)
            found = {t.theme_id for t in tagger.tag(story["language"], segs).themes}
            expected = set(story["themes"])
            for key in (story["language"], "all"):
                counts[key][0] += len(found & expected)
                counts[key][1] += len(found - expected)
                counts[key][2] += len(expected - found)
            if args.show and found != expected:
                print(f"{story['id']}: expected {sorted(expected)}, found {sorted(found)}")
        ours = time.perf_counter() - started

    english = [en or text for story in stories for text, en in segments(story)]
    started = time.perf_counter()
    list(pipeline().pipe(english, batch_size=64))
    baseline = time.perf_counter() - started

    print(f"{len(stories)} stories, {n_segments} segments, vocabulary {vocabulary.version} "
          f"({len(vocabulary.themes)} themes)")
    print(f"{'language':9} {'stories':>7} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} {'fn':>4}")
    per_language = defaultdict(int)
    for story in stories:
        per_language[story["language"]] += 1
    for key in [*sorted(k for k in counts if k != "all"), "all"]:
        tp, fp, fn = counts[key]
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        n = len(stories) if key == "all" else per_language[key]
        print(f"{key:9} {n:7} {precision:9.3f} {recall:7.3f} {tp:4} {fp:4} {fn:4}")
    print(f"\ntagging: {n_segments / ours:.0f} segments/s; spaCy English pipeline alone: "
          f"{n_segments / baseline:.0f} segments/s; ratio {ours / baseline:.2f}")


if __name__ == "__main__":
    main()
