"""Index points: titled passages people write into a story (as in OHMS), through the
library, the command line, the JSON API and the moderators' page; shown on the story
page, found by search within the access policy, exported in OHMS, and erased with the story."""

from __future__ import annotations

import json
import re
import sqlite3
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from storyatlas import text
from storyatlas.archive import Viewer, accounts, audit, index_points
from storyatlas.archive.erasure import erase
from storyatlas.archive.records import IndexPoint
from storyatlas.cli import cli
from storyatlas.errors import AccessDenied, IndexPointError, NotFound
from storyatlas.exports import export
from storyatlas.search import MARK_CLOSE, MARK_OPEN, SearchQuery
from storyatlas.search.fts import FTSBackend
from storyatlas.text import fold
from storyatlas.themes import store
from storyatlas.themes.vocabulary import Theme
from tests.conftest import add_story
from tests.web.conftest import app, client, web_archive  # noqa: F401 (the web's fixtures, used here too)

KEEPER = Viewer.keeper("cli:test")
PASSWORD = "correct horse battery"
MODERATOR = Viewer("Mira", frozenset({"moderator"}), moderates=frozenset({"Zgorzelec"}))
VOLUNTEER = Viewer("Vera", frozenset({"volunteer"}))
MEMBER = Viewer("Mo", frozenset({"member"}), member_of=frozenset({"Zgorzelec"}))
LINES = [(0.0, 30.0, "Wir haben den Keller ausgepumpt.", "We pumped the cellar."),
         (30.0, 90.0, "Dann kam der Fluss zurück.", "Then the river came back.")]


def _story(archive, title: str = "Die Flut", **meta) -> int:
    meta.setdefault("community", "Zgorzelec")
    return add_story(archive, title, "de", LINES, **meta)


ANONYMOUS = Viewer.anonymous()


def _search(archive, text: str, viewer: Viewer = ANONYMOUS, **filters):
    return FTSBackend(archive).search(SearchQuery(text, viewer, **filters))


def test_people_who_look_after_a_story_add_edit_and_remove_points(archive):
    store.vocabulary(archive)
    story = _story(archive)
    point = index_points.add(archive, story, IndexPoint(
        62, "  The  embankment ", synopsis="How the dyke broke by the mill.", keywords=("dyke", " dyke", "mill"),
        themes=("floods",), place="Zgorzelec"), MODERATOR)
    assert (point.time, point.title, point.keywords, point.themes, point.who) == \
           (62.0, "The embankment", ("dyke", "mill"), ("floods",), "Mira")
    mine = index_points.add(archive, story, IndexPoint(5, "The cellar"), VOLUNTEER)
    assert [p.title for p in index_points.points(archive, story, Viewer.anonymous())] == \
           ["The cellar", "The embankment"]  # in the order of the recording

    changed = index_points.edit(archive, mine.id, IndexPoint(6, "Pumping the cellar"), VOLUNTEER)
    assert (changed.time, changed.title) == (6.0, "Pumping the cellar")
    with pytest.raises(AccessDenied):  # a volunteer changes only their own
        index_points.edit(archive, point.id, IndexPoint(1, "Mine now"), VOLUNTEER)
    other = add_story(archive, "Another", "en", [(0.0, 10.0, "Words.")], community="Zgorzelec")
    with pytest.raises(NotFound, match=f"there is no index point {mine.id}"):  # asked from another story's page
        index_points.remove(archive, mine.id, MODERATOR, story_id=other)
    index_points.remove(archive, mine.id, MODERATOR, story_id=story)  # a moderator any
    assert [p.id for p in index_points.points(archive, story, KEEPER)] == [point.id]
    actions = [(e.who, e.action) for e in reversed(audit.entries(archive, KEEPER))]
    assert actions == [("Mira", "index point added"), ("Vera", "index point added"),
                       ("Vera", "index point changed"), ("Mira", "index point removed")]
    assert not any("embankment" in (e.detail or "") for e in audit.entries(archive, KEEPER))  # never the words


