"""Exports for archives (CSV, OHMS XML, IIIF Presentation 3, Dublin Core) and whole
collections, each read back by a reader of its own: the csv module, ElementTree with
the formats' namespaces, webvtt-py, and checks written from the IIIF specification."""

import csv
import dataclasses
import html
import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from urllib.parse import urlsplit

import pytest
import webvtt
from click.testing import CliRunner

from storyatlas.archive import MediaFile, StoryMetadata, Viewer, accounts, index_points
from storyatlas.archive.records import GpsPoint, IndexPoint
from storyatlas.cli import cli
from storyatlas.errors import AccessDenied, ConfigurationError, NotFound
from storyatlas.exports import ALL_FORMATS, export
from storyatlas.exports.archival import to_dc, to_ohms
from storyatlas.exports.collection import export_collection
from storyatlas.exports.facts import Links, Media, gather, original_type, video_type
from storyatlas.exports.iiif import to_iiif
from storyatlas.exports.subtitles import _spreadsheet_safe as spreadsheet_safe
from storyatlas.ingest import ingest_file
from storyatlas.ingest.redact import redact
from storyatlas.themes import store
from tests.conftest import add_story, ffmpeg, story_file

KEEPER = Viewer.keeper()
ANYONE = Viewer.anonymous()
OHMS = "{https://www.weareavp.com/nunncenter/ohms}"
DC = "{http://purl.org/dc/elements/1.1/}"
OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}"
XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
BASE = "https://atlas.example.org/"

LINES = [
    (0.0, 3.2, "Im Frühling kam das Wasser.", "In spring the water came."),
    (3.9, 65.5, "Die Überschwemmung hat <unseren> Keller & alles zerstört.", "The flood destroyed our cellar."),
    (66.0, 70.25, "We were so afraid.", None, "en"),
    (71.0, 74.0, "=SUM(A1) sagte der Nachbar.", "=SUM(A1) said the neighbour.", None, True),
]
META = {"collection": "Flood memories", "storyteller": "Anna Nowak", "recorded_on": "2026-03-14",
        "community": "Zgorzelec", "region": "Lower Silesia", "country": "PL", "description": "Told at the workshop."}


@pytest.fixture
def story(archive):
    return add_story(archive, "Hochwasser", "de", LINES, **META)


# CSV -----------------------------------------------------------------------------


def test_csv_has_one_row_per_segment(archive, story):
    rows = list(csv.DictReader(io.StringIO(export(archive, story, "csv", KEEPER))))
    assert list(rows[0]) == ["start", "end", "language", "text", "text_en", "low_confidence", "speaker"]
    assert [(r["start"], r["end"], r["language"]) for r in rows] == [
        ("0.000", "3.200", "de"), ("3.900", "65.500", "de"), ("66.000", "70.250", "en"), ("71.000", "74.000", "de")]
    assert rows[1]["text"] == "Die Überschwemmung hat <unseren> Keller & alles zerstört."
    assert rows[1]["text_en"] == "The flood destroyed our cellar." and rows[2]["text_en"] == ""
    assert [r["low_confidence"] for r in rows] == ["no", "no", "no", "yes"]
    # a formula would run when an archivist opens the file in a spreadsheet
    assert rows[3]["text"] == "'=SUM(A1) sagte der Nachbar." and rows[3]["text_en"].startswith("'=")
    # as would any cell a spreadsheet reads as a formula (OWASP's list)
    assert [spreadsheet_safe(t) for t in ("+1+1", "-1+1", "@SUM(A1)", "\tx", "\rx", "1 = 1")] == \
           ["'+1+1", "'-1+1", "'@SUM(A1)", "'\tx", "'\rx", "1 = 1"]


# OHMS ----------------------------------------------------------------------------

