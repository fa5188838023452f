"""Word error rate and speed of (a) the raw faster-whisper call and (b) the whole
`storyatlas ingest` path, on the same files, in the same process.

    python benchmarks/transcribe.py MANIFEST [--model base] [--limit N] [--language en]

MANIFEST is a TSV with at least the columns file, language, reference (file paths
relative to the manifest). Rows without a reference count for speed only.
Speed is audio seconds per wall second; b/a is the whole path's time over the raw
call's (1.00 = no overhead). Both use the same model object settings: int8 on CPU,
beam 5, voice-activity detection, word timestamps. (b) also probes, hashes, stores
the original, makes the 16 kHz WAV, writes the archive and index, and translates
non-English stories into English (so b/a on those includes a second model pass).
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wer import word_errors  # noqa: E402

from storyatlas.archive import Archive, StoryMetadata, Viewer  # noqa: E402
from storyatlas.ingest import ingest_file  # noqa: E402
from storyatlas.jobs import process_job  # noqa: E402
from storyatlas.settings import Settings  # noqa: E402
from storyatlas.transcribe.whisper import get_transcriber  # noqa: E402

KEEPER = Viewer.keeper("benchmark")  # the archive's own tools: sees every story it ingests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--model", default="base")
    parser.add_argument("--limit", type=int, help="only the first N rows")
    parser.add_argument("--language", help="only rows in this language")
    args = parser.parse_args()

    with args.manifest.open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t")
                if not args.language or r["language"] == args.language]
    rows = rows[: args.limit] if args.limit else rows

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(archive=Path(tmp) / "archive", model=args.model)
        transcriber = get_transcriber(settings)
        raw_model = transcriber.model  # the very model object the archive uses, loaded once
        options = dict(beam_size=settings.beam_size, vad_filter=settings.vad, word_timestamps=True)
        archive = Archive(settings.database)
        if rows:  # warm up both paths once, untimed (model loads, caches), so the first file is not penalised
            first = args.manifest.parent / rows[0]["file"]
            list(raw_model.transcribe(str(first), **options)[0])
            scratch = Settings(archive=Path(tmp) / "warm-up", model=args.model)
            with Archive(scratch.database) as warm:
                process_job(scratch, ingest_file(warm, first, StoryMetadata(), scratch, KEEPER).job_id, archive=warm)
        totals: dict[str, list[float]] = {}
        header = f"{'file':48} {'lang':4} {'audio s':>7} {'WER a':>6} {'WER b':>6} {'x RT a':>6} {'x RT b':>6} {'b/a':>5}"
        print(header)
        print("-" * len(header))
        for row in rows:
            path = args.manifest.parent / row["file"]
            lang, reference = row["language"], (row.get("reference") or "").strip()

            start = time.perf_counter()
            segments, info = raw_model.transcribe(str(path), **options)
            raw_text = " ".join(s.text for s in segments)
            raw_s = time.perf_counter() - start

            start = time.perf_counter()
            result = ingest_file(archive, path, StoryMetadata(), settings, KEEPER)
            process_job(settings, result.job_id, archive=archive)
            ours_s = time.perf_counter() - start
            ours_text = " ".join(s.text for s in archive.segments(result.story_id, KEEPER))

            audio = info.duration
            ea, na = word_errors(reference, raw_text, lang) if reference else (0, 0)
            eb, _ = word_errors(reference, ours_text, lang) if reference else (0, 0)
            for key in (lang, "all"):
                t = totals.setdefault(key, [0.0] * 6)
                for i, v in enumerate((audio, raw_s, ours_s, ea, eb, na)):
                    t[i] += v
            wer_a = f"{ea / na:6.3f}" if na else "     -"
            wer_b = f"{eb / na:6.3f}" if na else "     -"
            print(f"{row['file'][:48]:48} {lang:4} {audio:7.1f} {wer_a} {wer_b} "
                  f"{audio / raw_s:6.1f} {audio / ours_s:6.1f} {ours_s / raw_s:5.2f}", flush=True)
        print("-" * len(header))
        for key, (audio, raw_s, ours_s, ea, eb, na) in sorted(totals.items(), key=lambda kv: kv[0] == "all"):
            wer_a = f"{ea / na:6.3f}" if na else "     -"
            wer_b = f"{eb / na:6.3f}" if na else "     -"
            print(f"{'TOTAL ' + key:48} {key:4} {audio:7.1f} {wer_a} {wer_b} "
                  f"{audio / raw_s:6.1f} {audio / ours_s:6.1f} {ours_s / raw_s:5.2f}")
        archive.close()


if __name__ == "__main__":
    main()
