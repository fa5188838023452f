"""People switch languages mid-story: each segment's language (and whether the machine was
unsure there) reaches the archive, the JSON API, the exports, the search facets and the
story page, always through the access policy."""

from __future__ import annotations

import html
import io
import json
import re

import pytest
import srt
import webvtt
from starlette.testclient import TestClient

from storyatlas import meaning
from storyatlas.archive import Archive, Viewer
from storyatlas.exports import export
from storyatlas.search import SearchQuery
from storyatlas.search.fts import FTSBackend
from storyatlas.themes import store
from storyatlas.transcribe.types import Transcript, TranscriptSegment
from tests.conftest import add_story, old_archive
from tests.web.conftest import app, client  # noqa: F401  (fixtures)

KEEPER = Viewer.keeper()
ANONYMOUS = Viewer.anonymous()

# start, end, text, English, language, low confidence: mostly German, with an English passage
MIXED = [
    (0.0, 4.0, "Im Frühling kam das Wasser.", "In spring the water came.", "de"),
    (4.5, 9.0, "We pumped the cellar for three days.", None, "en"),
    (9.5, 14.0, "Die Überschwemmung hat unseren Keller zerstört.", "The flood destroyed our cellar.", "de", True),
]
UNSURE = "machine unsure here: listen"


@pytest.fixture
def stories(app) -> dict[str, int]:
    archive = app.state.archives.get()
    return {
        "mixed": add_story(archive, "Zwei Sprachen", "de", MIXED, country="DE", community="Görlitz"),
        "english": add_story(archive, "Dry cellar", "en", [(0.0, 3.0, "Our cellar stayed dry & <safe>.")],
                             country="PL"),
        # a private story in French and Polish: none of it may show to anyone but its keepers
        "private": add_story(archive, "La cave", "fr", [
            (0.0, 5.0, "La cave était pleine.", "The cellar was full.", "fr"),
            (5.5, 8.0, "Piwnica była pełna wody.", "The cellar was full of water.", "pl"),
        ], visibility="private", country="FR"),
    }


def _lines(page: str) -> list[str]:
    return re.findall(r'<li class="line[^"]*".*?</li>', page, re.S)


# the archive ------------------------------------------------------------------------


def test_each_segment_keeps_its_language_and_the_story_all_of_them(app, stories):
    archive = app.state.archives.get()
    story = archive.story(stories["mixed"], KEEPER)
    assert (story.language, story.languages) == ("de", ("de", "en"))
    segments = archive.segments(story.id, KEEPER)
    assert [(s.language, s.low_confidence) for s in segments] == [("de", False), ("en", False), ("de", True)]
    assert archive.story(stories["english"], KEEPER).languages == ("en",)


def test_a_segment_without_a_language_takes_the_transcripts(archive):
    segments = (TranscriptSegment(0.0, 2.0, "Dzień dobry."), TranscriptSegment(2.0, 6.0, "Good morning.", language="en"))
    transcript = Transcript("transcribe", "pl", 0.9, 6.0, segments, "hand")
    story_id = add_story(archive, "Dzień dobry", "pl", [(0.0, 1.0, "x")])
    archive.save_transcription(story_id, transcript, None, ["Good day.", None])
    assert [s.language for s in archive.segments(story_id, KEEPER)] == ["pl", "en"]
    # the story's language stays the transcript's main one, listed first
    story = archive.story(story_id, KEEPER)
    assert (story.language, story.languages) == ("pl", ("pl", "en"))


def test_saving_twice_leaves_what_saving_once_does(app, stories):
    archive = app.state.archives.get()
    story_id = stories["mixed"]

    def rows() -> list[tuple]:
        return [tuple(r) for r in archive.conn.execute(
            "SELECT idx, text, text_en, language, low_confidence FROM segments WHERE story_id = ? ORDER BY idx",
            (story_id,))] + [tuple(archive.conn.execute(
                "SELECT language, languages FROM stories WHERE id = ?", (story_id,)).fetchone())]

    before = rows()
    segments = tuple(TranscriptSegment(s, e, t, language=rest[1], low_confidence=len(rest) > 2)
                     for s, e, t, *rest in MIXED)
    english = [line[3] for line in MIXED]
    for _ in range(2):
        archive.save_transcription(story_id, Transcript("transcribe", "de", 0.99, 14.0, segments, "hand"),
                                   None, english)
    assert rows() == before


