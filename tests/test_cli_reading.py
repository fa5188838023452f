"""`storyatlas search`, `show`, `export`, `stories` and `reindex` on an archive of
hand-written stories: the filters, the paging and what each says beyond the results."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from storyatlas.archive import MediaFile, Place, StoryMetadata
from storyatlas.cli import cli
from tests.conftest import add_story

WATER = [(0.0, 4.0, "The water came in the night.", None, None, True)]


@pytest.fixture
def run(settings, monkeypatch):
    monkeypatch.setenv("STORYATLAS_ARCHIVE", str(settings.archive))
    monkeypatch.setenv("STORYATLAS_CACHE", str(settings.cache))

    def invoke(*args, code=0):
        result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    return invoke


@pytest.fixture
def stories(archive):
    made = {
        "leeds": add_story(archive, "Leeds", "en", WATER, country="GB", collection="Floods"),
        "gorlitz": add_story(archive, "Görlitz", "de", [(0.0, 4.0, "Das Wasser kam.", "The water came.")],
                             country="DE", collection="Floods"),
        "york": add_story(archive, "York", "en", WATER, country="GB", collection="Housing"),
    }
    archive.conn.execute("UPDATE stories SET review_state = 'corrected' WHERE id = ?", (made["york"],))
    return made


def _ids(out: str) -> list[int]:
    return [int(line.split()[0][1:]) for line in out.splitlines() if line.startswith("#")]


def test_search_says_when_more_words_begin_as_typed_than_are_searched(run, stories, archive, monkeypatch):
    from storyatlas.search import vocabulary

    add_story(archive, "Falls", "en", [(0.0, 4.0, "The waterfall froze.")])
    assert "only the shortest are searched" not in run("search", "wat*")
    monkeypatch.setattr(vocabulary, "BEGUN", 1)  # "water" and "waterfall" begin so: the shorter searched
    out = run("search", "Wat*")
    assert "So many words begin with 'Wat' that only the shortest are searched" in out
    assert set(_ids(out)) == set(stories.values())
    assert json.loads(run("search", "wat*", "--json"))["begun_cut"] == ["wat"]


def test_search_filters_pages_and_says_when_it_relaxed(run, stories):
    assert set(_ids(run("search", "water"))) == set(stories.values())
    assert _ids(run("search", "water", "--language", "de")) == [stories["gorlitz"]]
    assert set(_ids(run("search", "water", "--collection", "Floods"))) == {stories["leeds"], stories["gorlitz"]}
    assert _ids(run("search", "water", "--review-state", "corrected")) == [stories["york"]]
    one = run("search", "water", "--limit", "1")
    assert len(_ids(one)) == 1 and "... 2 more stories (use --limit)" in one

    relaxed = run("search", "water nothingness")
    assert relaxed.startswith("No moment holds all the words; showing moments with any of them.")
    assert json.loads(run("search", "water nothingness", "--json"))["relaxed"] is True
    assert "No moments match 'nothingness'" in run("search", "nothingness")
    # "did you mean", the query whole
    assert "Did you mean: 'water came'?" in run("search", "water cmae")
    assert "Did you mean: 'night'?" in run("search", "nigth")
    assert json.loads(run("search", "nigth", "--json"))["suggested_queries"] == ["night"]


def test_show_says_who_told_it_what_is_being_done_and_what_was_found(run, archive, stories):
    leeds = stories["leeds"]
    archive.conn.execute("UPDATE stories SET storyteller = NULL WHERE id = ?", (leeds,))
    archive.conn.execute("UPDATE jobs SET message = 'the copy was cut short' WHERE story_id = ?", (leeds,))
    segment = archive.conn.execute("SELECT id FROM segments WHERE story_id = ?", (leeds,)).fetchone()[0]
    archive.conn.execute("INSERT INTO entities (story_id, segment_id, kind, text, country, normalized) "
                         "VALUES (?, ?, 'place', 'Kirkstall', 'GB', 'Kirkstall')", (leeds, segment))
    archive.conn.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, 'floods', 0.75)", (leeds,))
    shown = run("show", leeds)
    assert "  storyteller  anonymous" in shown and "  note         the copy was cut short" in shown
    assert "  places named Kirkstall" in shown and "  themes       floods (0.75)" in shown

    waiting, _ = archive.create_story(
        StoryMetadata(title="Waiting", place=Place("Leeds")),
        [MediaFile("original", "ab" * 32, "originals/w.ogg", "ogg", "opus", False, 1, 1.0, "w.ogg")], 1.0)
    assert "  processing   queued" in run("show", waiting)


def test_export_asks_for_one_story_or_one_collection_written_where_it_can(run, archive, stories, tmp_path):
    assert "name one story" in run("export", stories["leeds"], "--collection", "Floods", code=1)
    assert "is a folder: name the file to write" in run("export", stories["leeds"], "-o", tmp_path, code=1)
    untranslated = add_story(archive, "Bautzen", "de", [(0.0, 4.0, "Das Wasser kam.")], collection="Floods")
    out = run("export", "--collection", "Floods", "--format", "vtt", "--track", "en", "-o", tmp_path / "floods")
    assert "wrote 2 stories of 'Floods'" in out
    assert f"left out: story {untranslated} has no English translation yet" in out


def test_stories_a_page_at_a_time(run, stories):
    assert len(run("stories", "--limit", "2").splitlines()) == 2
    assert run("stories", "--offset", "2").splitlines() == run("stories").splitlines()[2:]


def test_reindex_makes_the_words_index_and_says_what_meaning_vectors_it_made(run, stories):
    first = run("reindex")
    assert "indexed 3 segments by their words" in first and "made 3 meaning vectors" in first
    assert "made 0 meaning vectors" in run("reindex")  # said, so that nothing missing is not silence


def test_search_says_how_many_stories_only_come_close_in_meaning(run, stories, archive):
    from storyatlas import meaning

    add_story(archive, "Bread", "en", [(0.0, 4.0, "My grandmother baked bread on Sundays.")])
    add_story(archive, "Pão", "pt", [(0.0, 4.0, "Minha avó fazia pão todos os domingos.")])
    meaning.index(archive)
    found = json.loads(run("search", "bread", "--json"))
    assert (found["total_stories"], found["by_words"]) == (2, 1)
    assert run("search", "bread").endswith("Found by their words or themes: 1; only close in meaning: 1\n")
    assert "close in meaning" not in run("search", "water")  # each found by its words
