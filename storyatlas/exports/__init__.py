"""A story's transcript and description in the formats people and archives use:
subtitles (WebVTT, SRT), text, JSON, CSV, OHMS XML, an IIIF manifest and Dublin Core.

One gate decides every export: ``export`` checks that the viewer may see the story and
that its teller allowed exports (its moderators may always export it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from storyatlas.archive import Archive, Segment, Story, corrections, index_points, tags
from storyatlas.archive.policy import Viewer, may_moderate
from storyatlas.errors import AccessDenied, StoryAtlasError, said
from storyatlas.exports.archival import to_dc, to_ohms
from storyatlas.exports.facts import DEFAULT_BASE_URL, Links, base_url, gather
from storyatlas.exports.iiif import MEDIA_TYPE as IIIF_MEDIA_TYPE
from storyatlas.exports.iiif import to_iiif
from storyatlas.exports.subtitles import TRACKS, clock, english, to_csv, to_srt, to_txt, to_vtt

__all__ = ["ALL_FORMATS", "DEFAULT_BASE_URL", "FORMATS", "MEDIA_TYPES", "METADATA_FORMATS", "SUFFIXES", "TRACKS",
           "clock", "english", "export", "file_name", "story_document", "to_vtt"]

# formats that carry the transcript (every word spoken is in them)
FORMATS = ("vtt", "srt", "txt", "json", "csv", "ohms", "iiif")
# formats that describe the story without its words
METADATA_FORMATS = ("dc",)
ALL_FORMATS = FORMATS + METADATA_FORMATS
# how each is served and named
MEDIA_TYPES = {"vtt": "text/vtt", "srt": "application/x-subrip", "txt": "text/plain", "json": "application/json",
               "csv": "text/csv", "ohms": "application/xml", "iiif": IIIF_MEDIA_TYPE, "dc": "application/xml"}
SUFFIXES = {"ohms": "ohms.xml", "iiif": "iiif.json", "dc": "dc.xml"}
# these hold the words and their English side by side, so a track means nothing to them
_BOTH_TRACKS = ("json", "csv", "ohms", "iiif", "dc")


CONSENT_FIELDS = ("visibility", "requested_visibility", "embargo_until", "declined", "state")
"""A story's fields that only its teller and its moderators are shown."""


def file_name(story_id: int, fmt: str, track: str = "original") -> str:
    """story-12.vtt, story-12.en.srt, story-12.ohms.xml..."""
    track_part = "" if track == "original" or fmt in _BOTH_TRACKS else f".{track}"
    return f"story-{story_id}{track_part}.{SUFFIXES.get(fmt, fmt)}"


def story_document(archive: Archive, story_id: int, viewer: Viewer, words: bool = True) -> dict:
    """Everything about a story ``viewer`` may see, as plain data: the JSON export,
    `show --json` and the API."""
    story = archive.story(story_id, viewer)
    job = archive.job_for_story(story_id, viewer)
    doc = asdict(story)
    doc["place"] = asdict(story.place)
    doc["state"] = story.state
    if not (story.id in viewer.tells or may_moderate(viewer, story.place.community, story.collection)):
        # what its teller asked (a wider audience, an embargo) is theirs and its moderators'
        for private in CONSENT_FIELDS:
            doc.pop(private)
    doc["job"] = asdict(job) if job else None
    doc["transcripts"] = archive.transcripts(story_id, viewer)
    segments = archive.segments(story_id, viewer, with_words=words)
    speakers = corrections.speaker_names(archive, story_id, viewer)
    doc["themes"], doc["entities"] = _themes_and_entities(archive, story_id, segments, viewer)
    doc["index_points"] = [
        {"id": p.id, "at": p.time, "title": p.title, "synopsis": p.synopsis, "keywords": list(p.keywords),
         "themes": list(p.themes), "place": p.place, "link": f"/stories/{story_id}?t={int(p.time)}"}
        for p in index_points.points(archive, story_id, viewer)]
    doc["segments"] = [
        {"start": s.start, "end": s.end, "text": s.text, "text_en": s.text_en, "language": s.language,
         "low_confidence": s.low_confidence, "speaker": speakers.get(s.id)}
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


def may_export(story: Story, viewer: Viewer) -> bool:
    """Whether ``viewer``, who may see ``story``, may export it: its teller allowed it, or
    the viewer moderates it."""
    return story.exportable or may_moderate(viewer, story.place.community, story.collection)


def export(archive: Archive, story_id: int, fmt: str, viewer: Viewer, track: str = "original", *,
           base: str = DEFAULT_BASE_URL, media_dir: Path | None = None) -> str:
    """The story as ``fmt``, when ``viewer`` may see it and its teller allowed exports
    (its moderators may always export it).

    ``base`` is the archive's address, for the identifiers and media links of the
    archival formats (OHMS, IIIF, Dublin Core); ``media_dir`` lets a video's picture
    size be read for IIIF. ``track`` chooses the spoken words or their English for
    vtt, srt and txt; the other formats hold both.
    """
    if fmt not in ALL_FORMATS:
        raise StoryAtlasError(said("unknown export format {format!r}: choose one of {formats}", format=fmt,
                                   formats=", ".join(ALL_FORMATS)))
    if track not in TRACKS:
        raise StoryAtlasError(said("unknown track {track!r}: choose one of {tracks}", track=track,
                                   tracks=", ".join(TRACKS)))
    story = archive.story(story_id, viewer)
    if not may_export(story, viewer):
        raise AccessDenied(said("story {story} may be heard and read here, but its storyteller asked "
                                "that it not be exported or downloaded", story=story_id))
    if fmt == "json":
        doc = story_document(archive, story_id, viewer)
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    segments = archive.segments(story_id, viewer)
    if fmt in ("vtt", "srt", "txt", "csv"):
        speakers = corrections.speaker_names(archive, story_id, viewer)
        return {"vtt": to_vtt, "srt": to_srt, "txt": to_txt, "csv": to_csv}[fmt](story, segments, track, speakers)
    facts = gather(archive, story, viewer, Links(base_url(base)), media_dir)
    return {"ohms": to_ohms, "iiif": to_iiif, "dc": to_dc}[fmt](facts, segments)
