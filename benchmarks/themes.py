"""Precision and recall of story-level themes, per language, and tagging speed.

    python benchmarks/themes.py [FILE ...] [--fit] [--write-examples] [--show] [--thresholds FIRST OTHER]
                                [--weak-english LOSS] [--held-apart FILE ...]

(``--held-apart`` takes every file after it: name the files to judge first.)

The labelled stories (tests/data/themes/stories-*.jsonl: text in its language, its
English translation, the themes a person gave it from the theme descriptions) are split
into sentences as segments and tagged with the repository's vocabulary. Precision and
recall are counted over (story, theme) pairs.

The tagger also asks which themes the nearest labelled stories were given
(storyatlas/themes/examples.py); a story never votes on itself here: each file is read
with the examples of the other files only.

Four measurements:

- cross-fitted: each file judged with weights fitted on the other files and examples
  from the other files, pooled (the rows the weights are fitted on take their examples
  from the files that are neither judged nor fitted). This is the figure to trust: no
  story is judged by weights or examples that saw its labels;
- the shipped weights (storyatlas/themes/weights.json, fitted on all the files) on
  each file, with the examples of the other files: these flatter the tagger;
- held apart (tests/data/themes/held-apart-*.jsonl, when present): stories written blind
  by other writers and kept out of every choice, judged with the shipped weights: the
  figure for stories nobody tuned on (the first eleven held-apart sets are
  stories-4.jsonl to stories-14.jsonl now, and the thirteenth to fifteenth
  stories-15.jsonl to stories-17.jsonl, fitting sets: see tests/data/themes/README.md);
- speed: segments tagged per second, next to the bare spaCy English pipeline over the
  same English sentences (the baseline, run in the same process).

``--fit`` fits the weights on all the files (each with the examples of the others) and
writes them to storyatlas/themes/weights.json, the weights the tagger ships with;
``--write-examples`` encodes all the files into
storyatlas/themes/examples.npz, the examples the tagger ships with. Either is written
before the tables, which judge with what was written: the shipped figures and the
held-apart sets of a fitting run are those of the new weights and examples (in every
fitting run up to 2026-12-07's third fit, that one included, they were those of the
files the run started with).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
import zlib
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storyatlas.themes import Tagger, default_vocabulary  # noqa: E402
from storyatlas.themes import examples as labelled_examples  # noqa: E402
from storyatlas.themes import tagger as tagging  # noqa: E402
from storyatlas.themes.english import pipeline  # noqa: E402
from storyatlas.themes.examples import Examples  # noqa: E402
from storyatlas.themes.tagger import Reading, Weights  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "themes"
# written blind and kept out of every choice (weights, thresholds, background, encoder,
# words): the name keeps them out of stories-*.jsonl
HELD_APART = sorted(DATA.glob("held-apart-*.jsonl"))
_SENTENCE = re.compile(r"(?<=[.!?…])\s+")


def load(path: Path) -> list[dict]:
    """A labelled set: one story a line."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def segments(story: dict) -> list[tuple[str, str | None]]:
    originals = [s for s in _SENTENCE.split(story["text"].strip()) if s]
    english = [s for s in _SENTENCE.split(story["english"].strip()) if s]
    if story["language"] == "en":
        return [(s, None) for s in originals]
    if len(english) != len(originals):  # keep every word: the rest of the English goes on the last segment
        english = english[: len(originals) - 1] + [" ".join(english[len(originals) - 1:])]
    return list(zip(originals, english))


def weakened(story: dict, loss: float) -> list[tuple[str, str | None]]:
    """The story's segments, each English sentence of a story not told in English losing
    ``loss`` of its words (drawn from the story's id): a stand-in for a weak machine
    translation, which drops what a sentence was about (Whisper base: "After 1963, the
    years were over" for a dam that ended the floods)."""
    rng = random.Random(zlib.crc32(story["id"].encode()))
    return [(text, en if en is None else " ".join([w for w in en.split() if rng.random() > loss] or en.split()[:1]))
            for text, en in segments(story)]


def fit(rows: list[tuple[np.ndarray, np.ndarray, str]], ids: list[str], examples: bool = True,
        l2: float = 1.0) -> Weights:
    """Logistic regression (Newton's method, L2 on all but the bias) over every
    (passage, theme) pair: features -> was the theme labelled; with a bias per theme and,
    per story language, a weight added to the words and keywords features. Without
    ``examples``: the examples' two features and the theme's bias left out (the weights
    for a theme no labelled story was given)."""
    languages = sorted({lang for _, _, lang in rows})
    n = rows[0][0].shape[1] if examples else rows[0][0].shape[1] - 2
    themes = ids if examples else []

    def design(features: np.ndarray, lang: str) -> np.ndarray:
        own = [features[:, [1, 4]] * (lang == other) for other in languages]
        return np.column_stack([features[:, :n], np.ones(len(features)), np.eye(len(ids))[:, :len(themes)], *own])

    x = np.vstack([design(f, lang) for f, _, lang in rows]).astype(np.float64)
    y = np.concatenate([labels for _, labels, _ in rows]).astype(np.float64)
    penalty = l2 * np.r_[np.ones(n), 0.0, np.ones(x.shape[1] - n - 1)]
    w = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-x @ w))
        step = np.linalg.solve((x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty), x.T @ (p - y) + penalty * w)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    w = [round(float(v), 4) for v in w]
    measures = w[:n] + [0.0] * (8 - n)  # without examples: their two weights are zero
    own = w[n + 1 + len(themes):]
    return Weights(*measures, bias=w[n], theme_bias=dict(zip(themes, w[n + 1:n + 1 + len(themes)])),
                   language={lang: (own[2 * i], own[2 * i + 1]) for i, lang in enumerate(languages)})


