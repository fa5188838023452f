"""Review states: how far people have checked a story's transcript (machine draft,
corrected, reviewed, published), apart from who may see the story; on the story page,
in the API, and as a search filter and facet."""

from __future__ import annotations

import re

import pytest

from storyatlas.archive import Viewer, accounts, corrections, index_points
from storyatlas.errors import AccessDenied, IndexPointError, NotFound
from storyatlas.search import SearchQuery
from storyatlas.search.fts import FTSBackend
from storyatlas.web.i18n import Translator
from tests.conftest import add_story
from tests.web.conftest import app, client, web_archive  # noqa: F401 (the web's fixtures, used here too)

KEEPER = Viewer.keeper("cli:test")
PASSWORD = "correct horse battery"
MODERATOR = Viewer("Mira", frozenset({"moderator"}), moderates=frozenset({"Zgorzelec"}))
VOLUNTEER = Viewer("Vera", frozenset({"volunteer"}))


def _story(archive, title: str, **meta) -> int:
    return add_story(archive, title, "en", [(0.0, 4.0, f"We pumped the cellar in {title}.")],
                     community="Zgorzelec", **meta)


def _facet(results) -> dict[str, int]:
    return dict(results.facets["review_state"])


def test_stories_start_published_or_as_drafts_and_moderators_move_them(archive):
    ingested = _story(archive, "Ingested")  # needs no review: published as it comes in
    sent = _story(archive, "Sent", visibility="private", requested_visibility="public")  # from the public
    assert archive.story(ingested, KEEPER).review_state == "published"
    assert archive.story(sent, KEEPER).review_state == "draft"
    assert archive.story(sent, KEEPER).state == "waiting"  # who may see it is another matter

    with pytest.raises(NotFound):  # a volunteer does not see a story waiting for review...
        index_points.set_review_state(archive, sent, "corrected", VOLUNTEER)
    assert archive.story(sent, KEEPER).review_state == "draft"
    assert index_points.set_review_state(archive, ingested, "draft", MODERATOR).review_state == "draft"
    assert index_points.set_review_state(archive, ingested, "corrected", VOLUNTEER).review_state == "corrected"
    with pytest.raises(AccessDenied):  # ...and does not review
        index_points.set_review_state(archive, ingested, "reviewed", VOLUNTEER)
    with pytest.raises(IndexPointError):
        index_points.set_review_state(archive, ingested, "approved", MODERATOR)
    assert index_points.set_review_state(archive, ingested, "reviewed", MODERATOR).review_state == "reviewed"
    # publishing a story from the public makes it published in both senses
    published = archive.review(sent, True, MODERATOR)
    assert (published.state, published.review_state, published.visibility) == ("published", "published", "public")
    assert archive.story(ingested, Viewer.anonymous()).review_state == "reviewed"  # visibility untouched


def test_a_volunteer_moves_a_story_only_between_draft_and_corrected(archive):
    story = _story(archive, "Alpha")
    index_points.set_review_state(archive, story, "draft", MODERATOR)
    assert index_points.set_review_state(archive, story, "corrected", VOLUNTEER).review_state == "corrected"
    assert index_points.set_review_state(archive, story, "draft", VOLUNTEER).review_state == "draft"
    assert index_points.set_review_state(archive, story, "draft", VOLUNTEER).review_state == "draft"

    for reviewed in ("reviewed", "published"):  # a moderator's state is not a volunteer's to undo
        index_points.set_review_state(archive, story, reviewed, MODERATOR)
        for back in ("draft", "corrected"):
            with pytest.raises(AccessDenied) as refused:
                index_points.set_review_state(archive, story, back, VOLUNTEER)
            assert str(refused.value) == (f"this story's review state is {reviewed}: only the moderators of its "
                                          "community may change it")
        assert archive.story(story, KEEPER).review_state == reviewed
    german = Translator("de").error(refused.value)
    assert german == ("der Prüfstatus dieser Geschichte ist „Veröffentlicht“: nur die Moderatorinnen und "
                      "Moderatoren ihrer Gemeinschaft dürfen ihn ändern")
    assert index_points.set_review_state(archive, story, "corrected", MODERATOR).review_state == "corrected"


def test_a_volunteers_correction_marks_a_draft_corrected_and_leaves_a_review_alone(archive):
    draft, reviewed = _story(archive, "Alpha"), _story(archive, "Beta")
    index_points.set_review_state(archive, draft, "draft", MODERATOR)
    index_points.set_review_state(archive, reviewed, "reviewed", MODERATOR)
    for story in (draft, reviewed):
        segment = archive.segments(story, KEEPER)[0]
        corrections.set_text(archive, story, segment.id, "We pumped the cellar dry.", VOLUNTEER, base=None)
    assert archive.story(draft, KEEPER).review_state == "corrected"
    assert archive.story(reviewed, KEEPER).review_state == "reviewed"  # for its moderators to look at again


def test_search_filters_and_counts_by_review_state_within_the_policy(archive):
    a = _story(archive, "Alpha")
    b = _story(archive, "Beta")
    waiting = _story(archive, "Gamma", visibility="private", requested_visibility="public")
    index_points.set_review_state(archive, b, "reviewed", MODERATOR)
    search = FTSBackend(archive)

    everyone = search.search(SearchQuery("cellar", Viewer.anonymous()))
    assert _facet(everyone) == {"published": 1, "reviewed": 1}  # the waiting draft is not counted
    assert _facet(search.search(SearchQuery("cellar", MODERATOR))) == {"published": 1, "reviewed": 1, "draft": 1}
    reviewed = search.search(SearchQuery("cellar", Viewer.anonymous(), review_state="reviewed"))
    assert [h.story_id for h in reviewed.stories] == [b]
    assert search.search(SearchQuery("cellar", Viewer.anonymous(), review_state="draft")).total_stories == 0
    assert [h.story_id for h in search.search(SearchQuery("cellar", MODERATOR, review_state="draft")).stories] \
        == [waiting]
    assert a not in [h.story_id for h in reviewed.stories]


def test_the_web_shows_filters_and_sets_the_review_state(client, web_archive):
    accounts.add_user(web_archive, "Mira", PASSWORD, [("moderator", "Zgorzelec")], KEEPER)
    story = _story(web_archive, "Alpha")
    other = _story(web_archive, "Beta")

    page = client.get(f"/stories/{story}").text
    assert 'data-review-state="published">Published</dd>' in page
    assert client.get(f"/api/stories/{story}").json()["review_state"] == "published"
    assert client.get("/api/stories").json()["stories"][0]["review_state"] == "published"

    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"csrf_token": token, "name": "Mira", "password": PASSWORD})
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(f"/moderate/stories/{story}").text).group(1)
    done = client.post(f"/moderate/stories/{story}", data={"csrf_token": token, "action": "review_state",
                                                            "review_state": "reviewed"})
    assert done.status_code == 200 and "Review state: Reviewed." in done.text
    client.post("/logout", data={"csrf_token": token})

    found = client.get("/api/search", params={"q": "cellar", "review_state": "reviewed"}).json()
    assert [h["story_id"] for h in found["stories"]] == [story]
    facet = {f["value"]: f["count"] for f in client.get("/api/search", params={"q": "cellar"}).json()
             ["facets"]["review_state"]}
    assert facet == {"published": 1, "reviewed": 1}
    html = client.get("/search", params={"q": "cellar"}).text
    assert "/search?q=cellar&amp;review_state=reviewed" in html and ">Reviewed</a>" in html
    assert other in [h["story_id"] for h in client.get("/api/search", params={"q": "cellar"}).json()["stories"]]