# the element order of an OHMS record (XSD 5.4), with OHMS 6's WebVTT transcripts where the
# plain ones were; sync and sync_alt belong to 5.x's plain transcripts only
RECORD_ORDER = [
    "version", "date", "date_nonpreferred_format", "cms_record_id", "title", "accession", "duration",
    "collection_id", "collection_name", "series_id", "series_name", "repository", "funding", "repository_url",
    "subject", "keyword", "interviewee", "interviewer", "format", "file_name", "sync", "sync_alt",
    "transcript_alt_lang", "translate", "media_id", "media_url", "mediafile", "kembed", "language", "user_notes",
    "index", "type", "description", "rel", "transcript", "vtt_transcript", "transcript_alt", "vtt_transcript_alt",
    "rights", "fmt", "usage", "userestrict", "xmllocation", "xmlfilename", "collection_link", "series_link",
]
POINT_ORDER = ["time", "title", "title_alt", "partial_transcript", "partial_transcript_alt", "synopsis",
               "synopsis_alt", "keywords", "keywords_alt", "subjects", "subjects_alt", "gpspoints", "hyperlinks"]


def _in_order(tags, order):
    ranks = [order.index(t) for t in tags]  # ValueError: an element OHMS does not know
    return ranks == sorted(ranks)


def _record(xml_text):
    root = ET.fromstring(xml_text)
    assert root.tag == f"{OHMS}ROOT"
    assert root.get(f"{XSI}schemaLocation").split()[-1] == "https://www.weareavp.com/nunncenter/ohms/ohms.xsd"
    records = list(root)
    assert [r.tag for r in records] == [f"{OHMS}record"]
    return records[0]


def _local(element):
    return element.tag.removeprefix(OHMS)


def test_ohms_record_has_the_structure_ohms_reads(archive, story):
    record = _record(export(archive, story, "ohms", KEEPER, base=BASE))
    assert int(record.get("id")) == story and re.fullmatch(r"\d{4}-\d\d-\d\d", record.get("dt"))
    children = [_local(c) for c in record]
    assert all(c.tag.startswith(OHMS) for c in record.iter())  # every element in the OHMS namespace
    assert _in_order(children, RECORD_ORDER)
    assert {"version", "date", "title"} <= set(children)  # what the XSD requires
    text = {_local(c): (c.text or "") for c in record}
    assert text["title"] == "Hochwasser" and text["interviewee"] == "Anna Nowak"
    assert record.find(f"{OHMS}date").attrib == {"value": "2026-03-14", "format": "yyyy-mm-dd"}
    assert text["date_nonpreferred_format"] == ""  # said once, where it fits
    assert text["duration"] == "00:01:14" and text["language"] == "German"
    assert text["translate"] == "1" and text["transcript_alt_lang"] == "English"
    assert text["fmt"] in ("audio", "video") and text["collection_name"] == "Flood memories"
    assert "heard by everyone and to its export" in text["rights"]
    mediafile = [_local(c) for c in record.find(f"{OHMS}mediafile")]
    assert mediafile == ["host", "avalon_target_domain", "host_account_id", "host_player_id", "host_clip_id",
                         "clip_format"]

    cues = webvtt.from_buffer(io.StringIO(text["vtt_transcript"]))
    assert [(c.start, c.end) for c in cues][:2] == [("00:00:00.000", "00:00:03.200"), ("00:00:03.900", "00:01:05.500")]
    # webvtt-py leaves WebVTT's character references (&lt; &amp;) as they are written
    assert html.unescape(cues[1].text) == "Die Überschwemmung hat <unseren> Keller & alles zerstört."
    english = webvtt.from_buffer(io.StringIO(text["vtt_transcript_alt"]))
    assert [c.text for c in english] == ["In spring the water came.", "The flood destroyed our cellar.",
                                         "We were so afraid.", "=SUM(A1) said the neighbour."]


def test_themes_and_index_points_are_named_by_their_labels(archive, story):
    store.vocabulary(archive)
    archive.conn.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, 'floods', 0.9)", (story,))
    index_points.add(archive, story, IndexPoint(4, "The cellar", themes=("floods",)), KEEPER)
    facts = gather(archive, archive.story(story, KEEPER), KEEPER, Links(BASE))
    label = "Floods and high water"
    assert facts.themes == (label,) and [p.subjects for p in facts.index] == [(label,)]


