"""A story's timed transcript as subtitles (WebVTT, SRT), plain text and CSV.

Every writer takes ``speakers`` (segment id -> who speaks, as the correction workbench
named them: ``archive.corrections.speaker_names``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from storyatlas.archive import Segment, Story
from storyatlas.errors import StoryAtlasError, said
from storyatlas.text import clock

TRACKS = ("original", "en")
CSV_COLUMNS = ("start", "end", "language", "text", "text_en", "low_confidence", "speaker")


def timestamp(seconds: float, decimal: str = ".") -> str:
    """hh:mm:ss.mmm (``decimal`` "," for SRT)."""
    ms = max(0, round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{decimal}{ms:03d}"


def other_language(story: Story, seg: Segment) -> str | None:
    """The segment's language when it is not the story's main one (people switch mid-story)."""
    return seg.language if seg.language and seg.language != story.language else None


def english(story: Story, seg: Segment) -> str | None:
    """The segment in English: its own words when spoken in English, else its translation."""
    return seg.text if (seg.language or story.language) == "en" else seg.text_en


def has_english_translation(story: Story, segments: Sequence[Segment]) -> bool:
    """Whether any line spoken in another language has an English translation."""
    return any(s.text_en and (s.language or story.language) != "en" for s in segments)


def lines(story: Story, segments: Sequence[Segment], track: str) -> list[tuple[Segment, str]]:
    """(segment, its text on ``track`` on one line); English lines missing are left out."""
    if track not in TRACKS:
        raise StoryAtlasError(said("unknown track {track!r}: choose one of {tracks}", track=track,
                                   tracks=", ".join(TRACKS)))
    if track == "original":
        return [(s, " ".join(s.text.split())) for s in segments]
    # a segment with no English (not spoken in English, not translated) is left out
    found = [(s, " ".join(text.split())) for s in segments if (text := english(story, s))]
    if not found and story.language != "en":
        raise StoryAtlasError(said(
            "story {story} has no English translation yet; process it with a multilingual model (--model base)",
            story=story.id))
    return found


def _cue_text(text: str) -> str:
    # "-->" inside a cue would be read as a new timing line
    return text.replace("-->", "→")


def vtt_escape(text: str) -> str:
    # WebVTT cue text is markup: "&" and "<" would start an entity or a tag
    return _cue_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(story: Story, segments: Sequence[Segment], track: str = "original",
           speakers: Mapping[int, str] | None = None) -> str:
    out = ["WEBVTT", ""]
    for seg, text in lines(story, segments, track):
        cue = vtt_escape(text)
        other = other_language(story, seg) if track == "original" else None
        if other:
            # a language span, so players and screen readers pronounce the passage right
            cue = f"<lang {other}>{cue}</lang>"
        speaker = (speakers or {}).get(seg.id)
        if speaker:
            # a voice span: how WebVTT (and OHMS, which keeps WebVTT) names who speaks
            cue = f"<v {vtt_escape(' '.join(speaker.split()))}>{cue}"
        out += [f"{timestamp(seg.start)} --> {timestamp(seg.end)}", cue, ""]
    return "\n".join(out)


def to_srt(story: Story, segments: Sequence[Segment], track: str = "original",
           speakers: Mapping[int, str] | None = None) -> str:
    # SRT stays plain text: its players know no language or voice markup
    out = []
    for n, (seg, text) in enumerate(lines(story, segments, track), 1):
        speaker = (speakers or {}).get(seg.id)
        line = f"{speaker}: {text}" if speaker else text
        out += [str(n), f"{timestamp(seg.start, ',')} --> {timestamp(seg.end, ',')}", _cue_text(line), ""]
    return "\n".join(out)


def to_txt(story: Story, segments: Sequence[Segment], track: str = "original",
           speakers: Mapping[int, str] | None = None) -> str:
    def tag(seg: Segment) -> str:
        other = other_language(story, seg) if track == "original" else None
        speaker = (speakers or {}).get(seg.id)
        return (f"[{other}] " if other else "") + (f"{speaker}: " if speaker else "")

    return "\n".join(f"[{clock(seg.start)}] {tag(seg)}{text}" for seg, text in lines(story, segments, track)) + "\n"


def _spreadsheet_safe(text: str) -> str:
    # a cell starting with = + - @ is run as a formula by spreadsheets ("CSV injection");
    # stories come from the public, and archivists open CSV files in spreadsheets
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(story: Story, segments: Sequence[Segment], track: str = "original",
           speakers: Mapping[int, str] | None = None) -> str:
    """One row per segment: the spoken words and their English translation (empty for
    lines spoken in English), so ``track`` is not needed. Times in seconds."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180
    writer.writerow(CSV_COLUMNS)
    for seg in segments:
        writer.writerow([
            f"{seg.start:.3f}", f"{seg.end:.3f}", seg.language or story.language or "",
            _spreadsheet_safe(" ".join(seg.text.split())),
            _spreadsheet_safe(" ".join((seg.text_en or "").split())),  # as in the JSON: the translation
            "yes" if seg.low_confidence else "no",
            _spreadsheet_safe((speakers or {}).get(seg.id, "")),
        ])
    return buffer.getvalue()
