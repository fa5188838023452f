"""What each transcription setting costs and gains, on the long English recording of
benchmarks/long.py (recording A: the same clips, seed and non-speech stretch).

    python benchmarks/settings.py [SPEECH_DIR] [--minutes 8] [--only NAME ...]
                                  [--device cuda] [--model PATH]

Runs the archive's transcription (``transcribe_story``, the model loaded and warmed up
first, untimed) once per setting, changing one thing at a time from the defaults, and
prints wall seconds, speed (audio seconds per wall second), the time relative to the
defaults, word error rate (benchmarks/wer.py's normaliser; words in the non-speech
stretch count as insertions) and the phrases whose language was detected alone. The
first row, the defaults, is the baseline of the ratios, measured in the same process.

On a GPU (``--device cuda``: float16, batches of 16, the encoder batched too) the same
rows give the aggregate real-time factor of batched decoding on one GPU in one run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from long import REPO, Run, Seg, score  # noqa: E402
from recordings import assemble, cut, load_manifest  # noqa: E402

from storyatlas.settings import load_settings  # noqa: E402
from storyatlas.transcribe import options_for, transcribe_story  # noqa: E402

# name: (settings overrides, option overrides)
SETTINGS = {
    "defaults (beam 5, batch by device, VAD, threads by cores)": ({}, {}),
    "beam 1 (greedy)": ({}, {"beam_size": 1}),
    "batch 1": ({}, {"batch_size": 1}),
    "batch 4": ({}, {"batch_size": 4}),
    "batch 16": ({}, {"batch_size": 16}),
    "no VAD (every 30 s decoded)": ({}, {"vad_filter": False}),
    "no word timestamps": ({}, {"word_timestamps": False}),
    "1 thread": ({"cpu_threads": 1}, {}),
    "tiny.en": ({"model": "tiny.en"}, {}),
    "no second-language look (language_second_above 1.0)": ({}, {"language_second_above": 1.0}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("speech", nargs="?", type=Path, default=REPO.parent / "shared" / "speech")
    parser.add_argument("--minutes", type=float, default=8.0, help="length of the English recording (default 8)")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--only", nargs="*", help="names (or the start of names) of the settings to run")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--model", default="base", help="base, tiny.en or a CTranslate2 Whisper folder")
    args = parser.parse_args()
    clips = load_manifest(args.speech)
    chosen = [(name, v) for name, v in SETTINGS.items()
              if not args.only or name.startswith("defaults") or any(name.startswith(o) for o in args.only)]
    chosen.append(("defaults again (how much the machine drifted)", SETTINGS[next(iter(SETTINGS))]))
    with tempfile.TemporaryDirectory(prefix="storyatlas-settings-") as tmp:
        rec = assemble("A", Path(tmp) / "A.wav", {"en": clips["en"]}, ["en"], args.minutes * 60, args.seed,
                       stretch_s=min(180.0, args.minutes * 60 / 5))
        print(f"A: {rec.describe()}\ndevice {args.device}, model {args.model}")
        print(f"{'setting':<52} {'wall s':>7} {'x RT':>6} {'time/defaults':>13} {'WER':>6} {'phrases':>7}")
        print("-" * 97)
        warm_up = Path(tmp) / "warm-up.wav"
        cut(rec.path, 0.0, 30.0, warm_up)
        baseline, loaded = None, set()
        for name, (overrides, option_overrides) in chosen:
            settings = load_settings({"archive": Path(tmp) / "archive", "device": args.device, "model": args.model,
                                      **overrides})
            options = replace(options_for(settings, None), **option_overrides)
            if (settings.model, settings.cpu_threads) not in loaded:  # the model loaded, untimed
                transcribe_story(warm_up, settings, None, options=options)
                loaded.add((settings.model, settings.cpu_threads))
            started = time.perf_counter()
            result = transcribe_story(rec.path, settings, None, options=options)
            wall = time.perf_counter() - started
            segs = [Seg(s.start, s.end, s.text, [(w.start, w.end, w.word) for w in s.words], s.language)
                    for s in result.transcript.segments]
            wer = score(rec, Run(wall, segs)).wer()
            baseline = baseline or wall
            print(f"{name:<52} {wall:7.1f} {rec.duration_s / wall:6.1f} {wall / baseline:13.2f} {wer:6.3f} "
                  f"{result.stats.phrases_detected:7}", flush=True)


if __name__ == "__main__":
    main()
