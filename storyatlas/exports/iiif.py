"""A story as an IIIF Presentation 3 Manifest: one Canvas with the recording painted on
it and the transcript as time-coded annotations, for IIIF players (Universal Viewer,
Mirador, Clover, Ramp, Aviary).

The shape follows the Presentation API 3.0 (https://iiif.io/api/presentation/3.0/)
and its cookbook: recipe 0002 (audio: a Canvas with a ``duration`` and a ``painting``
Annotation whose body is a Sound) and 0003 (video: a Video body, and the Canvas's
``width`` and ``height``); recipe 0103 (annotations on a Canvas's ``annotations``,
each a TextualBody aimed at a moment with a media fragment, ``canvas#t=start,end``);
recipe 0021 (a TextualBody's ``language``); labels are language maps.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from storyatlas.archive import Segment
from storyatlas.exports.facts import StoryFacts
from storyatlas.exports.subtitles import english, has_english_translation

CONTEXT = "http://iiif.io/api/presentation/3/context.json"
# what the web archive serves a manifest as (IIIF's media type, naming its context)
MEDIA_TYPE = f'application/ld+json;profile="{CONTEXT}"'


def _seconds(value: float) -> str:
    # media fragments take seconds with a decimal point: 3.9, 3700.25
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _text(value: str, language: str = "none") -> dict:
    """A language map: IIIF's form for every text meant for people."""
    return {language or "none": [value]}


def _pair(label: str, value: str) -> dict:
    return {"label": _text(label, "en"), "value": _text(value)}


def to_iiif(facts: StoryFacts, segments: Sequence[Segment]) -> str:
    story, links = facts.story, facts.links
    manifest_id = links.export(story.id, "iiif")
    canvas_id = f"{manifest_id}/canvas/1"
    ends = [s.end for s in segments]
    # a time-based Canvas needs a positive duration: the recording's, or at least the transcript's
    heard = (facts.media.duration_s or 0.0) if facts.media else 0.0
    duration = max([heard, story.duration_s or 0.0, *ends]) or 1.0

    metadata = [_pair(label, value) for label, value in (
        ("Storyteller", story.storyteller), ("Place", str(story.place)), ("Recorded", story.recorded_on),
        ("Collection", story.collection), ("Languages", ", ".join(story.languages)),
        ("Themes", "; ".join(facts.themes)),
    ) if value]
    canvas: dict = {"id": canvas_id, "type": "Canvas", "label": _text(story.title), "duration": duration}
    painting = []
    if facts.media is not None:
        body = {"id": facts.media.url, "type": facts.media.kind, "format": facts.media.format,
                "duration": facts.media.duration_s or duration}
        if facts.media.width and facts.media.height:
            body |= {"width": facts.media.width, "height": facts.media.height}
            canvas |= {"width": facts.media.width, "height": facts.media.height}
        painting.append({"id": f"{canvas_id}/painting/1", "type": "Annotation", "motivation": "painting",
                         "body": body, "target": canvas_id})
    canvas["items"] = [{"id": f"{canvas_id}/page/1", "type": "AnnotationPage", "items": painting}]

    pages = [_transcript_page(canvas_id, "original", "Transcript",
                              [(s, s.text, s.language or story.language) for s in segments])]
    if has_english_translation(story, segments):  # a line in another language, in any story
        pages.append(_transcript_page(canvas_id, "en", "English translation",
                                      [(s, text, "en") for s in segments if (text := english(story, s))]))
    canvas["annotations"] = pages

    manifest = {
        "@context": CONTEXT,
        "id": manifest_id,
        "type": "Manifest",
        "label": _text(story.title),
        "metadata": metadata,
        "requiredStatement": _pair("Rights", facts.rights()),
        "homepage": [{"id": links.story(story.id), "type": "Text", "label": _text(story.title),
                      "format": "text/html"}],
        # the same transcript as a caption file, for players that prefer one
        "rendering": [{"id": links.export(story.id, "vtt"), "type": "Text", "format": "text/vtt",
                       "label": _text("Transcript (WebVTT)", "en")}],
        "items": [canvas],
    }
    if story.description:
        manifest["summary"] = _text(story.description)
    return json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"


def _transcript_page(canvas_id: str, name: str, label: str, lines: list[tuple[Segment, str, str | None]]) -> dict:
    items = []
    for seg, text, language in lines:
        body = {"type": "TextualBody", "value": " ".join(text.split()), "format": "text/plain"}
        if language:
            body["language"] = language
        items.append({"id": f"{canvas_id}/{name}/{seg.idx + 1}", "type": "Annotation", "motivation": "supplementing",
                      "body": body, "target": f"{canvas_id}#t={_seconds(seg.start)},{_seconds(seg.end)}"})
    return {"id": f"{canvas_id}/{name}", "type": "AnnotationPage", "label": _text(label, "en"), "items": items}
