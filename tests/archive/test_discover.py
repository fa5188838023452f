"""What discovery ranks first: a theme's moment per story, the themes two places share,
and the stories most like one. Themes written as rows here (the tagger's own tests are in
tests/themes), so that each order is the one being tested."""

from __future__ import annotations

from storyatlas.archive import Viewer
from storyatlas.archive.discover import (Comparison, similar_stories, stories_sql, story_ids, summaries,
                                        theme_overview)
from tests.conftest import add_story

KEEPER = Viewer.keeper()
LINES = [(0.0, 4.0, "The river rose."), (4.0, 8.0, "We carried sandbags."), (8.0, 12.0, "The water stayed.")]


def _tag(archive, story: int, theme: str, evidence: tuple[int, ...] = (), score: float = 1.0) -> None:
    """``story`` tagged with ``theme``, each of ``evidence`` (segment positions) one piece of it."""
    segments = archive.segments(story, KEEPER)
    archive.conn.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, ?, ?)",
                         (story, theme, score))
    archive.conn.executemany(
        "INSERT INTO theme_evidence (story_id, theme_id, segment_id, trigger, side) VALUES (?, ?, ?, 'x', 'english')",
        [(story, theme, segments[i].id) for i in evidence])


def test_a_themes_overview_shows_the_moment_with_the_most_evidence(archive):
    story = add_story(archive, "Flood", "en", LINES, community="Görlitz", region="Saxony", country="DE")
    _tag(archive, story, "floods", evidence=(0, 2, 2))  # the third moment says it twice
    [moment] = theme_overview(archive, "floods", KEEPER).moments["Saxony"]
    assert (moment.story_id, moment.start, moment.text) == (story, 8.0, "The water stayed.")


def test_a_regions_moments_come_from_its_stories_most_about_the_theme_and_as_many_as_asked(archive):
    made = {}
    for title, score in (("Some", 0.5), ("Most", 0.9), ("Little", 0.3), ("More", 0.7)):
        made[title] = add_story(archive, title, "en", LINES, region="Saxony")
        _tag(archive, made[title], "floods", evidence=(1, 2), score=score)  # two moments say it once each
    overview = theme_overview(archive, "floods", KEEPER, per_region=2)
    assert overview.stories == 4 and overview.by_region == [("Saxony", 4)]
    assert [(m.story_id, m.start) for m in overview.moments["Saxony"]] == [(made["Most"], 4.0), (made["More"], 4.0)]


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


def test_stories_are_alike_by_the_places_organisations_and_events_they_name_not_by_people(archive):
    story = add_story(archive, "Flood", "en", LINES, community="Görlitz")
    person = add_story(archive, "Aunt", "en", LINES, community="Wrocław")
    place = add_story(archive, "City", "en", LINES, community="Porto")

    def name(told: int, kind: str, text: str) -> None:
        archive.conn.execute("INSERT INTO entities (story_id, segment_id, kind, text, normalized) "
                             "VALUES (?, ?, ?, ?, ?)",
                             (told, archive.segments(told, KEEPER)[0].id, kind, text, text.casefold()))

    name(story, "place", "Florence")
    name(story, "person", "Victoria")
    name(person, "person", "Florence")  # an aunt called Florence: nothing in common
    name(place, "place", "Victoria")  # the town in Canada is not the woman named in the story
    assert similar_stories(archive, story, KEEPER) == []
    name(place, "place", "Florence")
    assert [(s.story_id, s.entities, s.score) for s in similar_stories(archive, story, KEEPER)] == [
        (place, ("florence",), 1.0)]


def test_a_story_passes_a_language_spoken_in_it_and_the_year_it_was_recorded(archive):
    before = add_story(archive, "Before", "pl", LINES, recorded_on="2019-05-01")
    after = add_story(archive, "After", "de", LINES, recorded_on="2021")
    # transcribed before a story knew every language spoken in it: its own language stands for them
    archive.conn.execute("UPDATE stories SET languages = NULL WHERE id = ?", (before,))

    def passing(**filters) -> list[int]:
        return story_ids(archive.conn, *stories_sql(KEEPER, filters)).tolist()

    assert passing(language="PL") == [before] and passing(language="de") == [after]
    assert passing(year="2019") == [before] and passing(year="2021") == [after] and passing(year="2020") == []


