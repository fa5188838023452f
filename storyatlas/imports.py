"""Recordings transcribed elsewhere: their transcript (WebVTT, SRT or OHMS XML, read by
``transcript_files``) is taken in with the recording instead of being transcribed here.

The story is ingested as usual; its transcript comes from the file's cues (for OHMS,
from its WebVTT transcript or, in older files, its sync points); then it is tagged
with themes and its job marked done, as the worker would. Nothing is stored when the
file is refused: it is read, and its times checked against the recording, first (a
recording that decodes shorter than it said is checked again, and erased if refused).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from storyatlas.archive import Archive, StoryMetadata, Viewer, index_points
from storyatlas.archive.erasure import erase
from storyatlas.archive.records import IndexPoint
from storyatlas.errors import IndexPointError, StoryAtlasError, TranscriptError, reason, said
from storyatlas.ingest import IngestResult, ingest_file
from storyatlas.ingest.probe import probe
from storyatlas.settings import Settings
from storyatlas.themes.run import tag_story
from storyatlas.transcribe.types import Transcript, TranscriptSegment
from storyatlas.transcript_files import Cue, ImportedTranscript, read_transcript

log = logging.getLogger(__name__)

# cues may run this far past the recording's end (rounding, a trailing silence cut off)
TOLERANCE_S = 1.0


def parse_offset(value: str | None) -> float:
    """Seconds from "90", "-3600", "1:30" or "-1:00:00" (a transcript timed from a tape's
    start timecode is shifted by minus that timecode)."""
    if not value:
        return 0.0
    text = value.strip()
    sign = -1.0 if text.startswith("-") else 1.0
    parts = text.lstrip("+-").split(":")
    try:
        if len(parts) > 3:  # an empty part is refused by float()
            raise ValueError
        total = 0.0
        for p in parts:
            total = total * 60 + float(p)
        if not math.isfinite(total):  # float() reads "nan" and "inf" too
            raise ValueError
    except ValueError:
        raise TranscriptError(said("--transcript-offset {value!r}: give seconds (-3600) or h:mm:ss (-1:00:00)",
                                   value=value)) from None
    return sign * total


def align(cues: Sequence[Cue], duration: float | None, offset: float = 0.0) -> list[Cue]:
    """The cues shifted by ``offset``, in time order, each with an end, checked against a
    recording of ``duration`` seconds (None: not known yet)."""
    if not cues:
        raise TranscriptError(said("the transcript holds no timed text"))
    shifted = sorted((replace(c, start=c.start + offset, end=c.end + offset) for c in cues), key=lambda c: c.start)
    if shifted[0].start < -TOLERANCE_S:
        raise TranscriptError(said("the transcript starts {seconds:.1f} s before the recording: "
                                   "check --transcript-offset", seconds=-shifted[0].start))
    if duration and shifted[-1].start > duration + TOLERANCE_S:
        late = next(c for c in shifted if c.start > duration + TOLERANCE_S)
        if shifted[0].start >= 3600 > duration:
            raise TranscriptError(said("the transcript has text at {at}, after the recording ends ({end}): check "
                                       "that they belong together. Its times may count from a tape's start "
                                       "timecode: shift them, e.g. --transcript-offset -1:00:00.",
                                       at=_hms(late.start), end=_hms(duration)))
        raise TranscriptError(said("the transcript has text at {at}, after the recording ends ({end}): check that "
                                   "they belong together.", at=_hms(late.start), end=_hms(duration)))
    out: list[Cue] = []
    for n, c in enumerate(shifted):
        start = max(0.0, c.start)
        if duration and start >= duration:  # let in by the tolerance: in the last second, not after the end
            start = max(0.0, duration - TOLERANCE_S, out[-1].start if out else 0.0)
        end = c.end
        if end <= start:  # a missing end (OHMS writes 00:00:00 for the last cue): up to the next cue
            following = [x.start for x in shifted[n + 1:] if x.start > start]
            end = following[0] if following else (duration if duration and duration > start else start + 1.0)
        if duration:
            end = max(start, min(end, duration))
        out.append(replace(c, start=start, end=end))
    return out


def _hms(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def transcript_language(imported: ImportedTranscript, hint: str | None) -> str:
    """What the transcript is in: what the person said (--language), else what the file
    says (OHMS's <language>, or every cue's <lang> span)."""
    spans = {c.language for c in imported.cues}
    found = hint or imported.language or (spans.pop() if len(spans) == 1 and None not in spans else None)
    if not found:
        raise TranscriptError(said("the transcript does not say its language: give it with --language "
                                   "(e.g. --language de)"))
    return found.lower()


# taking a recording in with its transcript ---------------------------------------------


def store_transcript(archive: Archive, story_id: int, duration_s: float | None, cues: Sequence[Cue],
                     language: str, kind: str, source: str) -> bool:
    """Make ``cues`` (aligned) the story's transcript, replacing what it had, as the
    worker stores a transcription; returns whether any line has an English translation.
    The transcript records where it came from ("imported vtt", the file's name)."""
    transcript = Transcript(
        task="transcribe", language=language, language_probability=None,
        duration_s=duration_s or (cues[-1].end if cues else 0.0), model=f"imported {kind}",
        segments=tuple(TranscriptSegment(c.start, c.end, c.text, language=c.language) for c in cues),
        options={"imported_from": source})
    # lines spoken in English need no translation; the others keep the file's, if it has one
    english = [None if (c.language or language) == "en" else c.english for c in cues]
    archive.save_transcription(story_id, transcript, None, english)
    return any(english)


@dataclass(frozen=True)
class ImportResult:
    ingest: IngestResult
    kind: str
    segments: int
    english: bool
    themes: int
    points: int = 0


def ingest_with_transcript(archive: Archive, media: Path, transcript_file: Path, meta: StoryMetadata,
                           settings: Settings, viewer: Viewer, offset: float = 0.0) -> ImportResult:
    """Ingest ``media`` as a new story whose transcript is ``transcript_file``; tag its
    themes and mark its job done; an OHMS file's index points become the story's.
    Refuses (TranscriptError, MediaError), storing nothing, a file that cannot be read or
    whose times do not fit the recording (only the audit log tells of a story erased again)."""
    imported = read_transcript(transcript_file)
    language = transcript_language(imported, meta.language_hint)
    points: list[IndexPoint] = []
    if Path(media).is_file():  # otherwise ingest_file says what is wrong with it
        duration = probe(media).duration_s
        align(imported.cues, duration, offset)  # refused before anything is stored
        points = _index_points(imported.index, duration, offset, transcript_file)
    result = ingest_file(archive, media, meta, settings, viewer)
    if result.duplicate:
        raise TranscriptError(said("{media} is already in the archive as story {story}: its transcript "
                                   "was left as it is", media=str(media), story=result.story_id))
    if result.story_id is None or result.job_id is None:  # only a duplicate has neither
        raise TranscriptError(said("{media} was not taken in: nothing was imported", media=str(media)))
    story = archive.story(result.story_id, viewer)
    if not archive.claim_job(result.job_id):
        raise TranscriptError(said("a worker took story {story} to transcribe it before its transcript could be "
                                   "imported: let it finish, or erase the story and import again", story=story.id))
    try:
        cues = align(imported.cues, story.duration_s, offset)  # the decoded length, to the millisecond
    except TranscriptError as e:
        # less decoded than the file said (a copy cut short): the story is taken back, as if never stored
        erase(archive, settings.media_dir, story.id, viewer.label(), reason(e))
        raise
    try:
        archive.report_progress(result.job_id, "importing", 0.5)
        has_english = store_transcript(archive, story.id, story.duration_s, cues, language, imported.kind,
                                       Path(transcript_file).name)
        for point in points:  # at most the decoded length, which may be a few milliseconds short
            index_points.add(archive, story.id, replace(point, time=min(point.time, story.duration_s)), viewer)
        archive.report_progress(result.job_id, "tagging", 1.0)
        tagging = tag_story(archive, story.id, settings.cache)
    except StoryAtlasError as e:
        archive.finish_job(result.job_id, "failed", reason(e))
        raise
    except Exception as e:
        archive.finish_job(result.job_id, "failed", said("internal error: {kind}: {detail}",
                                                         kind=type(e).__name__, detail=str(e)))
        raise
    note = None if has_english or language == "en" else said(
        "imported without an English translation: it is found by its own words and themes, not in English")
    archive.finish_job(result.job_id, "done", note)
    log.info("story %d: transcript imported from %s (%d segments)", story.id, transcript_file, len(cues))
    return ImportResult(result, imported.kind, len(cues), has_english, len(tagging.themes), len(points))


def _index_points(read: Sequence[IndexPoint], duration_s: float, offset: float, path: Path) -> list[IndexPoint]:
    """The file's index points as the archive keeps them, shifted as its cues are, each
    checked before anything is stored: OHMS's subjects join the keywords, and its first
    GPS point's label names the place (the archive keeps no coordinates)."""
    kept = []
    for p in read:
        place = next((g.label for g in p.gps if g.label), p.place)
        try:
            kept.append(index_points.tidied(IndexPoint(p.time + offset, p.title, synopsis=p.synopsis,
                                                       keywords=p.keywords + p.subjects, place=place), duration_s))
        except IndexPointError as e:
            raise TranscriptError(said("{path}: its index point {title!r} at {time} s: {reason}", path=str(path),
                                       title=p.title[:60], time=p.time, reason=reason(e))) from None
    return kept