def test_an_original_is_named_by_its_media_type_or_as_bytes(archive):
    def original(path, video=False):
        return MediaFile("original", "ab", path, "", "", video, 1, 1.0, "x")

    assert original_type(original("originals/ab/x.MP3")) == "audio/mpeg"
    assert original_type(original("originals/ab/x.mov", video=True)) == "video/quicktime"
    assert original_type(original("originals/ab/x.xyz")) == "application/octet-stream"
    # what the web serves a video as, for the player: QuickTime and MP4 as MP4, the rest as WebM
    assert [video_type(f"originals/ab/x.{e}") for e in ("mp4", "mov", "m4a", "mkv", "webm")] == \
        ["video/mp4"] * 3 + ["video/webm"] * 2


def test_ohms_index_points_slot_in(archive, story):
    """Index points as OHMS writes them, with what the archive's form does not ask for."""
    facts = gather(archive, archive.story(story, KEEPER), KEEPER, Links(BASE))
    facts = dataclasses.replace(facts, index=(
        IndexPoint(63.9, "The cellar", "Die Überschwemmung hat", "How the water came in.", ("cellar", "pump"),
                   ("Floods",), (GpsPoint(51.15, 15.0, "Zgorzelec"),)),
        IndexPoint(0, "Spring"),
    ))
    record = _record(to_ohms(facts, archive.segments(story, KEEPER)))
    points = record.find(f"{OHMS}index").findall(f"{OHMS}point")
    assert [p.findtext(f"{OHMS}time") for p in points] == ["0", "63"]  # in time order, whole seconds
    for p in points:
        assert _in_order([_local(c) for c in p], POINT_ORDER)
    cellar = points[1]
    assert cellar.findtext(f"{OHMS}keywords") == "cellar;pump" and cellar.findtext(f"{OHMS}subjects") == "Floods"
    gps = cellar.find(f"{OHMS}gpspoints")
    assert [_local(c) for c in gps] == ["gps", "gps_zoom", "gps_text"]
    assert gps.findtext(f"{OHMS}gps") == "51.15, 15.0" and gps.findtext(f"{OHMS}gps_text") == "Zgorzelec"


# IIIF ----------------------------------------------------------------------------
# The checks below are the Presentation API 3.0's requirements for what this archive writes.


def _uri(value):
    parts = urlsplit(value)
    assert parts.scheme in ("http", "https") and parts.netloc, value
    return value


def _language_map(value):
    assert isinstance(value, dict) and value
    for language, texts in value.items():
        assert language == "none" or re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]+)*", language)
        assert isinstance(texts, list) and texts and all(isinstance(t, str) and t for t in texts)


def _check_manifest(m):
    """Returns the one Canvas after checking the manifest's shape."""
    assert m["@context"] == "http://iiif.io/api/presentation/3/context.json"
    assert m["type"] == "Manifest"
    _uri(m["id"])
    _language_map(m["label"])
    for pair in m.get("metadata", []) + [m["requiredStatement"]]:
        assert set(pair) == {"label", "value"}
        _language_map(pair["label"]), _language_map(pair["value"])
    for link in m.get("homepage", []) + m.get("rendering", []):
        _uri(link["id"]), _language_map(link["label"])
        assert link["type"] == "Text" and "/" in link["format"]
    ids = [m["id"]]
    assert isinstance(m["items"], list) and len(m["items"]) == 1
    canvas = m["items"][0]
    assert canvas["type"] == "Canvas"
    ids.append(_uri(canvas["id"]))
    assert "#" not in canvas["id"]  # a fragment would be read as a part of it
    assert isinstance(canvas["duration"], float) and canvas["duration"] > 0
    assert ("width" in canvas) == ("height" in canvas)
    for page in canvas["items"] + canvas.get("annotations", []):
        assert page["type"] == "AnnotationPage"
        ids.append(_uri(page["id"]))
        for anno in page["items"]:
            assert anno["type"] == "Annotation"
            ids.append(_uri(anno["id"]))
            body, target = anno["body"], anno["target"]
            if anno["motivation"] == "painting":
                assert page in canvas["items"] and target == canvas["id"]
                assert body["type"] in ("Sound", "Video") and "/" in body["format"]
                _uri(body["id"])
                assert 0 < body["duration"] <= canvas["duration"]
                if body["type"] == "Video":
                    assert (body["width"], body["height"]) == (canvas["width"], canvas["height"])
            else:
                assert anno["motivation"] == "supplementing" and page in canvas["annotations"]
                assert body["type"] == "TextualBody" and body["value"] and body["format"] == "text/plain"
                assert re.fullmatch(r"[a-z]{2,3}", body["language"])
                source, _, fragment = target.partition("#")
                assert source == canvas["id"]
                start, end = map(float, re.fullmatch(r"t=([\d.]+),([\d.]+)", fragment).groups())
                assert 0 <= start <= end <= canvas["duration"]
    assert len(ids) == len(set(ids))
    return canvas