def test_a_person_added_under_the_name_of_one_removed_does_not_own_their_points(archive):
    story = _story(archive)
    first = accounts.add_user(archive, "Vera", PASSWORD, [("volunteer", None)], KEEPER)
    vera = Viewer("Vera", frozenset({"volunteer"}), user_id=first)
    point = index_points.add(archive, story, IndexPoint(5, "The cellar"), vera)
    assert index_points.edit(archive, point.id, IndexPoint(5, "The cellar, pumped"), vera).title == "The cellar, pumped"
    accounts.remove_user(archive, "Vera", KEEPER)
    second = accounts.add_user(archive, "Vera", PASSWORD, [("volunteer", None)], KEEPER)
    archive.conn.execute("UPDATE users SET created_at = '2999-01-01T00:00:00Z' WHERE id = ?", (second,))
    with pytest.raises(AccessDenied, match="only their own index points"):
        index_points.edit(archive, point.id, IndexPoint(1, "Mine now"),
                          Viewer("Vera", frozenset({"volunteer"}), user_id=second))


def test_who_may_not_index_and_what_is_refused(archive):
    store.vocabulary(archive)
    story = _story(archive)
    private = _story(archive, title="Private", visibility="private")
    for nobody in (Viewer.anonymous(), MEMBER, Viewer("Other", frozenset({"moderator"}), moderates={"Görlitz"})):
        with pytest.raises(AccessDenied):
            index_points.add(archive, story, IndexPoint(1, "No"), nobody)
    with pytest.raises(NotFound):  # a story the volunteer may not see does not exist for them
        index_points.add(archive, private, IndexPoint(1, "No"), VOLUNTEER)
    for wrong in (IndexPoint(1, "  "), IndexPoint(91, "After the end"), IndexPoint(-1, "Before"),
                  IndexPoint(1, "Theme", themes=("no_such_theme",)), IndexPoint(1, "x" * 201)):
        with pytest.raises(IndexPointError):
            index_points.add(archive, story, wrong, MODERATOR)
    assert index_points.points(archive, story, KEEPER) == []


def test_a_point_is_tidied_and_bounded_as_it_is_written(archive):
    store.vocabulary(archive)
    story = _story(archive)  # 90 s long
    point = index_points.add(archive, story, IndexPoint(
        90, "The end", synopsis="  By the mill.\n", place="  Zgorzelec   Old\tTown ",
        themes=(" floods", "floods", " ")), MODERATOR)
    assert (point.synopsis, point.place, point.themes) == ("By the mill.", "Zgorzelec Old Town", ("floods",))
    # control characters go (`index --list` prints these on a terminal); the synopsis keeps its lines
    escaped = index_points.add(archive, story, IndexPoint(
        2, "The\x1b[2J end\x07", synopsis="By the\x1b mill.\nThen home.", place="Old\x00 Town",
        keywords=("dyke\x1b[0m",)), MODERATOR)
    assert (escaped.title, escaped.synopsis, escaped.place, escaped.keywords) == (
        "The[2J end", "By the mill.\nThen home.", "Old Town", ("dyke[0m",))
    index_points.remove(archive, escaped.id, MODERATOR)
    many = tuple(f"k{i}" for i in range(30))
    index_points.add(archive, story, IndexPoint(1, "t" * 200, synopsis="s" * 4000, place="p" * 200,
                                                keywords=many[:-1] + ("w" * 100,)), MODERATOR)  # at every limit
    for wrong in (IndexPoint(90.5, "After the end"), IndexPoint(float("nan"), "When"),
                  IndexPoint(float("inf"), "Never"), IndexPoint(1, "Place", place="p" * 201), IndexPoint(1, "Synopsis", synopsis="s" * 4001),
                  IndexPoint(1, "Word", keywords=("w" * 101,)), IndexPoint(1, "Words", keywords=many + ("one more",))):
        with pytest.raises(IndexPointError):
            index_points.add(archive, story, wrong, MODERATOR)
    assert len(index_points.points(archive, story, KEEPER)) == 2
    added = [e.detail for e in audit.entries(archive, KEEPER) if e.action == "index point added"]
    assert f"point {point.id} at 90.0 s" in added


def test_a_keyword_with_accents_is_found_and_a_change_is_dated(archive):
    story = _story(archive)
    point = index_points.add(archive, story, IndexPoint(5, "The cellar", keywords=("Überschwemmung",)), MODERATOR)
    assert [h.story_id for h in _search(archive, "Überschwemmung").stories] == [story]
    archive.conn.execute("UPDATE index_points SET updated_at = '2020-01-01T00:00:00Z' WHERE id = ?", (point.id,))
    changed = index_points.edit(archive, point.id, IndexPoint(6, "The cellar, pumped"), MODERATOR)
    assert changed.updated_at > "2026"