def test_the_summaries_of_stories_are_only_of_those_the_viewer_may_see(archive):
    # what search shows of each story it found: the last gate, whichever way a story was found
    shown = add_story(archive, "Open", "en", LINES)
    hidden = add_story(archive, "Private", "en", LINES, visibility="private")
    assert list(summaries(archive, [hidden, shown], Viewer.anonymous())) == [shown]
    assert sorted(summaries(archive, [hidden, shown], KEEPER)) == [shown, hidden]


def test_the_ids_of_stories_come_sorted_in_whatever_order_sqlite_reads_them(archive):
    from storyatlas.search.themed import themed_stories

    told = [add_story(archive, f"Story {n}", "en", LINES) for n in range(4)]
    for story, theme in zip(told, ("work", "work", "floods", "floods")):
        _tag(archive, story, theme)
    # read theme by theme from its index, floods first: the later stories first
    assert themed_stories(archive.conn, ("work", "floods")).tolist() == told


def test_a_place_typed_with_combining_accents_finds_the_stories_kept_from_it(archive):
    # a terminal or a link may write "Görlitz" with a combining umlaut; the archive keeps it one way
    from storyatlas.archive.discover import compare

    story = add_story(archive, "Flood", "en", LINES, community="G\u00f6rlitz", region="Sachsen",
                      collection="Fl\u00fcsse")
    _tag(archive, story, "floods")
    typed = "Go\u0308rlitz"
    assert list(story_ids(archive.conn, *stories_sql(KEEPER, {"community": typed}))) == [story]
    assert list(story_ids(archive.conn, *stories_sql(KEEPER, {"collection": "Flu\u0308sse"}))) == [story]
    assert compare(archive, typed, "Sachsen", KEEPER).stories_a == 1
    # and in capitals, as the access policy reads a community (SQLite's NOCASE folds A-Z only)
    assert list(story_ids(archive.conn, *stories_sql(KEEPER, {"community": "GÖRLITZ"}))) == [story]
    assert list(story_ids(archive.conn, *stories_sql(KEEPER, {"collection": "FLÜSSE", "region": "sachsen"}))) == [story]
    assert compare(archive, "GO\u0308RLITZ", "sachsen", KEEPER).stories_a == 1
    assert list(story_ids(archive.conn, *stories_sql(KEEPER, {"community": "GÖRLITZER"}))) == []


def test_a_place_in_ascii_finds_one_written_with_letters_that_fold_to_it(archive):
    from storyatlas.archive.discover import _FOLDS_TO_ASCII, compare

    story = add_story(archive, "Flood", "en", LINES, community="Gießen", region="Hessen")
    assert list(story_ids(archive.conn, *stories_sql(KEEPER, {"community": "Giessen"}))) == [story]
    assert list(story_ids(archive.conn, *stories_sql(KEEPER, {"community": "GIESSEN"}))) == [story]
    assert compare(archive, "giessen", "Hessen", KEEPER).stories_a == 1
    assert list(story_ids(archive.conn, *stories_sql(KEEPER, {"community": "Giesen"}))) == []
    # every letter outside ASCII that casefolds into it is one the query asks about
    folding = sorted(c for c in map(chr, range(0x80, 0x110000)) if c.casefold().isascii())
    assert all(archive.conn.execute("SELECT ? GLOB ?", (c, _FOLDS_TO_ASCII)).fetchone()[0] for c in folding)
    assert not archive.conn.execute("SELECT 'Görlitz' GLOB ?", (_FOLDS_TO_ASCII,)).fetchone()[0]


def test_similar_stories_come_from_other_communities_as_the_policy_tells_them_apart(archive):
    story = add_story(archive, "Flood", "en", LINES, community="Görlitz")
    add_story(archive, "Same", "en", LINES, community="GÖRLITZ")
    other = add_story(archive, "Other", "en", LINES, community="Porto")
    for sid in (1, 2, 3):
        _tag(archive, sid, "floods")
    assert [s.story_id for s in similar_stories(archive, story, KEEPER)] == [other]