def test_iiif_manifest_has_the_presentation_3_shape(archive, story):
    written = export(archive, story, "iiif", KEEPER, base=BASE)
    assert "Überschwemmung" in written  # UTF-8, not escaped
    manifest = json.loads(written)
    canvas = _check_manifest(manifest)
    assert manifest["id"] == f"{BASE}api/stories/{story}/export.iiif"
    assert manifest["homepage"][0]["id"] == f"{BASE}stories/{story}"
    assert manifest["summary"] == {"none": ["Told at the workshop."]}
    assert [(r["id"], r["format"]) for r in manifest["rendering"]] == [
        (f"{BASE}api/stories/{story}/export.vtt", "text/vtt")]
    assert canvas["duration"] == 74.0
    assert canvas["annotations"][0]["items"][0]["id"] == f"{canvas['id']}/original/1"
    transcript, english = canvas["annotations"]
    assert [a["target"].split("#")[1] for a in transcript["items"]][:3] == ["t=0,3.2", "t=3.9,65.5", "t=66,70.25"]
    assert [a["body"]["language"] for a in transcript["items"]] == ["de", "de", "en", "de"]
    assert transcript["items"][1]["body"]["value"] == "Die Überschwemmung hat <unseren> Keller & alles zerstört."
    assert {a["body"]["language"] for a in english["items"]} == {"en"}
    assert english["items"][1]["body"]["value"] == "The flood destroyed our cellar."


def _manifest(archive, story):
    return json.loads(export(archive, story, "iiif", KEEPER, base=BASE))


def _ohms_text(archive, story):
    return {_local(c): (c.text or "") for c in _record(export(archive, story, "ohms", KEEPER, base=BASE))}


def test_a_line_in_another_language_has_its_english_in_an_english_story_too(archive):
    """Code-switching: the Polish line's English reaches the manifest's English page and
    OHMS's translation, as it reaches the English subtitles."""
    polish = (2.0, 4.0, "woda przyszła w nocy.", "the water came in the night.", "pl")
    story = add_story(archive, "Switching", "en", [(0.0, 2.0, "We  lived by the river,\n then"), polish])
    transcript, english = _check_manifest(_manifest(archive, story))["annotations"]
    assert [a["body"]["value"] for a in transcript["items"]] == ["We lived by the river, then", "woda przyszła w nocy."]
    assert [a["body"]["value"] for a in english["items"]] == ["We lived by the river, then",
                                                             "the water came in the night."]
    ohms = _ohms_text(archive, story)
    assert ohms["translate"] == "1" and "the water came in the night." in ohms["vtt_transcript_alt"]

    for language, line in (("en", "We lived by the river."), ("de", "Das Wasser kam.")):  # nothing translated
        alone = add_story(archive, f"Alone {language}", language, [(0.0, 2.0, line)])
        assert len(_check_manifest(_manifest(archive, alone))["annotations"]) == 1
        assert _ohms_text(archive, alone)["translate"] == "0"