@pytest.mark.parametrize("typed", ["Lodz", "LODZ", "Łódź", "lodz strasse", '"Strasse der"', "soeur", "Sœur"])
def test_a_point_is_found_however_its_letters_such_as_l_with_stroke_and_sharp_s_are_typed(archive, typed):
    story = _story(archive)
    index_points.add(archive, story, IndexPoint(5, "Łódź, Straße der Freiheit", keywords=("sœur",)), MODERATOR)
    other = _story(archive, title="Other")
    index_points.add(archive, other, IndexPoint(5, "Lodz, Strasse der Freiheit", synopsis="Ma soeur."), MODERATOR)
    found = _search(archive, typed, meaning=False)
    assert sorted(h.story_id for h in found.stories) == [story, other]
    [snippet] = [h.moments[0].snippet for h in found.stories if h.story_id == story]
    said = {"lodz": "Łódź", "łódź": "Łódź", "soeur": "sœur", "sœur": "sœur"}.get(typed.casefold(), "Straße")
    assert f"{MARK_OPEN}{said}{MARK_CLOSE}" in snippet or f"{MARK_OPEN}{said} der{MARK_CLOSE}" in snippet


def test_the_points_folded_words_write_out_the_letters_that_search_folds(archive):
    # migration 0024 spells the letters out in SQL: the same as text.fold's, both cases
    letters = "".join(c + c.upper() for c in map(chr, text._LETTERS)) + "ß"
    point = index_points.add(archive, _story(archive), IndexPoint(5, letters), MODERATOR)
    [folded] = archive.conn.execute("SELECT folded FROM index_points WHERE id = ?", (point.id,)).fetchone()
    assert folded.split()[0].casefold() == text.written_out(letters) == fold(letters)


def test_the_points_of_an_archive_made_before_are_found_by_their_letters_written_out(tmp_path):
    from storyatlas.archive import Archive
    from tests.conftest import old_archive

    path = tmp_path / "old.sqlite3"
    old_archive(path, 23, "pl", "Pamiętam powódź.")
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO index_points (story_id, at, title, who) VALUES (1, 0, 'Powódź w Łodzi', 'Ola')")
    with Archive(path) as archive:
        [hit] = FTSBackend(archive).search(SearchQuery("Lodzi", KEEPER, meaning=False)).stories
        assert hit.moments[0].snippet == f"Powódź w {MARK_OPEN}Łodzi{MARK_CLOSE}"


def test_a_point_of_a_story_out_of_sight_is_no_point_and_a_member_sets_no_review_state(archive):
    story, private = _story(archive), _story(archive, title="Private", visibility="private")
    hidden = index_points.add(archive, private, IndexPoint(1, "Hidden"), KEEPER)
    with pytest.raises(NotFound, match=f"there is no index point {hidden.id}"):  # not "no story": it names none
        index_points.edit(archive, hidden.id, IndexPoint(1, "Seen"), VOLUNTEER)
    for nobody in (MEMBER, ANONYMOUS):
        with pytest.raises(AccessDenied):
            index_points.set_review_state(archive, story, "corrected", nobody)
    index_points.set_review_state(archive, story, "published", MODERATOR)  # the state it has: no change
    assert archive.story(story, KEEPER).review_state == "published"
    assert not [e for e in audit.entries(archive, KEEPER) if e.action == "review state"]


