import io
import json

import pytest
import srt
import webvtt

from storyatlas.archive import Viewer
from storyatlas.errors import StoryAtlasError
from storyatlas.exports import clock, export
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


def test_no_english_track_without_a_translation(archive):
    story = add_story(archive, "Sans traduction", "fr", [(0.0, 1.0, "Bonjour.")])
    with pytest.raises(StoryAtlasError, match="no English translation"):
        export(archive, story, "vtt", KEEPER, track="en")


def test_unknown_format(archive, story):
    with pytest.raises(StoryAtlasError, match="choose one of vtt, srt, txt, json"):
        export(archive, story, "docx", KEEPER)


def test_clock():
    assert (clock(83.9), clock(3725)) == ("01:23", "1:02:05")
