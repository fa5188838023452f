import csv
import io
import json

import pytest
import srt
import webvtt

from storyatlas.archive import Viewer, corrections
from storyatlas.errors import StoryAtlasError
from storyatlas.exports import clock, export, file_name
from storyatlas.exports.subtitles import timestamp
from tests.conftest import add_story

KEEPER = Viewer.keeper()  # the archive's own tools (`storyatlas export`)

LINES = [
    (0.0, 3.2, "Im Frühling kam das Wasser.", "In spring the water came."),
    (3.9, 65.5, "Die Überschwemmung --> hat\n\nunseren Keller zerstört.", "The flood destroyed our cellar."),
    (3700.25, 3702.0, "Ende.", None),
]


@pytest.fixture
def story(archive):
    return add_story(archive, "Hochwasser", "de", LINES)


def test_vtt_parses_with_webvtt_py(archive, story):
    captions = webvtt.from_buffer(io.StringIO(export(archive, story, "vtt", KEEPER)))
    assert [(c.start, c.end) for c in captions] == [
        ("00:00:00.000", "00:00:03.200"), ("00:00:03.900", "00:01:05.500"), ("01:01:40.250", "01:01:42.000")]
    assert captions[1].text == "Die Überschwemmung → hat unseren Keller zerstört."


def test_english_track_in_srt_parses_with_srt(archive, story):
    subs = list(srt.parse(export(archive, story, "srt", KEEPER, track="en")))
    assert [s.content for s in subs] == ["In spring the water came.", "The flood destroyed our cellar."]
    assert subs[1].start.total_seconds() == 3.9


def test_txt_has_times(archive, story):
    assert export(archive, story, "txt", KEEPER).splitlines()[2] == "[1:01:40] Ende."


def test_json_holds_everything(archive, story):
    doc = json.loads(export(archive, story, "json", KEEPER))
    assert doc["title"] == "Hochwasser" and doc["language"] == "de"
    assert [s["text_en"] for s in doc["segments"]] == [LINES[0][3], LINES[1][3], None]
    assert doc["transcripts"][0]["model"] == "hand"
    assert doc["state"] == "published" and doc["job"]["state"] == "done"  # where it stands, and its processing


def test_json_names_each_segments_speaker_and_links_each_index_point(archive, story):
    from storyatlas.archive import index_points
    from storyatlas.archive.records import IndexPoint

    first = archive.segments(story, KEEPER)[0].id
    corrections.set_speaker(archive, story, first, "S1", KEEPER, base=None)
    corrections.name_speaker(archive, story, "S1", "Anna", KEEPER, base=None)
    index_points.add(archive, story, IndexPoint(65.5, "The cellar"), KEEPER)
    doc = json.loads(export(archive, story, "json", KEEPER))
    assert [s["speaker"] for s in doc["segments"]] == ["Anna", None, None]
    assert [(p["title"], p["link"]) for p in doc["index_points"]] == [("The cellar", f"/stories/{story}?t=65")]


def test_json_names_its_themes_with_the_moments_that_show_them(archive, story):
    from storyatlas.themes import store

    store.vocabulary(archive)
    second = archive.segments(story, KEEPER)[1].id
    archive.conn.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, 'floods', 0.9)", (story,))
    archive.conn.execute("INSERT INTO theme_evidence (story_id, theme_id, segment_id, trigger, side) "
                         "VALUES (?, 'floods', ?, 'überschwemmung', 'original')", (story, second))
    doc = json.loads(export(archive, story, "json", KEEPER))
    assert doc["themes"] == [{"id": "floods", "label": "Floods and high water", "score": 0.9, "evidence": [3.9]}]


def test_no_english_track_without_a_translation(archive):
    story = add_story(archive, "Sans traduction", "fr", [(0.0, 1.0, "Bonjour.")])
    with pytest.raises(StoryAtlasError, match="no English translation"):
        export(archive, story, "vtt", KEEPER, track="en")


def test_a_story_out_of_sight_is_not_there_whether_or_not_it_may_be_exported(archive):
    """Asked for a private story, an export says there is none: never that its teller
    refused exports, which would tell that it exists."""
    from storyatlas.errors import NotFound

    for exportable in (True, False):
        hidden = add_story(archive, "Privat", "de", LINES[:1], visibility="private", exportable=exportable)
        for fmt in ("vtt", "json", "dc"):
            with pytest.raises(NotFound, match=f"there is no story {hidden}"):
                export(archive, hidden, fmt, Viewer.anonymous())


@pytest.mark.parametrize("fmt", ["docx", "xml"])  # xml: OHMS and Dublin Core are, but by their names
def test_unknown_format(archive, story, fmt):
    with pytest.raises(StoryAtlasError, match="choose one of vtt, srt, txt, json"):
        export(archive, story, fmt, KEEPER)
    with pytest.raises(StoryAtlasError, match="unknown track 'de': choose one of original, en"):
        export(archive, story, "vtt", KEEPER, track="de")


def test_clock():
    assert (clock(83.9), clock(3725)) == ("01:23", "1:02:05")


def test_speaker_names_are_markup_in_webvtt_and_no_formula_in_csv(archive, story):
    first, second, _ = (s.id for s in archive.segments(story, KEEPER))
    corrections.label_speakers(archive, story, {first: "S1", second: "S2"}, KEEPER, base=None)
    corrections.name_speaker(archive, story, "S1", "Tom & <Jerry>", KEEPER, base=None, role="interviewer")
    corrections.name_speaker(archive, story, "S2", '=HYPERLINK("x")', KEEPER, base=None, role="interviewer")

    vtt = export(archive, story, "vtt", KEEPER)
    assert "<v Tom &amp; &lt;Jerry&gt;>Im Frühling kam das Wasser." in vtt
    assert len(webvtt.from_buffer(io.StringIO(vtt))) == 3
    subtitles = export(archive, story, "srt", KEEPER)
    assert "1\n00:00:00,000 --> 00:00:03,200\nTom & <Jerry>: Im Frühling" in subtitles
    assert subtitles.count("-->") == 3 and '=HYPERLINK("x"): Die Überschwemmung → hat' in subtitles
    archive.conn.execute("UPDATE segments SET language = NULL WHERE story_id = ?", (story,))
    rows = list(csv.reader(io.StringIO(export(archive, story, "csv", KEEPER))))
    assert [r[6] for r in rows[1:]] == ["Tom & <Jerry>", '\'=HYPERLINK("x")', ""]
    assert [r[2] for r in rows[1:]] == ["de"] * 3  # the story's language, where a line has none of its own


def test_times_are_rounded_to_the_millisecond_and_never_negative():
    assert [timestamp(t) for t in (2.9996, 3599.9999, -0.2)] == ["00:00:03.000", "01:00:00.000", "00:00:00.000"]
    assert timestamp(62.5, ",") == "00:01:02,500"


def test_a_story_told_in_english_with_nothing_said_has_an_empty_english_track(archive):
    story = add_story(archive, "Silence", "en", [])
    assert export(archive, story, "vtt", KEEPER, track="en") == "WEBVTT\n"


def test_an_export_is_named_by_its_story_format_and_track():
    assert [file_name(12, "vtt"), file_name(12, "srt", "en"), file_name(12, "txt", "original")] == [
        "story-12.vtt", "story-12.en.srt", "story-12.txt"]
    # formats that hold the words and their English side by side have no track in their name
    assert [file_name(12, fmt, "en") for fmt in ("json", "csv", "ohms", "iiif", "dc")] == [
        "story-12.json", "story-12.csv", "story-12.ohms.xml", "story-12.iiif.json", "story-12.dc.xml"]
