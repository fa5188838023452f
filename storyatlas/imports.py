"""Recordings transcribed elsewhere: their transcript (WebVTT, SRT or OHMS XML, told apart
by content) is taken in with the recording instead of being transcribed here.

The story is ingested as usual; its transcript comes from the file's cues (for OHMS,
from its WebVTT transcript or, in older files, its sync points); then it is tagged
with themes and its job marked done, as the worker would. Nothing is stored when the
file is refused: it is read, and its times checked against the recording, first.

The parsers are small and strict rather than borrowed, so a file is judged by what
this archive will make of it (the tests read the exports with webvtt-py and srt).
"""

from __future__ import annotations

import html
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from xml.parsers import expat

from storyatlas.archive import Archive, StoryMetadata, Viewer, index_points
from storyatlas.archive.records import GpsPoint, IndexPoint
from storyatlas.errors import IndexPointError, StoryAtlasError, TranscriptError, reason, said
from storyatlas.ingest import IngestResult, ingest_file
from storyatlas.ingest.probe import probe
from storyatlas.settings import Settings
from storyatlas.text import language_code, one_line
from storyatlas.themes.run import tag_story
from storyatlas.transcribe.types import Transcript, TranscriptSegment

log = logging.getLogger(__name__)

# a transcript of many hours is a few MB; more is not a transcript
MAX_BYTES = 50 * 1024 * 1024
# cues may run this far past the recording's end (rounding, a trailing silence cut off)
TOLERANCE_S = 1.0

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}")
_SRT_START = re.compile(r"^\s*(?:\d+\s+)?\d+:\d{2}:\d{2}[,.]\d{1,3}\s*-->")  # \s: any line ending
_VOICE = re.compile(r"^\s*<v(?:\.[^\s>]*)?\s+([^>]*)>")
_WHOLE_LANG = re.compile(r"^\s*<lang\s+([A-Za-z]{2,3})(?:-[^>]*)?>(.*)</lang>\s*$", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_SRT_TAG = re.compile(r"</?(?:b|i|u|s|font)\b[^>]*>|\{\\[^}]*\}", re.IGNORECASE)
_BRACKET_TIME = re.compile(r"\[(\d{1,2}):(\d{2}):(\d{2})\]")
_FOOTNOTES = re.compile(r"\[\[footnotes\]\].*?\[\[/footnotes\]\]", re.DOTALL)


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str
    language: str | None = None
    """ISO 639-1, when the cue says (a WebVTT ``<lang>`` span around all of it)."""
    speaker: str | None = None
    """Who speaks (a WebVTT ``<v>`` span): kept for when the archive stores speakers."""
    english: str | None = None
    """Its English, when the file holds a translation (OHMS)."""


@dataclass(frozen=True)
class ImportedTranscript:
    kind: str
    """"vtt", "srt" or "ohms"."""
    cues: tuple[Cue, ...]
    language: str | None = None
    """The language the file says it is in, if it says."""
    index: tuple[IndexPoint, ...] = ()
    """OHMS index points: read, kept for when the archive stores them."""

    @property
    def has_english(self) -> bool:
        return any(c.english for c in self.cues)


def _seconds(h: str | None, m: str, s: str, fraction: str) -> float:
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(fraction.ljust(3, "0")) / 1000


def _timing(line: str) -> tuple[float, float] | None:
    match = _TIMING.match(line)
    if not match:
        return None
    g = match.groups()
    return _seconds(*g[:4]), _seconds(*g[4:])


def _blocks(text: str) -> list[list[str]]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [b.split("\n") for b in re.split(r"\n[ \t]*\n", text) if b.strip()]


def parse_vtt(text: str) -> list[Cue]:
    """The cues of a WebVTT file (https://www.w3.org/TR/webvtt1/): times, text without
    markup, the language of a ``<lang>`` span around a whole cue, the ``<v>`` speaker."""
    text = text.lstrip("\ufeff")
    if not text.startswith("WEBVTT"):
        raise TranscriptError(said("not a WebVTT file: it must begin with WEBVTT"))
    cues = []
    for block in _blocks(text)[1:]:  # the first block is the header
        if block[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        at = next((i for i, line in enumerate(block[:2]) if "-->" in line), None)  # an optional cue id first
        times = _timing(block[at]) if at is not None else None
        if times is None:
            raise TranscriptError(said("a WebVTT cue without a readable time line: {line!r}", line=block[0][:80]))
        cue = _vtt_cue(" ".join(block[at + 1:]), *times)
        if cue.text:
            cues.append(cue)
    return cues


def _vtt_cue(raw: str, start: float, end: float) -> Cue:
    voice = _VOICE.match(raw)
    speaker = one_line(html.unescape(voice.group(1))) if voice else None
    body = _VOICE.sub("", raw).replace("</v>", "")
    language = None
    whole = _WHOLE_LANG.match(body)
    if whole and "<lang" not in whole.group(2):
        language, body = whole.group(1).lower(), whole.group(2)
    body = body.replace("<br>", " ")  # OHMS writes line breaks inside cues so
    text = html.unescape(_TAG.sub("", body))  # tags out first: "&lt;" is a "<" of the words
    return Cue(start, end, one_line(text), language, speaker or None)


def parse_srt(text: str) -> list[Cue]:
    """The cues of an SRT file: number, time line, text (its b/i/u/font tags dropped)."""
    cues = []
    for block in _blocks(text.lstrip("\ufeff")):
        at = next((i for i, line in enumerate(block[:2]) if "-->" in line), None)
        times = _timing(block[at]) if at is not None else None
        if times is None:
            raise TranscriptError(said("an SRT block without a readable time line: {line!r}", line=block[0][:80]))
        words = one_line(_SRT_TAG.sub("", " ".join(block[at + 1:])))
        if words:
            cues.append(Cue(*times, words))
    return cues


# OHMS ---------------------------------------------------------------------------------


def safe_xml(data: bytes) -> ET.Element:
    """Parse XML that declares no DTD, with element names stripped of their namespace.

    A DTD is where entities are declared: ones that expand without end ("billion
    laughs") or that name other files or addresses (external entities). OHMS files never
    have one, so any is refused before a byte of it is used.
    """
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse(*_: object) -> None:
        raise TranscriptError(said("the XML declares a DTD or entities (<!DOCTYPE ...>, <!ENTITY ...>), which OHMS "
                                   "files never have and which can make a reader expand text without end or read "
                                   "other files: export the file from OHMS again, or remove its DOCTYPE"))

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    parser.StartElementHandler = lambda name, attrs: builder.start(
        name.rsplit(" ", 1)[-1], {k.rsplit(" ", 1)[-1]: v for k, v in attrs.items()})
    parser.EndElementHandler = lambda name: builder.end(name.rsplit(" ", 1)[-1])
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
    except expat.ExpatError as e:
        raise TranscriptError(said("not well-formed XML ({detail}): export the file from OHMS again",
                                   detail=str(e))) from None
    return builder.close()


def parse_ohms(data: bytes) -> ImportedTranscript:
    """An OHMS XML record (ROOT > record): its transcript, from <vtt_transcript> (OHMS 6)
    or from <transcript> and its <sync> points (OHMS 5), its translation when it is in
    English (<vtt_transcript_alt>, <transcript_alt>), its <language> and its index points."""
    root = safe_xml(data)
    record = root.find("record") if root.tag == "ROOT" else None
    if record is None:
        raise TranscriptError(said("not an OHMS file: its XML has no ROOT > record"))

    def text(tag: str) -> str:
        return (record.findtext(tag) or "").strip()

    duration = _duration(text("duration"))
    cues = _ohms_transcript(text("vtt_transcript"), text("transcript"), text("sync"), duration)
    if not cues:
        raise TranscriptError(said("the OHMS file holds no timed transcript (no <vtt_transcript>, nor a "
                                   "<transcript> with <sync> points or [HH:MM:SS] marks): sync it in OHMS first"))
    if language_code(text("transcript_alt_lang")) == "en":
        alt = _ohms_transcript(text("vtt_transcript_alt"), text("transcript_alt"), text("sync_alt"), duration)
        cues = _with_english(cues, alt)
    index = tuple(_index_point(p) for p in record.iter("point"))
    return ImportedTranscript("ohms", tuple(cues), language_code(text("language")), index)


def _duration(value: str) -> float | None:
    parts = value.split(":")
    if len(parts) == 3 and all(p.isdecimal() for p in parts):
        return (int(parts[0]) * 3600 + int(parts[1]) * 60 + int(parts[2])) or None
    return None


def _ohms_transcript(vtt: str, plain: str, sync: str, duration: float | None) -> list[Cue]:
    if vtt:
        # OHMS may leave out the WEBVTT line its WebVTT should begin with
        return parse_vtt(vtt if vtt.startswith("WEBVTT") else "WEBVTT\n\n" + vtt)
    plain = _FOOTNOTES.sub("", plain)
    if plain and sync:
        return _synced(plain, sync, duration)
    if plain and _BRACKET_TIME.search(plain):
        return _bracketed(plain, duration)
    return []


def _synced(transcript: str, sync: str, duration: float | None) -> list[Cue]:
    """OHMS 5's <sync>: "1:|13(3)|19(14)" is a mark every 1 minute, the n-th at word 3 of
    line 13, word 14 of line 19... (the format as sciencehistory/scihist_digicoll's
    OhmsXml reads it). Each stretch between two marks becomes a segment."""
    interval, _, stamps = sync.partition(":")
    if not interval.strip().isdecimal():
        raise TranscriptError(said("an OHMS <sync> that does not start with its interval in minutes: {sync!r}",
                                   sync=sync[:40]))
    step = int(interval) * 60
    words: list[tuple[int, int, str]] = []  # (line, word, text), both numbered from 1
    for n, line in enumerate(transcript.split("\n"), 1):
        words += [(n, w, word) for w, word in enumerate(line.split(), 1)]
    position = {(line, w): i for i, (line, w, _) in enumerate(words)}
    marks = [(0.0, 0)]
    for k, stamp in enumerate(stamps.split("|")):
        found = re.fullmatch(r"\s*(\d+)\((\d+)\)\s*", stamp)
        if found and (int(found.group(1)), int(found.group(2))) in position:
            at = position[int(found.group(1)), int(found.group(2))]
            if at > marks[-1][1]:
                marks.append((float(k * step), at))
    return _stretches([w for _, _, w in words], marks, duration)


def _bracketed(transcript: str, duration: float | None) -> list[Cue]:
    """A transcript with [HH:MM:SS] marks in its text: each mark starts a segment."""
    words: list[str] = []
    marks = [(0.0, 0)]
    pieces = _BRACKET_TIME.split(transcript)
    words += pieces[0].split()
    for i in range(1, len(pieces), 4):
        h, m, s, following = pieces[i:i + 4]
        marks.append((int(h) * 3600 + int(m) * 60 + float(s), len(words)))
        words += following.split()
    return _stretches(words, marks, duration)


def _stretches(words: list[str], marks: list[tuple[float, int]], duration: float | None) -> list[Cue]:
    cues = []
    for i, (start, at) in enumerate(marks):
        end_at = marks[i + 1][1] if i + 1 < len(marks) else len(words)
        end = marks[i + 1][0] if i + 1 < len(marks) else (duration or start)  # mended by align()
        if end_at > at:
            cues.append(Cue(start, end, " ".join(words[at:end_at])))
    return cues


def _with_english(cues: list[Cue], alt: list[Cue]) -> list[Cue]:
    """Each cue with the translation's cues that fall in it (by their middle)."""
    def middle(a: Cue) -> float:
        return (a.start + a.end) / 2 if a.end > a.start else a.start

    out = []
    for n, cue in enumerate(cues):
        # a cue's end may be missing (OHMS writes 00:00:00 for the last one): the next one's start
        end = cue.end if cue.end > cue.start else (cues[n + 1].start if n + 1 < len(cues) else float("inf"))
        inside = [a.text for a in alt if cue.start <= middle(a) < end]
        out.append(replace(cue, english=" ".join(inside) or None))
    return out


def _index_point(point: ET.Element) -> IndexPoint:
    def text(tag: str) -> str:
        return (point.findtext(tag) or "").strip()

    def listed(tag: str) -> tuple[str, ...]:
        return tuple(k.strip() for k in text(tag).split(";") if k.strip())

    gps = []
    for where in point.iter("gpspoints"):
        lat, _, lon = (where.findtext("gps") or "").partition(",")
        try:
            zoom = int(where.findtext("gps_zoom") or 17)
            gps.append(GpsPoint(float(lat), float(lon), (where.findtext("gps_text") or "").strip(), zoom))
        except ValueError:
            continue  # an empty or unreadable place: OHMS writes empty gpspoints too
    try:
        time = float(text("time") or 0)
    except ValueError:
        raise TranscriptError(said("an OHMS index point with an unreadable time: {time!r}",
                                   time=text("time"))) from None
    return IndexPoint(time, text("title"), text("partial_transcript"), text("synopsis"),
                      listed("keywords"), listed("subjects"), tuple(gps))


# reading a file -----------------------------------------------------------------------


def parse_transcript(data: bytes) -> ImportedTranscript:
    """WebVTT, SRT or OHMS XML, told apart by content (never by the file's name)."""
    if len(data) > MAX_BYTES:
        raise TranscriptError(said("the file is {size:.0f} MB: a transcript is far smaller; "
                                   "check that it is the transcript", size=len(data) / 1024**2))
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return parse_ohms(data)  # the XML declares its own encoding
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TranscriptError(said("the transcript is not UTF-8 text: save it as UTF-8 and try again")) from None
    if text.lstrip().startswith("WEBVTT"):
        return ImportedTranscript("vtt", tuple(parse_vtt(text.lstrip())))
    if _SRT_START.match(text):
        return ImportedTranscript("srt", tuple(parse_srt(text)))
    raise TranscriptError(said("not a transcript this archive reads: give a WebVTT (.vtt), SRT (.srt) or OHMS XML "
                               "file"))


def read_transcript(path: Path) -> ImportedTranscript:
    try:
        with Path(path).open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise TranscriptError(said("cannot read the transcript {path}: {detail}", path=str(path),
                                   detail=e.strerror or str(e))) from None
    try:
        return parse_transcript(data)
    except TranscriptError as e:
        raise TranscriptError(said("{path}: {reason}", path=str(path), reason=reason(e))) from None


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
    out = []
    for n, c in enumerate(shifted):
        start = max(0.0, c.start)
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
    whose times do not fit the recording."""
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
    cues = align(imported.cues, story.duration_s, offset)  # the decoded length, to the millisecond
    if not archive.claim_job(result.job_id):
        raise TranscriptError(said("a worker took story {story} to transcribe it before its transcript could be "
                                   "imported: let it finish, or erase the story and import again", story=story.id))
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
