"""A story's transcript as subtitles (WebVTT, SRT), plain text or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict

from storyatlas.archive import Archive, Segment, Story, tags
from storyatlas.archive.policy import Viewer, may_moderate
from storyatlas.errors import AccessDenied, StoryAtlasError

FORMATS = ("vtt", "srt", "txt", "json")
TRACKS = ("original", "en")


def _timestamp(seconds: float, decimal: str) -> str:
    ms = max(0, round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{decimal}{ms:03d}"


def clock(seconds: float) -> str:
    """mm:ss (or h:mm:ss) for people to read."""
    s = int(seconds)
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60:02d}:{rest % 60:02d}"


def _other_language(story: Story, seg: Segment) -> str | None:
    """The segment's language when it is not the story's main one (people switch mid-story)."""
    return seg.language if seg.language and seg.language != story.language else None


def english(story: Story, seg: Segment) -> str | None:
    """The segment in English: its own words when spoken in English, else its translation."""
    return seg.text if (seg.language or story.language) == "en" else seg.text_en


def _lines(story: Story, segments: Sequence[Segment], track: str) -> list[tuple[Segment, str]]:
    if track not in TRACKS:
        raise StoryAtlasError(f"unknown track {track!r}: choose one of {', '.join(TRACKS)}")
    if track == "original":
        return [(s, " ".join(s.text.split())) for s in segments]
    # a segment with no English (not spoken in English, not translated) is left out
    lines = [(s, " ".join(text.split())) for s in segments if (text := english(story, s))]
    if not lines and story.language != "en":
        raise StoryAtlasError(
            f"story {story.id} has no English translation yet; process it with a multilingual model (--model base)"
        )
    return lines


def _cue_text(text: str) -> str:
    # "-->" inside a cue would be read as a new timing line
    return text.replace("-->", "→")


def _vtt_text(text: str) -> str:
    # WebVTT cue text is markup: "&" and "<" would start an entity or a tag
    return _cue_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(story: Story, segments: Sequence[Segment], track: str = "original") -> str:
    out = ["WEBVTT", ""]
    for seg, text in _lines(story, segments, track):
        cue = _vtt_text(text)
        other = _other_language(story, seg) if track == "original" else None
        if other:
            # a language span, so players and screen readers pronounce the passage right
            cue = f"<lang {other}>{cue}</lang>"
        out += [f"{_timestamp(seg.start, '.')} --> {_timestamp(seg.end, '.')}", cue, ""]
    return "\n".join(out)


def to_srt(story: Story, segments: Sequence[Segment], track: str = "original") -> str:
    # SRT stays plain text: its players know no language markup
    out = []
    for n, (seg, text) in enumerate(_lines(story, segments, track), 1):
        out += [str(n), f"{_timestamp(seg.start, ',')} --> {_timestamp(seg.end, ',')}", _cue_text(text), ""]
    return "\n".join(out)


def to_txt(story: Story, segments: Sequence[Segment], track: str = "original") -> str:
    def tag(seg: Segment) -> str:
        other = _other_language(story, seg) if track == "original" else None
        return f"[{other}] " if other else ""

    return "\n".join(f"[{clock(seg.start)}] {tag(seg)}{text}" for seg, text in _lines(story, segments, track)) + "\n"


def story_document(archive: Archive, story_id: int, viewer: Viewer, words: bool = True) -> dict:
    """Everything about a story ``viewer`` may see, as plain data: the JSON export,
    `show --json` and the API."""
    story = archive.story(story_id, viewer)
    job = archive.job_for_story(story_id, viewer)
    doc = asdict(story)
    doc["place"] = asdict(story.place)
    doc["state"] = story.state
    doc["job"] = asdict(job) if job else None
    doc["transcripts"] = archive.transcripts(story_id, viewer)
    segments = archive.segments(story_id, viewer, with_words=words)
    doc["themes"], doc["entities"] = _themes_and_entities(archive, story_id, segments, viewer)
    doc["segments"] = [
        {"start": s.start, "end": s.end, "text": s.text, "text_en": s.text_en, "language": s.language,
         "low_confidence": s.low_confidence}
        | ({"words": [asdict(w) for w in s.words]} if words else {})
        for s in segments
    ]
    return doc


def _themes_and_entities(archive: Archive, story_id: int, segments: Sequence[Segment],
                         viewer: Viewer) -> tuple[list[dict], list[dict]]:
    labels = {r["id"]: r["label"] for r in tags.theme_rows(archive)}
    starts = {s.id: s.start for s in segments}
    themes = []
    for t in tags.story_themes(archive, story_id, viewer):
        themes.append({"id": t.theme_id, "label": labels.get(t.theme_id, t.theme_id), "score": t.score,
                       "evidence": [starts[s] for s in t.segments if s in starts]})
    return themes, tags.story_entities(archive, story_id, viewer)


def export(archive: Archive, story_id: int, fmt: str, viewer: Viewer, track: str = "original") -> str:
    """The story's transcript as ``fmt``, when ``viewer`` may see it and its teller
    allowed exports (its moderators may always export it)."""
    if fmt not in FORMATS:
        raise StoryAtlasError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    story = archive.story(story_id, viewer)
    if not story.exportable and not may_moderate(viewer, story.place.community, story.collection):
        raise AccessDenied(f"story {story_id} may be heard and read here, but its storyteller asked "
                           "that it not be exported or downloaded")
    if fmt == "json":
        doc = story_document(archive, story_id, viewer)
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    segments = archive.segments(story_id, viewer)
    return {"vtt": to_vtt, "srt": to_srt, "txt": to_txt}[fmt](story, segments, track)