def test_stories_transcribed_before_keep_their_one_language(tmp_path):
    """An archive from before migration 0007: its segments have no language of their own."""
    path = tmp_path / "old.sqlite3"
    old_archive(path, 6, "de", "Das Hochwasser stieg bis in den Keller.")
    with Archive(path) as archive:
        assert archive.story(1, KEEPER).languages == ("de",)
        segment = archive.segments(1, KEEPER)[0]
        assert (segment.language, segment.low_confidence) == ("de", False)
        backend = FTSBackend(archive)
        hit = backend.search(SearchQuery("Keller", KEEPER, language="de")).stories[0]
        assert hit.moments[0].language == "de"
        # found through its theme (the story does not say "Überschwemmung"), and by meaning
        store.vocabulary(archive)
        with archive.transaction() as c:
            c.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (1, 'floods', 3.0)")
            c.execute("""INSERT INTO theme_evidence (story_id, theme_id, segment_id, trigger, side)
                         VALUES (1, 'floods', ?, 'Hochwasser', 'original')""", (segment.id,))
        [hit] = backend.search(SearchQuery("Überschwemmung", KEEPER, meaning=False)).stories
        assert [(m.why, m.language) for m in hit.moments] == [(("theme",), "de")]
        assert meaning.index(archive) == 1
        [hit] = backend.search(SearchQuery("inundação", KEEPER)).stories
        assert [(m.why, m.language) for m in hit.moments] == [(("theme", "meaning"), "de")]


# the JSON API -----------------------------------------------------------------------


def test_the_api_gives_each_segment_its_language_and_the_story_every_language(client, stories):
    doc = client.get(f"/api/stories/{stories['mixed']}").json()
    assert (doc["language"], doc["languages"]) == ("de", ["de", "en"])
    assert [(s["language"], s["low_confidence"]) for s in doc["segments"]] == [
        ("de", False), ("en", False), ("de", True)]
    listed = {s["id"]: s for s in client.get("/api/stories").json()["stories"]}
    assert listed[stories["mixed"]]["languages"] == ["de", "en"]
    assert stories["private"] not in listed


def test_a_moment_found_says_which_language_it_is_in(client, stories):
    found = client.get("/api/search", params={"q": "pumped"}).json()
    assert [h["story_id"] for h in found["stories"]] == [stories["mixed"]]
    hit = found["stories"][0]
    assert (hit["language"], hit["languages"]) == ("de", ["de", "en"])
    assert [m["language"] for m in hit["moments"]] == ["en"]
    german = client.get("/api/search", params={"q": "Überschwemmung"}).json()["stories"][0]
    assert [m["language"] for m in german["moments"]] == ["de"]


