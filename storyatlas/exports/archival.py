"""A story in the XML formats archives exchange: OHMS (the Oral History Metadata
Synchronizer's record, with the transcript, its translation and index points) and
Dublin Core (``oai_dc``, what OAI-PMH harvesters and catalogues take)."""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from storyatlas.archive import Segment
from storyatlas.archive.records import IndexPoint
from storyatlas.exports.facts import StoryFacts
from storyatlas.exports.subtitles import has_english_translation, to_vtt
from storyatlas.text import language_name

OHMS_NS = "https://www.weareavp.com/nunncenter/ohms"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
ET.register_namespace("oai_dc", OAI_DC_NS)  # ElementTree already knows the "dc" and "xsi" prefixes

# characters XML 1.0 cannot hold (a transcript line may carry a stray control character)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str | None) -> str:
    return _NOT_XML.sub("", text or "")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _clean(v) for k, v in attrs.items()})
    if text:
        element.text = _clean(text)
    return element


def _document(root: ET.Element) -> str:
    ET.indent(root)  # adds whitespace only between elements; the text of each stays as it is
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _hms(seconds: float | None) -> str:
    s = round(seconds or 0)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


# OHMS ---------------------------------------------------------------------------
#
# The structure follows the format as OHMS writes and reads it:
# - the element order of the OHMS XSD 5.4 (https://www.weareavp.com/nunncenter/ohms/ohms.xsd,
#   a copy in sciencehistory/scihist_digicoll lib/ohms/ohms.xsd): ROOT > record (id, dt) >
#   version, date, ..., index > point > time, title, partial_transcript, synopsis,
#   keywords, subjects, gpspoints > gps, gps_zoom, gps_text; ...; fmt, usage, ...;
# - OHMS 6.0 (2025), which keeps the transcript as WebVTT in <vtt_transcript> instead of
#   5.x's plain <transcript> with a minute-by-minute <sync> (an OHMS 6.0 export:
#   scihist_digicoll spec/test_support/ohms_xml/small-sample-vtt-ohms.xml), so every cue
#   keeps its exact time, and WebVTT <v> spans name speakers;
# - the OHMS viewer (uklibraries/ohms-viewer app/Ohms/Interview/Version3.php), which reads
#   <vtt_transcript>, or <vtt_transcript_alt> for the translation when <translate> is 1,
#   with <transcript_alt_lang> naming its language; <language> is a language's English name.


def to_ohms(facts: StoryFacts, segments: Sequence[Segment], today: str | None = None) -> str:
    story = facts.story
    # OHMS names its elements in a default namespace and its attributes without one, which
    # ElementTree cannot write from qualified names: the declarations are written as they read
    root = ET.Element("ROOT", {"xmlns": OHMS_NS, "xmlns:xsi": XSI_NS,
                               "xsi:schemaLocation": f"{OHMS_NS} {OHMS_NS}/ohms.xsd"})
    record = _add(root, "record", id=str(story.id), dt=today or datetime.date.today().isoformat())
    full_date = story.recorded_on if story.recorded_on and len(story.recorded_on) == 10 else ""
    english = has_english_translation(story, segments)  # a line in another language, in any story
    video = facts.media is not None and facts.media.kind == "Video"

    def field(tag: str, text: str | None = None) -> ET.Element:
        return _add(record, tag, text)

    field("version", "6.0")
    _add(record, "date", value=full_date, format="yyyy-mm-dd")
    field("date_nonpreferred_format", "" if full_date else story.recorded_on)
    field("cms_record_id", str(story.id))
    field("title", story.title)
    field("accession")
    field("duration", _hms(story.duration_s))
    field("collection_id")
    field("collection_name", story.collection)
    field("series_id")
    field("series_name")
    field("repository", "Story Atlas")
    field("funding")
    field("repository_url", facts.links.base)
    for label in facts.themes:
        field("subject", label)
    field("interviewee", story.storyteller)  # as the storyteller asked to be named; empty if anonymous
    field("interviewer")
    field("format", facts.original_format)
    field("file_name")  # the uploader's file name may name people: not passed on
    field("transcript_alt_lang", "English" if english else "")
    field("translate", "1" if english else "0")
    field("media_id", str(story.id))
    field("media_url", facts.media.url if facts.media else "")
    mediafile = field("mediafile")
    for tag, text in (("host", "Other"), ("avalon_target_domain", ""), ("host_account_id", ""),
                      ("host_player_id", ""), ("host_clip_id", ""), ("clip_format", "video" if video else "audio")):
        _add(mediafile, tag, text)
    field("kembed")
    field("language", language_name(story.language))
    field("user_notes")
    _ohms_index(field("index"), facts.index, segments)
    field("type")
    field("description", story.description)
    field("rel")
    field("vtt_transcript", to_vtt(story, segments, "original", facts.speakers))
    if english:
        field("vtt_transcript_alt", to_vtt(story, segments, "en", facts.speakers))
    field("rights", facts.rights())
    field("fmt", "video" if video else "audio")
    field("usage")
    field("userestrict", "0")
    field("xmllocation")
    field("xmlfilename")
    field("collection_link")
    field("series_link")
    return _document(root)


