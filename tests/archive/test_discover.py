"""What discovery ranks first: a theme's moment per story, the themes two places share,
and the stories most like one. Themes written as rows here (the tagger's own tests are in
tests/themes), so that each order is the one being tested."""

from __future__ import annotations

from storyatlas.archive import Viewer
from storyatlas.archive.discover import Comparison, similar_stories, theme_overview
from tests.conftest import add_story

KEEPER = Viewer.keeper()
LINES = [(0.0, 4.0, "The river rose."), (4.0, 8.0, "We carried sandbags."), (8.0, 12.0, "The water stayed.")]


def _tag(archive, story: int, theme: str, evidence: tuple[int, ...] = ()) -> None:
    """``story`` tagged with ``theme``, each of ``evidence`` (segment positions) one piece of it."""
    segments = archive.segments(story, KEEPER)
    archive.conn.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, ?, 1.0)", (story, theme))
    archive.conn.executemany(
        "INSERT INTO theme_evidence (story_id, theme_id, segment_id, trigger, side) VALUES (?, ?, ?, 'x', 'english')",
        [(story, theme, segments[i].id) for i in evidence])


def test_a_themes_overview_shows_the_moment_with_the_most_evidence(archive):
    story = add_story(archive, "Flood", "en", LINES, community="Görlitz", region="Saxony", country="DE")
    _tag(archive, story, "floods", evidence=(0, 2, 2))  # the third moment says it twice
    [moment] = theme_overview(archive, "floods", KEEPER).moments["Saxony"]
    assert (moment.story_id, moment.start, moment.text) == (story, 8.0, "The water stayed.")


def test_two_places_themes_ordered_by_how_many_stories_tell_them():
    compared = Comparison("Saxony", "Masovia", 9, 9, {"floods": 1, "war": 3, "bees": 1, "work": 4},
                          {"floods": 3, "war": 3, "school": 1, "trains": 2})
    assert compared.shared == ["war", "floods"]  # 6 stories, then 4
    assert compared.only_a == ["work", "bees"] and compared.only_b == ["trains", "school"]


def test_the_story_sharing_the_most_comes_first_among_similar_ones(archive):
    story = add_story(archive, "Flood", "en", LINES, community="Görlitz")
    one = add_story(archive, "One", "en", LINES, community="Wrocław")  # the older: first among equals
    two = add_story(archive, "Two", "en", LINES, community="Porto")
    for theme in ("floods", "work"):
        _tag(archive, story, theme)
        _tag(archive, two, theme)
    _tag(archive, one, "floods")
    similar = similar_stories(archive, story, KEEPER)
    assert [(s.story_id, s.themes, s.score) for s in similar] == [(two, ("floods", "work"), 4.0),
                                                                  (one, ("floods",), 2.0)]