def table(title: str | None, results: list[tuple[dict, set[str]]]) -> dict[str, tuple[float, float]]:
    """Precision and recall per language and in all; printed under ``title`` unless it is None."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # tp, fp, fn
    stories: dict[str, int] = defaultdict(int)
    for story, found in results:
        expected = set(story["themes"])
        for key in (story["language"], "all"):
            counts[key][0] += len(found & expected)
            counts[key][1] += len(found - expected)
            counts[key][2] += len(expected - found)
            stories[key] += 1
    if title:
        print(f"\n{title}")
        print(f"{'language':9} {'stories':>7} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} {'fn':>4}")
    measured = {}
    for key in [*sorted(k for k in counts if k != "all"), "all"]:
        tp, fp, fn = counts[key]
        measured[key] = (tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0)
        if title:
            print(f"{key:9} {stories[key]:7} {measured[key][0]:9.3f} {measured[key][1]:7.3f} {tp:4} {fp:4} {fn:4}")
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=sorted(DATA.glob("stories-*.jsonl")))
    parser.add_argument("--held-apart", type=Path, nargs="*", default=HELD_APART,
                        help="labelled sets never used for any choice, judged with the shipped weights alone, "
                             "each and together (default tests/data/themes/held-apart-*.jsonl)")
    parser.add_argument("--thresholds", nargs=2, type=float, metavar=("FIRST", "OTHER"),
                        help="the probabilities a passage's likeliest and further themes need "
                             f"(default {tagging.FIRST_THRESHOLD} and {tagging.THRESHOLD})")
    parser.add_argument("--fit", action="store_true",
                        help="fit the weights on all the files and write storyatlas/themes/weights.json")
    parser.add_argument("--write-examples", action="store_true",
                        help="encode all the files into storyatlas/themes/examples.npz")
    parser.add_argument("--weak-english", type=float, metavar="LOSS",
                        help="also judge each file cross-fitted with the English sentences of its stories not told "
                             "in English losing this share of their words (weights and examples from faithful "
                             "translations, as shipped)")
    parser.add_argument("--cache", type=Path, help="a folder to keep the lemma indexes in between runs")
    parser.add_argument("--show", action="store_true",
                        help="print each story whose cross-fitted themes differ from its labels")
    args = parser.parse_args()
    # --held-apart takes every file after it: a fitting set judged as held apart is a false figure
    fitted_on = [path.name for path in args.held_apart if path.name.startswith("stories-")]
    if fitted_on:
        parser.error(f"{', '.join(fitted_on)}: a set the tagger is fitted on, not held apart; name the files "
                     "to judge before --held-apart, which takes every file after it")
    missing = [str(path) for path in args.held_apart if not path.is_file()]
    if missing:
        parser.error(f"no such held-apart file: {', '.join(missing)}")
    if args.thresholds:
        tagging.FIRST_THRESHOLD, tagging.THRESHOLD = args.thresholds
    sets = {path.name: load(path) for path in args.files}
    vocabulary = default_vocabulary()
    ids = vocabulary.ids()

    with tempfile.TemporaryDirectory() as temporary:
        cache = args.cache or Path(temporary)
        tagger = Tagger(vocabulary, Path(cache))
        for lang in sorted({s["language"] for stories in sets.values() for s in stories}):
            tagger.tag(lang, [("warm up", "warm up")])  # lemma indexes and models load untimed
        readings: dict[str, list] = {}
        n_segments, started = 0, time.perf_counter()
        for name, stories in sets.items():
            readings[name] = []
            for story in stories:
                segs = segments(story)
                n_segments += len(segs)
                reading = tagger.read(story["language"], segs)
                tagger.choose(reading)
                readings[name].append(reading)
        ours = time.perf_counter() - started
        weak = {name: [tagger.read(story["language"], weakened(story, args.weak_english)) for story in stories]
                for name, stories in sets.items()} if args.weak_english else {}

    def examples(names: list[str]) -> Examples:
        """Every passage of these files, with its story's themes."""
        found = [(reading.vectors[n], tuple(story["themes"]))
                 for name in names for story, reading in zip(sets[name], readings[name])
                 for n in range(len(reading.features))]
        if not found:
            return labelled_examples.empty()
        vectors, themes = zip(*found)
        return Examples(np.vstack(vectors), themes)

    def read(name: str, left_out: tuple[str, ...] = ()) -> list[Reading]:
        """The file's readings with the examples of the other files, less ``left_out``."""
        voters = examples([other for other in sets if other != name and other not in left_out])
        return [reading.with_examples(voters, ids) for reading in readings[name]]

    def labelled(name: str, left_out: tuple[str, ...] = ()) -> list[tuple[np.ndarray, np.ndarray, str]]:
        return [(f, np.array([t in story["themes"] for t in ids]), story["language"])
                for story, reading in zip(sets[name], read(name, left_out)) for f in reading.features]

    def judged(name: str, weights: Weights, show: bool = False,
               source: dict | None = None) -> list[tuple[dict, set[str]]]:
        # the themes the examples know are those of the files it votes with, not the shipped ones
        voters = examples([other for other in sets if other != name])
        judge = Tagger(vocabulary, Path(), weights=weights, examples=voters)
        out = []
        for story, reading in zip(sets[name], (source or readings)[name]):
            reading = reading.with_examples(voters, ids)
            found = {t.theme_id for t in judge.choose(reading)} if reading.features else set()
            if show and found != set(story["themes"]):
                print(f"{story['id']}: labelled {sorted(story['themes'])}, found {sorted(found)}")
            out.append((story, found))
        return out

    n_stories = sum(len(s) for s in sets.values())
    print(f"{n_stories} stories, {n_segments} segments, vocabulary {vocabulary.version} "
          f"({len(vocabulary.themes)} themes); a passage keeps its likeliest theme from probability "
          f"{tagging.FIRST_THRESHOLD}, others from {tagging.THRESHOLD}, at most {tagging.MAX_PER_PASSAGE}")
    # what a fit writes is what the tables below call shipped, and what judges the held-apart sets
    shipped_weights, shipped_without = tagger.weights, tagger.without_examples
    if args.fit:
        rows = [row for name in sets for row in labelled(name)]
        shipped_weights, shipped_without = fit(rows, ids), fit(rows, ids, examples=False)
        target = Path(tagging.__file__).with_name("weights.json")
        tagging.write_weights(target, shipped_weights, shipped_without)
        print(f"wrote {target}: weights fitted on {', '.join(sets)}")
    if args.write_examples:
        target = Path(labelled_examples.__file__).with_name("examples.npz")
        every_example = examples(list(sets))
        labelled_examples.write(target, every_example)
        labelled_examples.shipped.cache_clear()
        print(f"wrote {target} ({len(every_example)} passages from {', '.join(sets)})")
    shipped = {name: judged(name, shipped_weights) for name in sets}
    fitted = {name: fit([row for other in sets if other != name for row in labelled(other, (name,))], ids)
              for name in sets} if len(sets) > 1 else {}
    crossed = {name: judged(name, weights, args.show) for name, weights in fitted.items()}
    if crossed:
        table("cross-fitted: each file judged with weights and examples from the other files",
              [r for results in crossed.values() for r in results])
    if weak and fitted:
        table(f"cross-fitted, the English of the stories not told in English losing {args.weak_english:.0%} "
              "of its words", [r for name, weights in fitted.items() for r in judged(name, weights, source=weak)])
    table("shipped weights (fitted on all the files; examples from the other files)",
          [r for results in shipped.values() for r in results])
    held_apart = [path for path in args.held_apart if path not in args.files]
    if held_apart:
        every = []
        with tempfile.TemporaryDirectory() as cache:
            reader = Tagger(vocabulary, Path(cache), weights=shipped_weights, without_examples=shipped_without)
            for path in held_apart:
                held = load(path)
                results = [(story, {t.theme_id for t in reader.choose(reader.read(story["language"], segments(story)))})
                           for story in held]
                table(f"held apart ({path.name}, {len(held)} stories never used for any choice; "
                      "shipped weights and examples)", results)
                every += results
        if len(held_apart) > 1:
            table(f"held apart, the {len(held_apart)} sets together ({len(every)} stories)", every)
    print(f"\n{'file':18} {'cross-fitted P/R':>17} {'shipped P/R':>12}")
    for name in sets:
        row = [table(None, results[name])["all"] for results in (crossed, shipped) if results]
        print(f"{name:18} " + " ".join(f"{p:>11.3f}/{r:.3f}" for p, r in row))
    if crossed:
        languages = sorted({s["language"] for stories in sets.values() for s in stories})
        print(f"\ncross-fitted P/R per file and language\n{'file':18} " + " ".join(f"{lang:>9}" for lang in languages))
        for name in sets:
            measured = table(None, crossed[name])
            print(f"{name:18} " + " ".join(f"{measured[lang][0]:.2f}/{measured[lang][1]:.2f}"
                                           if lang in measured else f"{'':9}" for lang in languages))
    english = [en or text for stories in sets.values() for story in stories for text, en in segments(story)]
    started = time.perf_counter()
    list(pipeline().pipe(english, batch_size=64))
    baseline = time.perf_counter() - started
    print(f"\ntagging: {n_segments / ours:.0f} segments/s; spaCy English pipeline alone: "
          f"{n_segments / baseline:.0f} segments/s; ratio {ours / baseline:.2f}")


if __name__ == "__main__":
    main()