def test_search_finds_a_point_by_its_synopsis_within_the_policy(archive):
    public = _story(archive)
    private = _story(archive, title="Private", visibility="private")
    index_points.add(archive, public, IndexPoint(62, "The embankment", synopsis="The dyke broke by the sawmill."),
                     KEEPER)
    index_points.add(archive, private, IndexPoint(10, "Hidden", synopsis="The sawmill burned."), KEEPER)

    found = _search(archive, "sawmill")
    assert [h.story_id for h in found.stories] == [public] and found.total_stories == 1
    [moment] = found.stories[0].moments
    assert (moment.at, moment.text, moment.why) == (62.0, "The embankment", ("index",))
    # in the segment spoken there (30 to 90 s), to its end
    assert (moment.segment_id, moment.end) == (archive.segments(public, KEEPER)[1].id, 90.0)
    assert "<mark>sawmill</mark>" in moment.snippet_html() and moment.snippet_html().startswith("The embankment")
    assert {h.story_id for h in _search(archive, "sawmill", KEEPER).stories} == {public, private}
    assert _search(archive, "sawmill", MEMBER).total_stories == 1  # a member does not see the private one
    # keywords are found too, and the point is searchable again after a rebuild
    index_points.add(archive, public, IndexPoint(5, "Cellar", keywords=("buckets", "ladders")), KEEPER)
    FTSBackend(archive).rebuild()
    [hit] = _search(archive, "buckets").stories
    assert hit.moments[0].at == 5.0 and "<mark>buckets</mark>" in hit.moments[0].snippet_html()
    assert "ladders" not in hit.moments[0].snippet  # only the keywords that matched


def test_a_point_found_by_its_title_shows_its_title_in_the_segment_said_there(archive):
    story = add_story(archive, "Gap", "en", [(0.0, 10.0, "We sang."), (30.0, 40.0, "We sang again.")],
                      community="Zgorzelec")
    index_points.add(archive, story, IndexPoint(30, "The embankment", synopsis="The dyke broke."), KEEPER)
    index_points.add(archive, story, IndexPoint(20, "The embankment again"), KEEPER)
    first, second = archive.segments(story, KEEPER)
    [hit] = _search(archive, "embankment").stories
    # only what matched: the title, not the synopsis; a point between two segments ends
    # at its own time, one at a segment's start is in that segment
    assert sorted((m.at, m.segment_id, m.end, m.snippet) for m in hit.moments) == [
        (20.0, first.id, 20.0, f"The {MARK_OPEN}embankment{MARK_CLOSE} again"),
        (30.0, second.id, 40.0, f"The {MARK_OPEN}embankment{MARK_CLOSE}")]


def test_a_storys_points_come_before_its_moments_within_the_moments_shown(archive):
    story = _story(archive)
    for at in (40, 50, 60):
        index_points.add(archive, story, IndexPoint(at, f"Cellar {at}", keywords=("cellar",)), KEEPER)
    [hit] = _search(archive, "cellar").stories
    assert [(m.at, m.why) for m in hit.moments][:3] == [(40.0, ("index",)), (50.0, ("index",)), (60.0, ("index",))]
    assert (0.0, ("translation",)) in [(m.at, m.why) for m in hit.moments]  # "We pumped the cellar."
    [hit] = _search(archive, "cellar", moments_per_story=2).stories
    assert [m.at for m in hit.moments] == [40.0, 50.0]


def test_a_point_adds_to_the_rank_its_storys_moments_earned(archive):
    often = add_story(archive, "Often", "en", [(at, at + 10, "The cellar flooded.") for at in range(0, 40, 10)],
                      community="Zgorzelec")
    add_story(archive, "Once", "en", [(0, 10, "The cellar flooded.")], community="Zgorzelec")
    index_points.add(archive, often, IndexPoint(25, "The cellar"), KEEPER)
    # the point's key (a single point's bm25: next to nothing) does not replace what its
    # story's moments earned (four times, above once)
    assert [h.title for h in _search(archive, "cellar").stories] == ["Often", "Once"]


def test_a_story_saying_more_of_a_relaxed_querys_words_ranks_above_a_point_saying_one(archive):
    add_story(archive, "Both", "en", [(0, 10, "The cellar flooded."), (10, 20, "The dyke held.")],
              community="Zgorzelec")
    pointed = add_story(archive, "Pointed", "en", [(0, 10, "We sang.")], community="Zgorzelec")
    index_points.add(archive, pointed, IndexPoint(5, "The dyke"), KEEPER)
    for at in range(5):  # points without the words, so that "dyke" weighs in the points' bm25
        index_points.add(archive, pointed, IndexPoint(at, f"Song {at}"), KEEPER)
    found = _search(archive, "cellar dyke")  # no moment holds both
    assert found.relaxed and [h.title for h in found.stories] == ["Both", "Pointed"]