def _ohms_index(index: ET.Element, points: Sequence[IndexPoint], segments: Sequence[Segment] = ()) -> None:
    for p in sorted(points, key=lambda p: p.time):
        point = _add(index, "point")
        _add(point, "time", str(int(p.time)))  # whole seconds (xs:int)
        _add(point, "title", p.title)
        # OHMS's partial transcript is the words where the passage begins: the archive's
        # points do not store them, the transcript says them
        _add(point, "partial_transcript", p.partial_transcript or _spoken_at(segments, p.time))
        _add(point, "synopsis", p.synopsis)
        # several keywords or subjects are separated by semicolons
        _add(point, "keywords", ";".join(p.keywords))
        _add(point, "subjects", ";".join(p.subjects))
        for gps in p.gps:
            where = _add(point, "gpspoints")
            _add(where, "gps", f"{gps.latitude}, {gps.longitude}")
            _add(where, "gps_zoom", str(gps.zoom))
            _add(where, "gps_text", gps.label)


def _spoken_at(segments: Sequence[Segment], at: float) -> str:
    """The words of the segment spoken at ``at`` (the last one started by then)."""
    started = [s for s in segments if s.start <= at + 0.5]
    return started[-1].text if started else ""


# Dublin Core ---------------------------------------------------------------------
#
# Simple Dublin Core in the OAI-PMH container (http://www.openarchives.org/OAI/2.0/oai_dc.xsd):
# oai_dc:dc holding the fifteen elements of http://purl.org/dc/elements/1.1/, each
# repeatable; types from the DCMI Type Vocabulary ("Sound", "MovingImage").


def to_dc(facts: StoryFacts, segments: Sequence[Segment]) -> str:
    story = facts.story
    root = ET.Element(f"{{{OAI_DC_NS}}}dc", {f"{{{XSI_NS}}}schemaLocation":
                                             f"{OAI_DC_NS} http://www.openarchives.org/OAI/2.0/oai_dc.xsd"})

    def dc(tag: str, text: str | None) -> None:
        if text:
            _add(root, f"{{{DC_NS}}}{tag}", text)

    dc("title", story.title)
    dc("creator", story.storyteller)  # as consent names them; nothing when anonymous
    dc("date", story.recorded_on)
    # every language spoken (people switch mid-story), the main one first
    for code in story.languages or ((story.language,) if story.language else ()):
        dc("language", code)
    dc("coverage", str(story.place))
    for label in facts.themes:
        dc("subject", label)
    dc("description", story.description)
    dc("type", "MovingImage" if facts.has_video else "Sound")
    dc("format", facts.original_format)
    if story.duration_s:
        dc("format", _hms(story.duration_s))  # the extent, as DCMI suggests for format
    dc("identifier", facts.links.story(story.id))
    dc("relation", story.collection)
    dc("rights", facts.rights())
    return _document(root)