def test_iiif_manifest_of_a_video(archive, story, settings, tmp_path):
    video = tmp_path / "video.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-i", str(story_file("en")), "-shortest",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(video))
    taken = ingest_file(archive, video, StoryMetadata(title="Video"), settings, KEEPER)
    manifest = json.loads(export(archive, taken.story_id, "iiif", KEEPER, base=BASE, media_dir=settings.media_dir))
    canvas = _check_manifest(manifest)
    body = canvas["items"][0]["items"][0]["body"]
    assert body["type"] == "Video" and body["format"] == "video/mp4"
    assert (canvas["width"], canvas["height"]) == (160, 120)
    assert body["id"] == f"{BASE}media/{taken.story_id}/video"
    # without the media folder, or the original unreadable there, there is no picture
    # size: the listening copy stands in
    for media_dir in (None, tmp_path / "elsewhere"):
        sound = json.loads(export(archive, taken.story_id, "iiif", KEEPER, base=BASE, media_dir=media_dir))
        assert _check_manifest(sound)["items"][0]["items"][0]["body"]["type"] == "Sound"
    dc = ET.fromstring(export(archive, taken.story_id, "dc", KEEPER))
    assert dc.findtext(f"{DC}type") == "MovingImage" and dc.findtext(f"{DC}format") == "video/mp4"

    # once redacted, the original still holds what was silenced: only its admins get the video
    archive.finish_job(taken.job_id, "done")
    redact(archive, settings.media_dir, taken.story_id, 1.0, 2.0, KEEPER)
    for viewer, kind in ((ANYONE, "Sound"), (KEEPER, "Video")):
        manifest = json.loads(export(archive, taken.story_id, "iiif", viewer, base=BASE, media_dir=settings.media_dir))
        assert _check_manifest(manifest)["items"][0]["items"][0]["body"]["type"] == kind


def test_a_webm_video_is_offered_as_the_web_serves_it(archive, settings, tmp_path):
    video = tmp_path / "video.webm"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-i", str(story_file("en")), "-shortest",
           "-c:v", "libvpx", "-deadline", "realtime", "-c:a", "libopus", str(video))
    taken = ingest_file(archive, video, StoryMetadata(title="Video"), settings, KEEPER)
    manifest = json.loads(export(archive, taken.story_id, "iiif", KEEPER, base=BASE, media_dir=settings.media_dir))
    body = _check_manifest(manifest)["items"][0]["items"][0]["body"]
    assert (body["type"], body["format"]) == ("Video", "video/webm")  # as /media/ID/video answers (pages.media)
    assert ET.fromstring(export(archive, taken.story_id, "dc", KEEPER)).findtext(f"{DC}format") == "video/webm"


def test_iiif_writer_paints_a_video_with_its_size(archive, story):
    facts = gather(archive, archive.story(story, KEEPER), KEEPER, Links(BASE))
    facts = dataclasses.replace(facts, media=Media(f"{BASE}media/{story}/video", "Video", "video/webm", 70.0, 640, 360))
    canvas = _check_manifest(json.loads(to_iiif(facts, archive.segments(story, KEEPER))))
    assert (canvas["width"], canvas["height"]) == (640, 360)
    # the recording's own length, on a canvas as long as the transcript
    assert (canvas["items"][0]["items"][0]["body"]["duration"], canvas["duration"]) == (70.0, 74.0)


def test_a_manifest_lasts_as_long_as_its_recording_or_transcript_and_never_nothing(archive):
    def facts_of(story):
        return gather(archive, archive.story(story, KEEPER), KEEPER, Links(BASE))

    nothing = facts_of(add_story(archive, "Nothing heard", "de", []))
    assert _check_manifest(json.loads(to_iiif(nothing, [])))["duration"] == 1.0
    typed = add_story(archive, "Typed", "de", [(0.0, 3.5, "Das Wasser kam.")])
    facts = facts_of(typed)
    facts = dataclasses.replace(facts, media=None, story=dataclasses.replace(facts.story, duration_s=None))
    assert _check_manifest(json.loads(to_iiif(facts, archive.segments(typed, KEEPER))))["duration"] == 3.5


