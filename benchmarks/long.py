"""Transcription at oral-history scale (issue 9): long recordings, people who switch
languages, and the archive's whole path against the raw faster-whisper call.

    python benchmarks/long.py [SPEECH_DIR] [--minutes 16] [--pair de,en] [--seed 9]
                              [--model base] [--skip-raw] [--memory] [--keep DIR]

SPEECH_DIR (default ../shared/speech, relative to the repository) holds the clips and
manifest.tsv (file, language, duration_s, reference). Only clips with a reference are
used. From them, with a fixed seed, this script assembles in a temporary folder (16 kHz
mono 16-bit WAV, built with ffmpeg and numpy; see benchmarks/recordings.py):

  A  a long English recording (--minutes, default 16): the English clips in random
     order, repeated as needed, each levelled to -20 dBFS (RMS of its active frames),
     0.5-2 s pauses between them, light room noise (pink and brown, about -50 dBFS)
     under everything, and in the middle a non-speech stretch of 3 minutes (at most a
     fifth of the recording): loud ventilation-like noise, then silence, then mains hum
     (50 Hz and harmonics);
  B  a recording alternating between two languages clip by clip (--pair, default de,en;
     --alt-minutes, default 5);
  C  a recording in the pair's non-English language only (--translation-minutes,
     default 2).

The reference text of every clip is kept with its time span. A word of a transcript
belongs to the clip its middle falls in (or the nearest clip); a word whose middle falls
in the non-speech stretch is "text in the non-speech stretch". Word error rate per
language is computed on the words that fall in that language's clips, with the
normaliser of benchmarks/wer.py; the overall figure adds the two languages' errors and
counts words in the non-speech stretch as insertions.

In one process and run:
  (a) the raw sequential faster-whisper call: WhisperModel(base folder, compute_type=int8)
      .transcribe(path, beam_size=5, vad_filter=True, word_timestamps=True), generator
      consumed;
  (b) the whole `storyatlas ingest` path (ingest_file + process_job into a fresh archive,
      as benchmarks/transcribe.py does), read back with each segment's language when the
      archive stores one;
  (c) on B only: each clip cut out of B and transcribed alone by the raw call (language
      detected per clip), which is what the issue's per-language target compares with;
  on C: the whole path with translation (the default) and with translate=False;
  with --memory: the whole path on A and on a recording 4 times as long, each in its own
  subprocess, peak resident memory of each (wait4's ru_maxrss).
--skip-raw leaves out (a) and (c). Both paths are warmed up once, untimed, first.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from recordings import Clip, Recording, assemble, cut, load_manifest, write_clips_tsv
from wer import word_errors

from storyatlas.archive import Archive, StoryMetadata, Viewer
from storyatlas.ingest import ingest_file
from storyatlas.jobs import process_job
from storyatlas.settings import Settings
from storyatlas.transcribe.models import resolve_model

KEEPER = Viewer.keeper("benchmark")
RAW_OPTIONS = {"beam_size": 5, "vad_filter": True, "word_timestamps": True}

# the targets
SPEED_TARGET = 1.5        # whole path at least 1.5 times the raw call's speed (A)
WER_POINTS_A = 0.005      # WER no more than 0.5 points above the raw call's (A)
WER_POINTS_B = 0.03       # each language within 3 points of the clips alone (B)
LABEL_TARGET = 0.95       # segments labelled with the right language (B)
TRANSLATE_TARGET = 1.4    # with translation / transcription alone (C)
MEMORY_TARGET = 1.2       # peak memory, 4x as long / 1x (D)


# --------------------------------------------------------------------------- results

@dataclass
class Seg:
    start: float
    end: float
    text: str
    words: list[tuple[float, float, str]] = field(default_factory=list)
    language: str | None = None


@dataclass
class Run:
    """One transcription of one recording, and what was measured of it."""

    wall_s: float
    segments: list[Seg]
    language: str | None = None          # the recording's (story's) language as detected
    languages: list[str] | None = None   # every language the archive lists for the story
    error: str | None = None


def failed(message: str) -> Run:
    return Run(0.0, [], error=message)


def raw_call(model, path: Path, **extra) -> Run:
    start = time.perf_counter()
    segments, info = model.transcribe(str(path), **RAW_OPTIONS, **extra)
    out = [Seg(s.start, s.end, s.text, [(w.start, w.end, w.word) for w in (s.words or ())])
           for s in segments]  # the generator does the work
    return Run(time.perf_counter() - start, out, info.language)


def _segment_languages(archive: Archive, story_id: int) -> dict[int, str | None]:
    """Per-segment languages straight from the table, when the archive has the column
    but its Segment record does not carry it (the engine is being built)."""
    columns = {r[1] for r in archive.conn.execute("PRAGMA table_info(segments)")}
    if "language" not in columns:
        return {}
    return {r[0]: r[1] for r in archive.conn.execute(
        "SELECT idx, language FROM segments WHERE story_id = ?", (story_id,))}


def archive_path(settings: Settings, path: Path) -> Run:
    """The whole `storyatlas ingest` path into a fresh archive; segments read back."""
    with Archive(settings.database) as archive:
        start = time.perf_counter()
        result = ingest_file(archive, path, StoryMetadata(), settings, KEEPER)
        if result.error or result.job_id is None:
            return failed(f"ingest refused the file: {result.error}")
        job = process_job(settings, result.job_id, archive=archive)
        wall = time.perf_counter() - start
        if job.state != "done":
            return failed(f"job {job.state}: {job.message}")
        story = archive.story(result.story_id, KEEPER)
        stored = archive.segments(result.story_id, KEEPER, with_words=True)
        by_idx = _segment_languages(archive, result.story_id)
        segs = []
        for s in stored:
            lang = getattr(s, "language", None) or by_idx.get(s.idx)
            segs.append(Seg(s.start, s.end, s.text, [(w.start, w.end, w.word) for w in s.words], lang))
        languages = getattr(story, "languages", None)
        if isinstance(languages, str):
            try:
                languages = json.loads(languages)
            except ValueError:
                languages = [languages]
        return Run(wall, segs, story.language, list(languages) if languages else None)


# --------------------------------------------------------------------------- scoring

@dataclass
class Score:
    errors: dict[str, int]           # per language
    ref_words: dict[str, int]
    stretch_words: list[str]         # words found inside the non-speech stretch
    passages: list[tuple[Clip, int, int]]  # clip, errors, reference words
    labelled: int | None = None      # segments with a language label
    labelled_right: int | None = None

    def wer(self, language: str | None = None) -> float | None:
        if language is None:
            n = sum(self.ref_words.values())
            return (sum(self.errors.values()) + len(self.stretch_words)) / n if n else None
        n = self.ref_words.get(language, 0)
        return self.errors.get(language, 0) / n if n else None

    def lost_passages(self) -> int:
        """Passages (clips) with word error rate 0.5 or more: dropped or garbled."""
        return sum(1 for _, e, n in self.passages if n and e / n >= 0.5)

    @property
    def label_fraction(self) -> float | None:
        return self.labelled_right / self.labelled if self.labelled else None


def _owner(rec: Recording, t: float) -> Clip | None:
    """The clip a moment belongs to: the one it falls in, else the nearest; None in the stretch."""
    if rec.stretch and rec.stretch[0] <= t <= rec.stretch[1]:
        return None
    best, dist = None, float("inf")
    for c in rec.clips:  # a few hundred clips at most
        d = 0.0 if c.start <= t <= c.end else min(abs(t - c.start), abs(t - c.end))
        if d < dist:
            best, dist = c, d
    return best


def _overlap_language(rec: Recording, start: float, end: float) -> str | None:
    spoken: dict[str, float] = {}
    for c in rec.clips:
        o = min(end, c.end) - max(start, c.start)
        if o > 0:
            spoken[c.language] = spoken.get(c.language, 0.0) + o
    return max(spoken, key=spoken.get) if spoken else None


def score(rec: Recording, run: Run) -> Score:
    hyp: dict[int, list[str]] = {id(c): [] for c in rec.clips}
    stretch: list[str] = []
    for seg in run.segments:
        # words with their times; a segment without words counts as one piece at its middle
        pieces = seg.words or [(seg.start, seg.end, seg.text)]
        for start, end, text in pieces:
            clip = _owner(rec, (start + end) / 2)
            if clip is None:
                stretch.extend(text.split())
            else:
                hyp[id(clip)].append(text)
    errors: dict[str, int] = {}
    refs: dict[str, int] = {}
    passages = []
    for lang in rec.languages:
        clips = [c for c in rec.clips if c.language == lang]
        e, n = word_errors(" ".join(c.reference for c in clips),
                           " ".join(" ".join(hyp[id(c)]) for c in clips), lang)
        errors[lang], refs[lang] = e, n
    for c in rec.clips:
        e, n = word_errors(c.reference, " ".join(hyp[id(c)]), c.language)
        passages.append((c, e, n))
    labelled = right = 0
    for seg in run.segments:
        truth = _overlap_language(rec, seg.start, seg.end)
        if seg.language and truth:
            labelled += 1
            right += seg.language == truth
    has_labels = any(s.language for s in run.segments)
    return Score(errors, refs, stretch, passages,
                 labelled if has_labels else None, right if has_labels else None)


def clips_alone(model, rec: Recording, folder: Path) -> tuple[Score, float, int]:
    """(c): every clip of the recording cut out (with 0.25 s either side) and
    transcribed alone by the raw call, the language detected per clip."""
    errors: dict[str, int] = {}
    refs: dict[str, int] = {}
    passages = []
    wall, right = 0.0, 0
    for i, c in enumerate(rec.clips):
        piece = folder / f"clip-{i:04d}.wav"
        cut(rec.path, c.start - 0.25, c.end + 0.25, piece)
        run = raw_call(model, piece)
        piece.unlink()
        wall += run.wall_s
        right += run.language == c.language
        e, n = word_errors(c.reference, " ".join(s.text for s in run.segments), c.language)
        errors[c.language] = errors.get(c.language, 0) + e
        refs[c.language] = refs.get(c.language, 0) + n
        passages.append((c, e, n))
    return Score(errors, refs, [], passages), wall, right


# --------------------------------------------------------------------------- memory

def memory_child(wav: Path, model: str) -> None:
    """Run in a subprocess: the whole path on one file; prints what it measured."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(archive=Path(tmp) / "archive", model=model)
        run = archive_path(settings, wav)
    print(json.dumps({"wall_s": run.wall_s, "error": run.error,
                      "self_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}), flush=True)


def measure_memory(wav: Path, model: str, log: Path) -> tuple[int, dict]:
    """Peak RSS (kB) of a subprocess running the whole path on ``wav`` (wait4's rusage:
    that process and the processes it waited for, e.g. ffmpeg)."""
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--memory-child", str(wav),
                                 "--model", model], stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    lines = log.read_text().splitlines()
    report = {}
    for line in reversed(lines):
        if line.startswith("{"):
            report = json.loads(line)
            break
    if proc.returncode != 0:
        report.setdefault("error", f"exit {proc.returncode}: " + " | ".join(lines[-3:]))
    return usage.ru_maxrss, report


# --------------------------------------------------------------------------- printing

def num(v: float | None, digits: int = 3) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def points(base: float | None, v: float | None) -> str:
    return "-" if base is None or v is None else f"{(v - base) * 100:+.1f} pt"


class Table:
    """label, one column per measured path, a compared figure, the target and its verdict."""

    def __init__(self, *columns: str) -> None:
        self.columns = columns
        head = f"{'':34}" + "".join(f" {c:>12}" for c in columns) + f" {'compared':>10}  {'target':<16}"
        print(head)
        print("-" * (len(head) + 5))

    def row(self, label: str, *values: str, compared: str = "", target: str = "", ok: bool | None = None) -> None:
        values = tuple(values) + ("",) * (len(self.columns) - len(values))
        mark = "" if ok is None else ("PASS" if ok else "FAIL")
        print((f"{label:34}" + "".join(f" {v:>12}" for v in values) + f" {compared:>10}  {target:<16} {mark}").rstrip(),
              flush=True)

    @staticmethod
    def note(text: str) -> None:
        print("  " + text, flush=True)


def write_passages(rec: Recording, scores: dict[str, Score | None], target: Path) -> None:
    """Per passage (clip): its span, language, file and each path's word error rate."""
    named = {k: {id(c): (e, n) for c, e, n in s.passages} for k, s in scores.items() if s}
    with target.open("w", encoding="utf-8") as f:
        f.write("\t".join(["start", "end", "language", "file", "words"] + [f"WER {k}" for k in named]) + "\n")
        for c in rec.clips:
            cells = [f"{c.start:.3f}", f"{c.end:.3f}", c.language, c.source.name]
            n = next((v[id(c)][1] for v in named.values()), 0)
            cells.append(str(n))
            cells += [f"{v[id(c)][0] / n:.3f}" if n else "-" for v in named.values()]
            f.write("\t".join(cells) + "\n")


def speed_rows(t: Table, rec: Recording, a: Run | None, b: Run, target: bool) -> None:
    for name, r in (("a", a), ("b", b)):
        if r is not None and r.error:
            t.note(f"{name} failed: {r.error}")
    wa = a.wall_s if a is not None and not a.error else None
    wb = b.wall_s if not b.error else None
    speed = wa / wb if wa and wb else None
    t.row("wall s", num(wa, 1), num(wb, 1))
    t.row("x real time (audio s / wall s)", num(rec.duration_s / wa if wa else None, 1),
          num(rec.duration_s / wb if wb else None, 1), compared=num(speed, 2),
          target="speed b/a >= 1.5" if target else "speed b/a",
          ok=(speed >= SPEED_TARGET) if (target and speed) else None)
    t.row("language detected (story)", (a.language or "-") if a is not None and not a.error else "-",
          (b.language or "-") if not b.error else "-")
    if not b.error and b.languages:
        t.row("languages the story lists", "", ",".join(b.languages))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[2:]))
    parser.add_argument("speech", nargs="?", type=Path, default=REPO.parent / "shared" / "speech",
                        help="folder with manifest.tsv and the clips (default ../shared/speech)")
    parser.add_argument("--minutes", type=float, default=16.0, help="length of the long English recording A (default 16)")
    parser.add_argument("--alt-minutes", type=float, default=5.0, help="length of the alternating recording B (default 5)")
    parser.add_argument("--translation-minutes", type=float, default=2.0,
                        help="length of the one-language recording C timed with and without translation (default 2)")
    parser.add_argument("--pair", default="de,en", help="the two languages of B (default de,en)")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--model", default="base", help="base, tiny.en, or a CTranslate2 Whisper folder")
    parser.add_argument("--skip-raw", action="store_true", help="leave out the raw call (a) and the clips alone (c)")
    parser.add_argument("--memory", action="store_true",
                        help="also peak memory of the whole path on A and on a recording 4x as long (slow)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep the assembled WAVs and their clip lists here")
    parser.add_argument("--memory-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.memory_child:
        memory_child(args.memory_child, args.model)
        return

    pair = [p.strip() for p in args.pair.split(",") if p.strip()]
    if len(pair) != 2 or pair[0] == pair[1]:
        parser.error("--pair takes two different language codes, such as de,en")
    foreign = next((p for p in pair if p != "en"), pair[0])
    clips = load_manifest(args.speech)
    for lang in {"en", *pair}:
        if not clips.get(lang):
            parser.error(f"no clips with a reference in {lang!r} in {args.speech / 'manifest.tsv'}")

    with tempfile.TemporaryDirectory(prefix="storyatlas-long-") as tmp_name:
        tmp = Path(tmp_name)
        out = args.keep or tmp / "recordings"
        out.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        rec_a = assemble("A", out / "A_long_en.wav", {"en": clips["en"]}, ["en"], args.minutes * 60, args.seed,
                         stretch_s=min(180.0, args.minutes * 60 / 5))
        rec_b = assemble("B", out / f"B_alternating_{'_'.join(pair)}.wav", clips, pair, args.alt_minutes * 60,
                         args.seed + 1)
        rec_c = assemble("C", out / f"C_{foreign}_only.wav", clips, [foreign], args.translation_minutes * 60,
                         args.seed + 2)
        build_s = time.perf_counter() - t0
        for rec in (rec_a, rec_b, rec_c):
            write_clips_tsv(rec, rec.path.with_suffix(".tsv"))

        print(f"Data: recordings assembled from {args.speech} (seed {args.seed}) in {build_s:.0f} s; "
              f"16 kHz mono, speech at -20 dBFS, 0.5-2 s pauses, room noise ~-50 dBFS")
        for rec in (rec_a, rec_b, rec_c):
            print("  " + rec.describe())
        print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, load average at start "
              f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}; model {args.model}, int8, beam 5, VAD, word timestamps")
        if args.keep:
            print(f"Kept in {args.keep}: the WAVs and, next to each, a .tsv of its clips (start, end, language, file, reference)")
        print()

        settings = Settings(archive=tmp / "archive", model=args.model)
        model = None
        if not args.skip_raw:
            from faster_whisper import WhisperModel

            source = resolve_model(args.model, settings.cache)
            model = WhisperModel(str(source.path), compute_type="int8")

        # warm-up, untimed: model loads, caches, the tagger, on one short clip
        first = min((c for c in clips["en"]), key=lambda c: abs(c.duration_s - 5))
        if model is not None:
            raw_call(model, first.path)
        warm = archive_path(dataclasses.replace(settings, archive=tmp / "warm-up"), first.path)
        if warm.error:
            print(f"warning: the whole path failed on the warm-up clip {first.path.name}: {warm.error}")

        n = 0

        def fresh(**changes) -> Settings:
            nonlocal n
            n += 1
            return dataclasses.replace(settings, archive=tmp / f"archive-{n}", **changes)

        # ---------------------------------------------------------------- A
        print(f"A  long English: measured on A ({rec_a.duration_s / 60:.1f} min; non-speech "
              f"{rec_a.stretch[0]:.0f}-{rec_a.stretch[1]:.0f} s); a: raw call, b: whole path")
        t = Table("a raw", "b archive")
        a = raw_call(model, rec_a.path) if model else None
        b = archive_path(fresh(), rec_a.path)
        sa = score(rec_a, a) if a is not None and not a.error else None
        sb = score(rec_a, b) if not b.error else None
        speed_rows(t, rec_a, a, b, target=True)
        wa, wb = (sa.wer() if sa else None), (sb.wer() if sb else None)
        t.row("WER", num(wa), num(wb), compared=points(wa, wb), target="b-a <= +0.5 pt",
              ok=(wb - wa <= WER_POINTS_A + 1e-9) if wa is not None and wb is not None else None)
        t.row(f"passages lost (WER >= 0.5) of {len(rec_a.clips)}", str(sa.lost_passages()) if sa else "-",
              str(sb.lost_passages()) if sb else "-")
        t.row("words in the non-speech stretch", str(len(sa.stretch_words)) if sa else "-",
              str(len(sb.stretch_words)) if sb else "-", target="b: none", ok=(not sb.stretch_words) if sb else None)
        for name, sc in (("a", sa), ("b", sb)):
            if sc and sc.stretch_words:
                t.note(f"{name} heard in the stretch: {' '.join(sc.stretch_words)[:300]}")
        t.row("segments with the right language", "n/a",
              num(sb.label_fraction) if sb and sb.labelled is not None else "n/a")
        if args.keep:
            write_passages(rec_a, {"a": sa, "b": sb}, rec_a.path.with_suffix(".passages.tsv"))
        print()

        # ---------------------------------------------------------------- B
        print(f"B  alternating {'/'.join(pair)}: measured on B ({rec_b.duration_s / 60:.1f} min); a: raw call, "
              f"b: whole path, c: each clip cut out of B and transcribed alone by the raw call")
        t = Table("a raw", "b archive", "c alone")
        sc = c_wall = c_right = None
        if model is not None:
            sc, c_wall, c_right = clips_alone(model, rec_b, tmp)
        a = raw_call(model, rec_b.path) if model else None
        b = archive_path(fresh(), rec_b.path)
        sa = score(rec_b, a) if a is not None and not a.error else None
        sb = score(rec_b, b) if not b.error else None
        speed_rows(t, rec_b, a, b, target=False)
        if sc:
            t.row(f"c: {len(rec_b.clips)} clips, wall s; language right", "", "",
                  f"{c_wall:.1f}; {c_right}/{len(rec_b.clips)}")
        t.row("WER all", num(sa.wer() if sa else None), num(sb.wer() if sb else None),
              num(sc.wer() if sc else None), compared=points(sa.wer() if sa else None, sb.wer() if sb else None),
              target="b-a")
        for lang in pair:
            wa, wb, wc = (sa.wer(lang) if sa else None), (sb.wer(lang) if sb else None), (sc.wer(lang) if sc else None)
            t.row(f"WER {lang}", num(wa), num(wb), num(wc), compared=points(wc, wb), target="b-c <= +3 pt",
                  ok=(wb - wc <= WER_POINTS_B + 1e-9) if wb is not None and wc is not None else None)
        t.row(f"passages lost (WER >= 0.5) of {len(rec_b.clips)}", str(sa.lost_passages()) if sa else "-",
              str(sb.lost_passages()) if sb else "-", str(sc.lost_passages()) if sc else "-")
        label = sb.label_fraction if sb else None
        t.row("segments with the right language", "n/a",
              f"{label:.3f} ({sb.labelled_right}/{sb.labelled})" if label is not None else "n/a",
              target=">= 0.95", ok=(label >= LABEL_TARGET) if label is not None else None)
        if args.keep:
            write_passages(rec_b, {"a": sa, "b": sb, "c": sc}, rec_b.path.with_suffix(".passages.tsv"))
        print()

        # ---------------------------------------------------------------- C
        print(f"C  a {foreign} story: measured on C ({rec_c.duration_s / 60:.1f} min); the whole path "
              f"without (a) and with (b) its English translation")
        t = Table("a alone", "b +English")
        alone = archive_path(fresh(translate=False), rec_c.path)
        both = archive_path(fresh(translate=True), rec_c.path)
        for name, r in (("translate=False", alone), ("translate=True", both)):
            if r.error:
                t.note(f"{name} failed: {r.error}")
        wa = alone.wall_s if not alone.error else None
        wb = both.wall_s if not both.error else None
        ratio = wb / wa if wa and wb else None
        t.row("wall s", num(wa, 1), num(wb, 1), compared=num(ratio, 2), target="time b/a <= 1.4",
              ok=(ratio <= TRANSLATE_TARGET) if ratio else None)
        sa = score(rec_c, alone) if not alone.error else None
        sb = score(rec_c, both) if not both.error else None
        t.row(f"WER {foreign}", num(sa.wer() if sa else None), num(sb.wer() if sb else None))
        print()

        # ---------------------------------------------------------------- D
        if args.memory:
            rec_d = assemble("A'", out / "A4_long_en.wav", {"en": clips["en"]}, ["en"], args.minutes * 60 * 4,
                             args.seed + 3, stretch_s=min(180.0, args.minutes * 60 / 5))
            print(f"D  peak memory of the whole path, each run in its own process: on A (a) and on "
                  f"A' (b, 4 times as long, assembled the same way with seed {args.seed + 3})")
            print("  " + rec_d.describe())
            t = Table("a: A", "b: A' (4x)")
            one, r1 = measure_memory(rec_a.path, args.model, tmp / "memory-1.log")
            four, r4 = measure_memory(rec_d.path, args.model, tmp / "memory-4.log")
            bad = False
            for name, r in (("A", r1), ("A'", r4)):
                if r.get("error"):
                    bad = True
                    t.note(f"{name} failed: {r['error']}"[:300])
            ratio = four / one if one else None
            t.row("peak RSS, MB", f"{one / 1024:.0f}", f"{four / 1024:.0f}", compared=num(ratio, 2),
                  target="b/a <= 1.2", ok=(ratio <= MEMORY_TARGET) if ratio and not bad else None)
            t.row("wall s (with loading the model)", num(r1.get("wall_s"), 1), num(r4.get("wall_s"), 1))
            print()
        print(f"Load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
