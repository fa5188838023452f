"""Transcripts made elsewhere, read: WebVTT, SRT or OHMS XML, told apart by content, as
cues (times, words, a speaker, a language) and, from OHMS, index points.

The parsers are small and strict rather than borrowed, so a file is judged by what
this archive will make of it (the tests read the exports with webvtt-py and srt); each
reads in time linear in the file's length, whatever it holds.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from pathlib import Path
from xml.parsers import expat

from storyatlas.archive.records import GpsPoint, IndexPoint
from storyatlas.errors import TranscriptError, reason, said
from storyatlas.text import language_code, one_line

# a transcript of many hours is a few MB; more is not a transcript
MAX_BYTES = 50 * 1024 * 1024

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}")
_SRT_START = re.compile(r"^\s*(?:\d+\s+)?\d+:\d{2}:\d{2}[,.]\d{1,3}\s*-->")  # \s: any line ending
_VOICE = re.compile(r"^\s*<v(?:\.[^\s>]*)?\s+([^>]*)>")
_WHOLE_LANG = re.compile(r"^\s*<lang\s+([A-Za-z]{2,3})(?:-[^>]*)?>(.*)</lang>\s*$", re.DOTALL)
# a tag ends before the next one opens: else each of many stray "<" or "{\" is read to the end
_TAG = re.compile(r"<[^<>]*>")
_SRT_TAG = re.compile(r"</?(?:b|i|u|s|font)\b[^<>]*>|\{\\[^{}]*\}", re.IGNORECASE)
_BRACKET_TIME = re.compile(r"\[(\d{1,2}):(\d{2}):(\d{2})\]")
# WebVTT's comment and style blocks (a cue's id may begin with the same letters: NOTES-1)
_NOT_A_CUE = re.compile(r"NOTE(?:[ \t]|$)|(?:STYLE|REGION)[ \t]*$")
_CUE_NUMBER = re.compile(r"[ \t]*[0-9]+[ \t]*")
_UTF16 = {b"\xff\xfe": "utf-16", b"\xfe\xff": "utf-16", b"<\0": "utf-16-le", b"\0<": "utf-16-be"}


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


def _blocks(text: str, srt: bool = False) -> list[list[str]]:
    """The blocks of lines that blank lines part. As WebVTT's parser reads it, a line holding
    "-->" that cannot be its block's time line (first, or second after an id) starts the
    next block: a cue whose blank line before was left out is not merged into the one before."""
    blocks: list[list[str]] = [[]]
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        block = blocks[-1]
        if not line.strip(" \t"):
            if block:
                blocks.append([])
        elif "-->" in line and (len(block) > 1 or (block and "-->" in block[0])):
            # in SRT the number before it is the next cue's, not a word of this one
            blocks.append([block.pop()] if srt and len(block) > 1 and _CUE_NUMBER.fullmatch(block[-1]) else [])
            blocks[-1].append(line)
        else:
            block.append(line)
    return [b for b in blocks if b]


def parse_vtt(text: str) -> list[Cue]:
    """The cues of a WebVTT file (https://www.w3.org/TR/webvtt1/): times, text without
    markup, the language of a ``<lang>`` span around a whole cue, the ``<v>`` speaker."""
    text = text.lstrip("\ufeff")
    if not text.startswith("WEBVTT"):
        raise TranscriptError(said("not a WebVTT file: it must begin with WEBVTT"))
    cues = []
    blocks = _blocks(text)
    header = blocks.pop(0)  # it ends at the first blank line, or at a line holding "-->"
    first = next((i for i, line in enumerate(header) if i and "-->" in line), None)
    for block in ([header[first:]] if first else []) + blocks:
        at = next((i for i, line in enumerate(block[:2]) if "-->" in line), None)  # an optional cue id first
        if at is None and _NOT_A_CUE.match(block[0]):
            continue
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
    for block in _blocks(text.lstrip("\ufeff"), srt=True):
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
    # only where OHMS writes them: a walk through all below each one is as long as the nesting is deep
    index = tuple(_index_point(p) for p in record.findall("index/point"))
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
    plain = _without_footnotes(plain)
    if plain and sync:
        return _synced(plain, sync, duration)
    if plain and _BRACKET_TIME.search(plain):
        return _bracketed(plain, duration)
    return []


def _without_footnotes(text: str, opening: str = "[[footnotes]]", closing: str = "[[/footnotes]]") -> str:
    # found, not matched by a pattern: each of many unclosed openings would be read to the end again
    kept, at = [], 0
    while (start := text.find(opening, at)) >= 0 and (end := text.find(closing, start + len(opening))) >= 0:
        kept.append(text[at:start])
        at = end + len(closing)
    return "".join(kept) + text[at:]


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
    for where in point.findall("gpspoints"):
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
    utf16 = _UTF16.get(data[:2])
    if utf16:  # XML may be UTF-16, told by its byte order mark or its first "<"
        head = data[:512].decode(utf16, "ignore").lstrip("\ufeff \t\r\n").encode()
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
