"""Short stories told in two languages: is each passage transcribed in its own language?

    python benchmarks/switching.py [SPEECH_DIR] [--seconds 20] [--stories 2] [--seed 11]
                                   [--model base] [--compare 1.0]

A story of a minute or less is one or two chunks, and a chunk is detected as one
language. Where that detection is unsure, or (the setting measured here,
``language_second_above``) its second language is likely enough, each phrase's language
is detected alone. This script measures what that costs and gains on real speech.

From the clips of SPEECH_DIR (default ../shared/speech; those with a reference), with a
fixed seed and benchmarks/recordings.py: for every ordered pair of languages with clips,
``--stories`` recordings of about ``--seconds`` alternating the two clip by clip (the
first language first), and as many of each language alone. Each recording is transcribed
(the transcription and its English, `transcribe_story`, one loaded model) with the
defaults and with ``language_second_above`` set to ``--compare`` (1.0: the rule off),
the two taken in turn, story by story, in one process.

Reported for both: word error rate per language over the stories' clips (words belong to
the clip their middle falls in; benchmarks/wer.py's normaliser), passages lost (a clip
with WER 0.5 or more, such as one transcribed in the other language), segments labelled
with the language spoken most in them, phrases whose language was detected alone, chunks
formed again, and wall time, the one-language stories apart from the two-language ones.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from long import Run, Score, Seg, score
from recordings import Recording, assemble, load_manifest

from storyatlas.settings import Settings
from storyatlas.transcribe import RunStats, options_for, transcribe_story


@dataclasses.dataclass
class Tally:
    """One setting's results over a set of stories."""

    errors: dict[str, int] = dataclasses.field(default_factory=dict)
    words: dict[str, int] = dataclasses.field(default_factory=dict)
    passages: int = 0
    lost: int = 0
    segments: int = 0
    labelled_right: int = 0
    phrases: int = 0
    rechunked: int = 0
    wall_s: float = 0.0
    lost_files: list[str] = dataclasses.field(default_factory=list)

    def add(self, rec: Recording, s: Score, stats: RunStats, wall_s: float) -> None:
        for lang, n in s.ref_words.items():
            self.errors[lang] = self.errors.get(lang, 0) + s.errors.get(lang, 0)
            self.words[lang] = self.words.get(lang, 0) + n
        self.passages += len(s.passages)
        lost = [c for c, e, n in s.passages if n and e / n >= 0.5]
        self.lost += len(lost)
        self.lost_files += [f"{rec.name}:{c.source.name}" for c in lost]
        self.segments += s.labelled or 0
        self.labelled_right += s.labelled_right or 0
        self.phrases += stats.phrases_detected
        self.rechunked += stats.rechunked
        self.wall_s += wall_s

    def wer(self, lang: str | None = None) -> float:
        if lang is None:
            return sum(self.errors.values()) / max(1, sum(self.words.values()))
        return self.errors.get(lang, 0) / max(1, self.words.get(lang, 0))


def transcribed(settings: Settings, rec: Recording, second_above: float) -> tuple[Run, RunStats]:
    options = dataclasses.replace(options_for(settings), language_second_above=second_above)
    start = time.perf_counter()
    result = transcribe_story(rec.path, settings, options=options)
    wall = time.perf_counter() - start
    segments = [Seg(s.start, s.end, s.text, [(w.start, w.end, w.word) for w in s.words], s.language)
                for s in result.transcript.segments]
    return Run(wall, segments, result.transcript.language, list(result.transcript.languages)), result.stats


def report(title: str, tallies: dict[str, Tally], languages: list[str]) -> None:
    names = list(tallies)
    print(f"\n{title}")
    print(f"{'':34}" + "".join(f" {n:>16}" for n in names))
    rows = [("WER, all languages", lambda t: f"{t.wer():.3f}")]
    rows += [(f"WER {lang}", lambda t, lang=lang: f"{t.wer(lang):.3f}") for lang in languages]
    rows += [
        ("passages lost (WER >= 0.5)", lambda t: f"{t.lost} of {t.passages}"),
        ("segments labelled right",
         lambda t: f"{t.labelled_right / max(1, t.segments):.3f} ({t.labelled_right}/{t.segments})"),
        ("phrases detected alone", lambda t: str(t.phrases)),
        ("chunks formed again", lambda t: str(t.rechunked)),
        ("wall s", lambda t: f"{t.wall_s:.1f}"),
    ]
    for label, cell in rows:
        print(f"{label:34}" + "".join(f" {cell(t):>16}" for t in tallies.values()))
    first, second = tallies.values()
    print(f"  time {names[0]} / {names[1]}: {first.wall_s / second.wall_s:.2f}")
    for name, t in tallies.items():
        if t.lost_files:
            print(f"  lost with {name}: {', '.join(t.lost_files)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[2:]))
    parser.add_argument("speech", nargs="?", type=Path, default=REPO.parent / "shared" / "speech")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each story (default 20)")
    parser.add_argument("--stories", type=int, default=2, help="stories per pair of languages (default 2)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--model", default="base")
    parser.add_argument("--compare", type=float, default=1.0,
                        help="language_second_above to compare the defaults with (default 1.0: the rule off)")
    args = parser.parse_args()

    clips = load_manifest(args.speech)
    languages = sorted(lang for lang, found in clips.items() if len(found) > 1)
    default = options_for(Settings(archive=Path("unused"))).language_second_above
    names = {f"defaults ({default})": default, f"compared ({args.compare})": args.compare}
    with tempfile.TemporaryDirectory(prefix="storyatlas-switching-") as tmp_name:
        tmp = Path(tmp_name)
        settings = Settings(archive=tmp / "archive", model=args.model)
        stories: list[Recording] = []
        seed = args.seed
        for pair in [*itertools.permutations(languages, 2), *((lang,) for lang in languages)]:
            for _ in range(args.stories):
                seed += 1
                name = "-".join(pair) + f"-{seed}"
                stories.append(assemble(name, tmp / f"{name}.wav", clips, list(pair), args.seconds, seed))
        print(f"Data: {len(stories)} stories of about {args.seconds:.0f} s from {args.speech} (seed {args.seed}), "
              f"languages {', '.join(languages)}; model {args.model}, the transcription and its English")
        print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, load average at start "
              f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
        transcribed(settings, stories[0], default)  # warm-up, untimed: the model loads
        mixed = {name: Tally() for name in names}
        alone = {name: Tally() for name in names}
        for i, rec in enumerate(stories):
            tallies = mixed if len(rec.languages) > 1 else alone
            order = list(names.items()) if i % 2 == 0 else list(reversed(names.items()))
            for name, second_above in order:
                run, stats = transcribed(settings, rec, second_above)
                tallies[name].add(rec, score(rec, run), stats, run.wall_s)
            print(f"  {i + 1}/{len(stories)} {rec.name}", file=sys.stderr, flush=True)
        report("Two languages, one clip after the other", mixed, languages)
        report("One language", alone, languages)


if __name__ == "__main__":
    main()
