"""A story found in more than one way (its words, a theme the query calls up, meaning)
shows a moment for each way, within the moments asked for. Meaning's ranking is given,
not encoded (``fused.meaning_hits`` replaced): which segments it finds is the meaning
tests' matter, how they are shown this one's."""

from __future__ import annotations

import pytest

from storyatlas.archive import Viewer
from storyatlas.search import Moment, SearchQuery, fused
from storyatlas.search.fts import FTSBackend
from storyatlas.themes import store
from tests.conftest import add_story

KEEPER = Viewer.keeper()
LINES = [(0.0, 4.0, "We lived by the water."), (4.0, 8.0, "The river rose into the street."),
         (8.0, 12.0, "My mother baked bread."), (12.0, 16.0, "Everything we had was under water.")]


@pytest.fixture
def story(archive):
    """A story tagged "floods", told in its second line, that does not say "flood"."""
    store.vocabulary(archive)
    story = add_story(archive, "River", "en", LINES)
    told = archive.segments(story, KEEPER)[1].id
    with archive.transaction() as c:
        c.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, 'floods', 0.9)", (story,))
        c.execute("INSERT INTO theme_evidence (story_id, theme_id, segment_id, trigger, side) "
                  "VALUES (?, 'floods', ?, 'river rose', 'english')", (story, told))
    return story


def _meaning_finds(monkeypatch, archive, story, *lines):
    segments = archive.segments(story, KEEPER)
    found = {story: [(segments[line].id, 0.9 - line / 100) for line in lines]} if lines else {}
    monkeypatch.setattr(fused, "meaning_hits", lambda archive, query, within, parsed=None: found)


def _moments(archive, text, **options):
    [hit] = FTSBackend(archive).search(SearchQuery(text, Viewer.anonymous(), **options)).stories
    return [(m.start, m.why) for m in hit.moments]


def test_a_story_found_through_a_theme_and_by_meaning_shows_where_it_tells_the_theme_too(archive, story,
                                                                                        monkeypatch):
    # it showed only meaning's moments: nothing said why the theme found it
    _meaning_finds(monkeypatch, archive, story, 3, 0)
    assert _moments(archive, "flood") == [(4.0, ("theme",)), (12.0, ("meaning",)), (0.0, ("meaning",))]
    assert _moments(archive, "flood", moments_per_story=2) == [(4.0, ("theme",)), (12.0, ("meaning",))]


def test_a_moment_both_found_is_shown_once_and_says_both(archive, story, monkeypatch):
    _meaning_finds(monkeypatch, archive, story, 1, 3)
    assert _moments(archive, "flood") == [(4.0, ("theme", "meaning")), (12.0, ("meaning",))]


def test_a_story_found_by_its_words_and_a_theme_told_elsewhere_shows_both(archive, story, monkeypatch):
    # "water" is said in the first and last lines; the theme is told in the second
    _meaning_finds(monkeypatch, archive, story)
    assert _moments(archive, "flood OR water") == [(0.0, ("words",)), (12.0, ("words",)), (4.0, ("theme",))]
    # each way keeps its first moment within the moments asked for
    assert _moments(archive, "flood OR water", moments_per_story=2) == [(0.0, ("words",)), (4.0, ("theme",))]
    _meaning_finds(monkeypatch, archive, story, 2)
    assert _moments(archive, "flood OR water", moments_per_story=3) == [
        (0.0, ("words",)), (4.0, ("theme",)), (8.0, ("meaning",))]


def test_where_the_words_are_said_the_theme_is_told_no_other_moment_is_taken_for_it(archive, story, monkeypatch):
    _meaning_finds(monkeypatch, archive, story)
    assert _moments(archive, "flood OR river") == [(4.0, ("words",))]


def test_an_index_points_moment_stays_beside_the_words_said_in_its_segment():
    def moment(segment, why):
        return Moment(segment, 0.0, 4.0, "text", None, "text", 0.0, why)

    titled, said, told = moment(1, ("index",)), moment(1, ("words",)), moment(1, ("theme",))
    assert fused.shown([([titled, said], ()), ([told], [1])], 5, {1}) == [
        moment(1, ("index", "meaning")), moment(1, ("words", "meaning"))]