# Dublin Core ---------------------------------------------------------------------


def test_ohms_and_dublin_core_say_what_the_story_holds(archive, story):
    facts = gather(archive, archive.story(story, KEEPER), KEEPER, Links(BASE))
    told = dataclasses.replace(facts.story, recorded_on="2026-03", duration_s=74.6,
                               description="Told \x07at the workshop.")  # a stray control character
    facts = dataclasses.replace(facts, story=told, themes=("Floods and high water",),
                                media=Media(f"{BASE}media/{story}/video", "Video", "video/mp4", 74.6, 640, 360),
                                index=(IndexPoint(3.5, "The flood"),))
    segments = archive.segments(story, KEEPER)

    record = _record(to_ohms(facts, segments, today="2026-12-02"))
    ohms = {_local(c): (c.text or "") for c in record}
    assert (ohms["description"], ohms["subject"]) == ("Told at the workshop.", "Floods and high water")
    assert (ohms["media_url"], ohms["fmt"]) == (f"{BASE}media/{story}/video", "video")
    assert record.find(f"{OHMS}mediafile").findtext(f"{OHMS}clip_format") == "video"
    assert ohms["duration"] == "00:01:15"  # rounded
    assert record.find(f"{OHMS}date").get("value") == "" and ohms["date_nonpreferred_format"] == "2026-03"
    # a point the form gave no words: those of the line begun by then, or within half a second
    point = record.find(f"{OHMS}index").find(f"{OHMS}point")
    assert point.findtext(f"{OHMS}partial_transcript") == LINES[1][2]

    dc = ET.fromstring(to_dc(facts, segments))
    assert [e.text for e in dc.findall(f"{DC}format")] == ["audio/ogg", "00:01:15"]
    assert [e.text for e in dc.findall(f"{DC}subject")] == ["Floods and high water"]
    assert dc.findtext(f"{DC}description") == "Told at the workshop."
    one_language = dataclasses.replace(facts, story=dataclasses.replace(told, languages=()))
    assert [e.text for e in ET.fromstring(to_dc(one_language, segments)).findall(f"{DC}language")] == ["de"]