def test_the_ohms_export_and_json_carry_the_points(archive):
    store.vocabulary(archive)
    story = _story(archive)
    index_points.add(archive, story, IndexPoint(31.5, "The river", synopsis="It came back.", keywords=("river", "mill"),
                                                themes=("floods",)), KEEPER)
    root = ET.fromstring(export(archive, story, "ohms", Viewer.anonymous()))
    ns = {"o": "https://www.weareavp.com/nunncenter/ohms"}
    [point] = root.findall("o:record/o:index/o:point", ns)
    fields = {child.tag.split("}")[1]: child.text for child in point}
    assert fields["time"] == "31" and fields["title"] == "The river" and fields["synopsis"] == "It came back."
    assert fields["keywords"] == "river;mill" and fields["subjects"] == "Floods and high water"
    assert fields["partial_transcript"] == "Dann kam der Fluss zurück."  # the words spoken there
    doc = json.loads(export(archive, story, "json", Viewer.anonymous()))
    assert [(p["at"], p["title"], p["link"]) for p in doc["index_points"]] == \
           [(31.5, "The river", f"/stories/{story}?t=31")]


def test_erasure_removes_the_points_and_their_words(archive, settings):
    story = _story(archive)
    index_points.add(archive, story, IndexPoint(62, "Qwertzuiop passage", synopsis="Plimsollwerk told here."), KEEPER)
    erase(archive, settings.media_dir, story, "cli:test", "withdrawn")
    assert archive.conn.execute("SELECT count(*) FROM index_points").fetchone()[0] == 0
    assert _search(archive, "Plimsollwerk", KEEPER).total_stories == 0
    archive.close()
    holding = [p for p in settings.archive.rglob("*") if p.is_file()
               and any(w in p.read_bytes().lower() for w in (b"plimsollwerk", b"qwertzuiop"))]
    assert holding == []


def test_the_command_line_adds_and_lists_points(archive, settings, monkeypatch):
    monkeypatch.setenv("STORYATLAS_CACHE", str(settings.cache))
    story = _story(archive)

    def run(*args: str, code: int = 0):
        result = CliRunner().invoke(cli, ["index", str(story), *args, "--archive", str(settings.archive)])
        assert result.exit_code == code, result.output
        return result.output

    assert "added index point" in run("--at", "1:02", "--title", "The embankment", "--synopsis", "It broke.",
                                      "--keyword", "dyke", "--keyword", "mill", "--theme", "floods")
    assert "at 1:00.0: The water" in run("--at", "59.96", "--title", "The water")  # not 0:60.0, unreadable
    listed = run("--list")
    assert "1:02.0 The embankment [dyke, mill · floods]" in listed and "It broke." in listed
    assert "1:00.0 The water" in listed
    assert "no theme nonsense" in run("--at", "5", "--title", "x", "--theme", "nonsense", code=1)
    assert "give --at and --title" in run("--title", "no time", code=1)
    assert "give --at and --title" in run("--at", "5", code=1)
    assert [p.title for p in index_points.points(archive, story, KEEPER)] == ["The water", "The embankment"]
    added = run("--at", "70", "--title", "The mill", "--place", "Görlitz")
    point = int(added.split()[3])
    assert "1:10.0 The mill [Görlitz]" in run("--list")
    assert f"removed index point {point}" in run("--remove", str(point))
    assert [p.title for p in index_points.points(archive, story, KEEPER)] == ["The water", "The embankment"]
    for both in (("--at", "5", "--title", "Lost", "--list"), ("--remove", "1", "--title", "Lost"),
                 ("--list", "--remove", "1")):
        assert "one at a time" in run(*both, code=2)  # the add (or the removal) was dropped without a word
    assert [p.title for p in index_points.points(archive, story, KEEPER)] == ["The water", "The embankment"]


# the web ----------------------------------------------------------------------------


def _sign_in(client, name: str) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/login", data={"csrf_token": token, "name": name, "password": PASSWORD},
                       follow_redirects=False).status_code == 303


@pytest.fixture
def people(web_archive):
    accounts.add_user(web_archive, "Vera", PASSWORD, [("volunteer", None)], KEEPER)
    accounts.add_user(web_archive, "Mira", PASSWORD, [("moderator", "Zgorzelec")], KEEPER)
    accounts.add_user(web_archive, "Mo", PASSWORD, [("member", "Zgorzelec")], KEEPER)
    return web_archive