def test_the_openapi_document_describes_the_languages(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert {"language", "low_confidence"} <= set(schemas["Segment"]["properties"])
    assert "languages" in schemas["Story"]["properties"]
    assert "language" in schemas["Moment"]["properties"]


# exports -----------------------------------------------------------------------------


def test_vtt_marks_passages_in_another_language_and_still_parses(app, stories):
    archive = app.state.archives.get()
    text = export(archive, stories["mixed"], "vtt", KEEPER)
    captions = webvtt.from_buffer(io.StringIO(text))
    assert [c.raw_text for c in captions] == [
        "Im Frühling kam das Wasser.", "<lang en>We pumped the cellar for three days.</lang>",
        "Die Überschwemmung hat unseren Keller zerstört."]
    assert captions[1].text == "We pumped the cellar for three days."
    # the player's captions are the same file
    with TestClient(app, base_url="http://testserver") as client:
        assert "<lang en>We pumped" in client.get(f"/media/{stories['mixed']}/captions.vtt").text


def test_vtt_escapes_what_would_be_read_as_markup(app, stories):
    text = export(app.state.archives.get(), stories["english"], "vtt", KEEPER)
    assert "dry &amp; &lt;safe&gt;." in text
    caption = webvtt.from_buffer(io.StringIO(text))[0]
    assert html.unescape(caption.text) == "Our cellar stayed dry & <safe>."


def test_srt_stays_plain_and_txt_tags_other_languages(app, stories):
    archive = app.state.archives.get()
    subs = list(srt.parse(export(archive, stories["mixed"], "srt", KEEPER)))
    assert [s.content for s in subs] == [line[2] for line in MIXED]
    txt = export(archive, stories["mixed"], "txt", KEEPER).splitlines()
    assert txt == ["[00:00] Im Frühling kam das Wasser.", "[00:04] [en] We pumped the cellar for three days.",
                   "[00:09] Die Überschwemmung hat unseren Keller zerstört."]


def test_the_english_track_takes_english_passages_as_spoken(app, stories):
    archive = app.state.archives.get()
    subs = list(srt.parse(export(archive, stories["mixed"], "srt", KEEPER, track="en")))
    assert [s.content for s in subs] == [
        "In spring the water came.", "We pumped the cellar for three days.", "The flood destroyed our cellar."]
    vtt = webvtt.from_buffer(io.StringIO(export(archive, stories["mixed"], "vtt", KEEPER, track="en")))
    assert "<lang" not in "".join(c.raw_text for c in vtt)  # the whole track is English
    assert "[en]" not in export(archive, stories["mixed"], "txt", KEEPER, track="en")


def test_json_export_carries_languages(app, stories):
    doc = json.loads(export(app.state.archives.get(), stories["mixed"], "json", KEEPER))
    assert doc["languages"] == ["de", "en"]
    assert [s["language"] for s in doc["segments"]] == ["de", "en", "de"]
    assert [s["low_confidence"] for s in doc["segments"]] == [False, False, True]


# search facets and filters ----------------------------------------------------------------


def _facet(found: dict, name: str) -> dict[str, int]:
    return {f["value"]: f["count"] for f in found["facets"][name]}


def test_a_story_counts_and_is_found_under_every_language_spoken_in_it(client, stories):
    found = client.get("/api/search", params={"q": "cellar"}).json()
    assert {h["story_id"] for h in found["stories"]} == {stories["mixed"], stories["english"]}
    assert _facet(found, "language") == {"en": 2, "de": 1}
    for language, expected in (("de", {stories["mixed"]}), ("en", {stories["mixed"], stories["english"]}),
                               ("DE", {stories["mixed"]})):
        filtered = client.get("/api/search", params={"q": "cellar", "language": language}).json()
        assert {h["story_id"] for h in filtered["stories"]} == expected, language
        assert filtered["total_stories"] == len(expected)


def test_a_private_storys_languages_stay_out_of_sight(client, app, stories):
    found = client.get("/api/search", params={"q": "cellar"}).json()
    assert not {"fr", "pl"} & set(_facet(found, "language"))
    for language in ("pl", "fr"):
        assert client.get("/api/search", params={"q": "cellar", "language": language}).json()["total_stories"] == 0
    assert client.get(f"/api/stories/{stories['private']}").status_code == 404
    # its keepers see it, counted under both its languages
    backend = FTSBackend(app.state.archives.get())
    keeper = backend.search(SearchQuery("cellar", KEEPER))
    assert dict(keeper.facets["language"]) == {"en": 2, "de": 1, "fr": 1, "pl": 1}
    polish = backend.search(SearchQuery("cellar", KEEPER, language="pl"))
    assert [h.story_id for h in polish.stories] == [stories["private"]]
    assert backend.search(SearchQuery("cellar", ANONYMOUS, language="pl")).total_stories == 0


# the story page ------------------------------------------------------------------------


def test_the_page_marks_lines_in_another_language_and_lines_to_listen_to(client, stories):
    page = client.get(f"/stories/{stories['mixed']}").text
    german, english, unsure = _lines(page)
    # a line in the story's language carries no badge; one in another says which, with its lang
    assert 'lang="de"' in german and "seg-lang" not in german and "unsure" not in german
    assert re.search(r'<span class="orig in-en" lang="en"><span class="seg-lang" lang="en" title="English">'
                     r'<span aria-hidden="true">EN</span><span class="visually-hidden">English: </span></span>'
                     r" We pumped", english)
    # the English line needs no translation beside it; the German lines have theirs
    assert 'class="en"' not in english and '<span class="en" lang="en">In spring' in german
    assert unsure.startswith(f'<li class="line unsure" data-start="9.5" data-end="14.0" title="{UNSURE}">')
    assert f'<span class="visually-hidden">{UNSURE}</span>' in unsure
    assert re.search(r"<dt>Languages spoken</dt><dd>German, English</dd>", page)


def test_the_page_speaks_the_readers_language(client, stories):
    page = client.get(f"/stories/{stories['mixed']}", params={"lang": "de"}).text
    assert "<dt>Gesprochene Sprachen</dt><dd>Deutsch, Englisch</dd>" in page
    assert 'title="Maschine hier unsicher: bitte anhören"' in page
    assert '<span class="seg-lang" lang="de" title="Englisch">' in page


def test_a_story_in_one_language_shows_no_badges(client, stories):
    page = client.get(f"/stories/{stories['english']}").text
    assert "seg-lang" not in page and "unsure" not in page
    assert "<dt>Language</dt><dd>English</dd>" in page