def test_dublin_core_with_its_namespaces(archive, story):
    root = ET.fromstring(export(archive, story, "dc", KEEPER, base=BASE))
    assert root.tag == f"{OAI_DC}dc"
    assert root.get(f"{XSI}schemaLocation").split() == [
        "http://www.openarchives.org/OAI/2.0/oai_dc/", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"]
    assert all(child.tag.startswith(DC) for child in root)

    def values(tag):
        return [e.text for e in root.findall(f"{DC}{tag}")]

    assert values("title") == ["Hochwasser"] and values("creator") == ["Anna Nowak"]
    assert values("date") == ["2026-03-14"] and values("language") == ["de", "en"]
    assert values("coverage") == ["Zgorzelec, Lower Silesia, PL"] and values("type") == ["Sound"]
    assert values("identifier") == [f"{BASE}stories/{story}"] and values("description") == ["Told at the workshop."]
    assert values("format")[0] == "audio/ogg" and values("relation") == ["Flood memories"]
    assert "consented" in values("rights")[0]


def test_dublin_core_names_the_storyteller_only_as_they_asked(archive):
    first = add_story(archive, "First name", "en", [(0, 1, "Hello.")], storyteller="Anna Nowak",
                      storyteller_naming="first")
    nobody = add_story(archive, "Anonymous", "en", [(0, 1, "Hello.")], storyteller="Anna Nowak",
                       storyteller_naming="anonymous")
    assert ET.fromstring(export(archive, first, "dc", KEEPER)).findtext(f"{DC}creator") == "Anna"
    assert ET.fromstring(export(archive, nobody, "dc", KEEPER)).find(f"{DC}creator") is None
    assert "Nowak" not in export(archive, nobody, "ohms", KEEPER) + export(archive, nobody, "iiif", KEEPER)


# one gate for every format -------------------------------------------------------


def test_every_format_passes_the_one_export_gate(archive):
    private = add_story(archive, "Private", "en", [(0, 1, "Hello.")], visibility="private")
    refused = add_story(archive, "Not for export", "en", [(0, 1, "Hello.")], exportable=False)
    for fmt in ALL_FORMATS:
        with pytest.raises(NotFound):
            export(archive, private, fmt, ANYONE)
        with pytest.raises(AccessDenied):
            export(archive, refused, fmt, ANYONE)
        assert export(archive, refused, fmt, KEEPER)  # its moderators may, for the archive's own work
    assert "asked that it not be exported" in export(archive, refused, "dc", KEEPER)


def test_a_base_url_must_be_an_address(archive, story):
    for wrong in ("atlas.example.org", "ftp://atlas.example.org/", "https://atlas.example.org/?x=1"):
        with pytest.raises(ConfigurationError, match="not the archive's address"):
            export(archive, story, "iiif", KEEPER, base=wrong)
    assert json.loads(export(archive, story, "iiif", KEEPER, base=" https://a.example/atlas/ "))["id"] == \
        f"https://a.example/atlas/api/stories/{story}/export.iiif"


# collections ---------------------------------------------------------------------


@pytest.fixture
def collection(archive):
    """Who sees which story of "Flood memories" (and one of another collection)."""
    made = {}
    for name, meta in {
        "public": {},
        "refused": {"exportable": False},
        "community": {"visibility": "community"},
        "private": {"visibility": "private"},
        "embargoed": {"embargo_until": "2999-01-01"},
    }.items():
        made[name] = add_story(archive, f"Story {name}", "en", [(0.0, 2.0, f"The {name} story.")],
                               collection="Flood memories", community="Zgorzelec", country="PL", **meta)
    made["elsewhere"] = add_story(archive, "Elsewhere", "en", [(0.0, 2.0, "Another.")], collection="Housing")
    return made


def _ids(files):
    return sorted(int(re.match(r"story-(\d+)\.", name).group(1)) for name, _ in files)


def test_a_collection_holds_exactly_what_the_viewer_may_see_and_export(archive, collection):
    member = Viewer(name="m", roles=frozenset({"member"}), member_of=frozenset({"Zgorzelec"}))
    expected = {
        ANYONE: ["public"],
        member: ["public", "community"],
        KEEPER: ["public", "community", "private", "embargoed"],  # never the refused one, even for the keeper
    }
    for who, names in expected.items():
        done = export_collection(archive, " flood MEMORIES ", "vtt", who)  # as typed, spaces and all
        assert _ids(done.files) == sorted(collection[n] for n in names)
        assert done.withheld == 1 and done.name == "Flood memories"
    with pytest.raises(NotFound):
        export_collection(archive, "No such collection", "vtt", KEEPER)
    only_refused = add_story(archive, "Alone", "en", [(0, 1, "Hi.")], collection="Closed", exportable=False)
    with pytest.raises(NotFound) as refused:
        export_collection(archive, "Closed", "vtt", KEEPER)
    assert str(only_refused) not in str(refused.value)
    assert "its storytellers allowed exports" in str(refused.value)  # why, rather than an empty list of reasons


def test_a_collection_is_written_as_a_compressed_zip_or_a_folder(archive, collection, tmp_path, monkeypatch):
    done = export_collection(archive, "Flood memories", "vtt", KEEPER)
    zipped = done.write(tmp_path / "new" / "Flood.ZIP")  # into a folder not made yet, whatever the case
    with zipfile.ZipFile(zipped) as z:
        assert {i.compress_type for i in z.infolist()} == {zipfile.ZIP_DEFLATED}
        assert sorted(z.namelist()) == sorted(name for name, _ in done.files)
    folder = done.write(tmp_path / "flood")
    assert sorted(p.name for p in folder.iterdir()) == sorted(name for name, _ in done.files)

    # a story the collection offers but the export gate refuses is never left out in silence
    def refused(archive, story_id, *args, **kwargs):
        raise AccessDenied("not this one")

    monkeypatch.setattr("storyatlas.exports.collection.export", refused)
    with pytest.raises(AccessDenied):
        export_collection(archive, "Flood memories", "vtt", KEEPER)


def test_collection_export_from_the_command_line(settings, collection, tmp_path, monkeypatch):
    monkeypatch.setenv("STORYATLAS_ARCHIVE", str(settings.archive))
    target = tmp_path / "floods.zip"
    result = CliRunner().invoke(cli, ["export", "--collection", "Flood memories", "--format", "ohms",
                                      "-o", str(target)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "wrote 4 stories" in result.output and "left out 1 story whose" in result.output
    with zipfile.ZipFile(target) as z:
        names = sorted(z.namelist())
        assert names == sorted(f"story-{collection[n]}.ohms.xml" for n in ("public", "community", "private",
                                                                            "embargoed"))
        _record(z.read(names[0]).decode())
    folder = tmp_path / "floods"
    result = CliRunner().invoke(cli, ["export", "--collection", "Flood memories", "--format", "srt", "--track", "en",
                                      "-o", str(folder)], catch_exceptions=False)
    assert result.exit_code == 0 and len(list(folder.glob("story-*.en.srt"))) == 4
    missing = CliRunner().invoke(cli, ["export", "--collection", "Flood memories"])
    assert missing.exit_code == 1 and "-o FOLDER or -o FILE.zip" in missing.output


def _sign_in(client, name, password):
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post("/login", data={"csrf_token": token, "name": name, "password": password},
                           follow_redirects=False)
    assert response.status_code == 303


def test_collection_zip_over_the_web(settings, collection):
    from starlette.testclient import TestClient

    from storyatlas.web.app import create_app

    app = create_app(settings)
    accounts.add_user(app.state.archives.get(), "Member", "a long enough password 1", [("member", "Zgorzelec")],
                      KEEPER)
    with TestClient(app) as anonymous, TestClient(app) as member:
        _sign_in(member, "Member", "a long enough password 1")
        for client, names in ((anonymous, ["public"]), (member, ["public", "community"])):
            response = client.get("/api/collections/Flood memories/export.zip", params={"format": "iiif"})
            assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
            assert 'filename="Flood-memories-iiif.zip"' in response.headers["content-disposition"]
            with zipfile.ZipFile(io.BytesIO(response.content)) as z:
                assert sorted(z.namelist()) == sorted(f"story-{collection[n]}.iiif.json" for n in names)
                manifest = json.loads(z.read(z.namelist()[0]))
                assert manifest["id"].startswith("http://testserver/api/stories/")
        assert anonymous.get("/api/collections/Housing/export.zip").status_code == 200
        assert anonymous.get("/api/collections/Nothing/export.zip").status_code == 404
        assert anonymous.get("/api/collections/Housing/export.zip", params={"format": "docx"}).status_code == 404
        story = member.get(f"/api/stories/{collection['community']}/export.ohms")
        assert story.status_code == 200 and story.headers["content-type"].startswith("application/xml")
        assert 'filename="story-' in story.headers["content-disposition"]
        assert anonymous.get(f"/api/stories/{collection['community']}/export.dc").status_code == 404
        assert anonymous.get(f"/api/stories/{collection['refused']}/export.csv").status_code == 403


def test_a_collection_none_of_whose_stories_can_be_exported_says_why_for_each(archive):
    from storyatlas.errors import said
    from storyatlas.web.i18n import Translator

    ids = [add_story(archive, f"Ohne Englisch {i}", "de", [(0.0, 2.0, "Das Wasser kam.")], collection="Flut")
           for i in (1, 2)]
    with pytest.raises(NotFound) as refused:
        export_collection(archive, "Flut", "vtt", KEEPER, track="en")
    why = [said("story {story} has no English translation yet; process it with a multilingual model "
                "(--model base)", story=i) for i in ids]
    assert str(refused.value) == f"no story of collection 'Flut' could be exported as asked: {why[0]}; {why[1]}"
    german = Translator("de").error(refused.value)  # each reason in the reader's language
    assert all(Translator("de").said(w) in german for w in why) and why[0] not in german