def test_the_story_page_shows_the_points_as_jump_links(client, web_archive):
    story = _story(web_archive)
    index_points.add(web_archive, story, IndexPoint(62.4, "The embankment", synopsis="The dyke broke."), KEEPER)
    page = client.get(f"/stories/{story}").text
    contents = re.search(r'<nav class="index-points".*?</nav>', page, re.DOTALL).group(0)
    assert 'href="?t=62.4">The embankment</a>' in contents and "The dyke broke." in contents
    assert client.get(f"/api/stories/{story}").json()["index_points"][0]["title"] == "The embankment"


def test_the_api_takes_points_from_volunteers_and_moderators_only(client, people):
    story = _story(people)
    url = f"/api/stories/{story}/index"
    point = {"at": "1:02", "title": "The embankment", "synopsis": "Where the dyke broke.", "keywords": ["dyke"]}

    refused = client.post(url, json=point)
    assert refused.status_code == 403 and "volunteers" in refused.json()["error"]  # anonymous
    _sign_in(client, "Mo")
    assert client.post(url, json=point).status_code == 403  # a member, not a volunteer
    _sign_in(client, "Vera")
    assert client.post(url, json=point, headers={"origin": "https://elsewhere.example"}).status_code == 403
    assert client.post(url, data=point).status_code == 415  # a form from anywhere is not JSON
    assert client.post(url, json={"at": 5}).status_code == 422  # no title
    made = client.post(url, json=point)
    assert made.status_code == 201, made.text
    assert made.json()["at"] == 62.0 and made.json()["link"] == f"/stories/{story}?t=62"
    assert client.post("/api/stories/999/index", json=point).status_code == 404
    found = client.get("/api/search", params={"q": "dyke"}).json()
    assert [(m["at"], m["why"]) for m in found["stories"][0]["moments"]] == [(62.0, ["index"])]
    assert client.get("/search", params={"q": "dyke"}).text.count(f"/stories/{story}?t=62.0") == 1


def test_moderators_add_and_remove_points_on_their_page(client, people):
    story = _story(people)
    _sign_in(client, "Mira")
    page = client.get(f"/moderate/stories/{story}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    added = client.post(f"/moderate/stories/{story}", data={
        "csrf_token": token, "action": "index", "at": "0:31", "title": "The river", "keywords": "river, mill",
        "theme:floods": "1", "place": "Zgorzelec"})
    assert added.status_code == 200 and "Index point added" in added.text
    [point] = index_points.points(people, story, KEEPER)
    assert (point.time, point.keywords, point.themes, point.who) == (31.0, ("river", "mill"), ("floods",), "Mira")
    bad = client.post(f"/moderate/stories/{story}", data={"csrf_token": token, "action": "index", "at": "9:99",
                                                           "title": "x"})
    assert bad.status_code == 422
    removed = client.post(f"/moderate/stories/{story}", data={"csrf_token": token, "action": "index_remove",
                                                               "point": str(point.id)})
    assert removed.status_code == 200 and index_points.points(people, story, KEEPER) == []
    for point_id in ("first", "", "-1"):  # a hand-made form: no such point, not a server error
        odd = client.post(f"/moderate/stories/{story}", data={"csrf_token": token, "action": "index_remove",
                                                              "point": point_id})
        assert odd.status_code == 422 and "No such index point" in odd.text, point_id


def test_a_point_may_have_every_theme_ticked(client, people):
    """Each ticked theme is a field of the form; with all of them (and more than the 40
    fields a page's form once allowed) the point is saved with every theme."""
    story = _story(people)
    _sign_in(client, "Mira")
    page = client.get(f"/moderate/stories/{story}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    themes = re.findall(r'name="theme:([^"]+)"', page)
    for number in range(len(themes), 40):
        store.add_theme(people, Theme(f"t_{number}", f"Theme {number}", triggers={"en": (f"trigger{number}",)}))
        themes.append(f"t_{number}")
    added = client.post(f"/moderate/stories/{story}", data={
        "csrf_token": token, "action": "index", "at": "0:31", "title": "Everything", "place": "Zgorzelec"}
        | {f"theme:{theme}": "1" for theme in themes})
    assert added.status_code == 200 and "Index point added" in added.text, added.text
    [point] = index_points.points(people, story, KEEPER)
    assert set(point.themes) == set(themes) and len(themes) >= 40
