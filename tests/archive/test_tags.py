"""What the tagger wrote about a story (themes, their evidence, places named, recurring
phrases), read back only through the access policy."""

from __future__ import annotations

import pytest

from storyatlas.archive import Viewer, tags
from storyatlas.errors import NotFound
from tests.conftest import add_story

KEEPER = Viewer.keeper()
ANONYMOUS = Viewer.anonymous()
LINES = [(0.0, 4.0, "The water came into the cellar.")]


@pytest.fixture
def tagged(archive):
    """A public story from Leeds and a private one from Hull, each tagged alike."""
    made = {"open": add_story(archive, "Open", "en", LINES, community="Leeds", region="Yorkshire", country="GB"),
            "hidden": add_story(archive, "Hidden", "en", LINES, community="Hull", region="Humber", country="GB",
                                visibility="private")}
    for story in made.values():
        segment = archive.conn.execute("SELECT id FROM segments WHERE story_id = ?", (story,)).fetchone()[0]
        archive.conn.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, 'floods', 0.9)",
                             (story,))
        archive.conn.execute("INSERT INTO theme_evidence (story_id, theme_id, segment_id, trigger, side) "
                             "VALUES (?, 'floods', ?, 'water', 'original')", (story, segment))
        archive.conn.execute("INSERT INTO entities (story_id, segment_id, kind, text, country, normalized) "
                             "VALUES (?, ?, 'place', 'Kirkstall', 'GB', 'Kirkstall')", (story, segment))
        archive.conn.execute("INSERT INTO phrases (story_id, segment_id, phrase) VALUES (?, ?, 'cellar door')",
                             (story, segment))
    return made


def test_a_storys_themes_and_places_named_are_read_only_by_who_may_see_it(archive, tagged):
    for read in (tags.story_themes, tags.story_entities):
        with pytest.raises(NotFound):
            read(archive, tagged["hidden"], ANONYMOUS)
        assert read(archive, tagged["hidden"], KEEPER) and read(archive, tagged["open"], ANONYMOUS)
    assert set(tags.known_places(archive, ANONYMOUS)) == {"leeds", "yorkshire"}
    assert set(tags.known_places(archive, KEEPER)) == {"leeds", "yorkshire", "hull", "humber"}


def test_evidence_and_themes_of_many_stories_leave_out_those_the_viewer_may_not_see(archive, tagged):
    both = [tagged["open"], tagged["hidden"]]
    assert set(tags.theme_evidence(archive, ["floods"], both, ANONYMOUS)) == {tagged["open"]}
    assert tags.themes_of(archive, ["floods"], both, ANONYMOUS) == {tagged["open"]: ("floods",)}
    assert set(tags.themes_of(archive, ["floods"], both, KEEPER)) == set(both)


def test_recurring_phrases_come_only_from_the_stories_a_moderator_looks_after(archive, tagged):
    leeds = Viewer("Mo", frozenset({"moderator"}), moderates=frozenset({"leeds"}))
    assert tags.phrase_counts(archive, leeds, 1) == (1, [("cellar door", 1)])
    assert [row[0] for row in tags.phrase_examples(archive, leeds, "cellar door")] == [tagged["open"]]
    assert tags.phrase_counts(archive, KEEPER, 2) == (2, [("cellar door", 2)])
