"""Stories from the public wait for a moderator before anyone else may see them."""

import re

import pytest
from click.testing import CliRunner
from markupsafe import escape
from starlette.testclient import TestClient

from storyatlas.archive import accounts, erasure
from storyatlas.archive.policy import Viewer
from storyatlas.cli import cli
from storyatlas.web.app import create_app
from tests.conftest import saved_while_another_writes, story_file

KEEPER = Viewer.keeper()  # the archive's own tools
MODERATOR_PASSWORD = "s3cret-moderator"
# the stories are sent from the community the moderator moderates
PLACE = "Zgorzelec, Lower Silesia, PL"


@pytest.fixture
def moderated(settings):
    app = create_app(settings)
    accounts.add_user(app.state.archives.get(), "Mod", MODERATOR_PASSWORD, [("moderator", "Zgorzelec")], KEEPER)
    with TestClient(app) as public, TestClient(app) as moderator:
        signed_in = moderator.post("/login", data={"csrf_token": _token(moderator, "/login"), "name": "Mod",
                                                   "password": MODERATOR_PASSWORD}, follow_redirects=False)
        assert signed_in.status_code == 303
        yield app, public, moderator


def _token(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def _send(client, **fields):
    # English speech: these tests are about moderation, and tiny.en (the tests' model) hears
    # French as unsure noise that the quality checks may drop whole (once in five full runs)
    files = [("files", ("story_en.ogg", story_file("en").read_bytes(), "audio/ogg"))]
    data = {"title": "La crue", "place": PLACE, **fields}
    return client.post("/api/stories", files=files, data=data).json()["stories"][0]


def _process(app, story_id):
    archive = app.state.archives.get()
    app.state.queue.drain(archive, [archive.job_for_story(story_id, KEEPER).id])


@pytest.mark.slow
def test_a_moderator_hears_a_story_from_the_public_then_publishes_it(moderated):
    app, public, moderator = moderated
    sent = _send(public, visibility="public")
    assert sent["awaiting_review"] is True
    _process(app, sent["story_id"])
    story_id = sent["story_id"]
    assert public.get(f"/api/stories/{story_id}").status_code == 404
    assert public.get(f"/stories/{story_id}").status_code == 404
    assert public.get(f"/media/{story_id}/listen.webm").status_code == 404
    assert public.get("/moderate/review").status_code == 403

    page = moderator.get("/moderate/review")
    assert page.status_code == 200 and "La crue" in page.text and f'src="/media/{story_id}/listen.webm"' in page.text
    assert moderator.get(f"/media/{story_id}/listen.webm").status_code == 200  # the moderator may listen
    segment = app.state.archives.get().segments(story_id, KEEPER)[0]
    assert str(escape(segment.text)) in page.text  # and read the transcript

    done = moderator.post("/moderate/review", data={"csrf_token": _token(moderator, "/moderate/review"),
                                                     "story": str(story_id), "action": "publish"})
    assert done.status_code == 200 and "Published: La crue." in done.text and "No story is waiting" in done.text
    assert public.get(f"/api/stories/{story_id}").json()["title"] == "La crue"
    word = max(re.findall(r"\w+", segment.text), key=len)  # not a stop word, which finds nothing
    assert public.get("/api/search", params={"q": word}).json()["total_stories"] == 1


def test_a_review_naming_no_story_by_number_is_answered_as_no_such_story(moderated):
    app, public, moderator = moderated
    sent = _send(public, visibility="public")
    token = _token(moderator, "/moderate/review")
    for story in ("abc", "-1", ""):
        done = moderator.post("/moderate/review", data={"csrf_token": token, "story": story, "action": "publish"})
        assert done.status_code == 404 and "Story 0 is not waiting for your review" in done.text
    for action in ("", "Publish", "decline "):  # a form garbled on its way declines nothing
        done = moderator.post("/moderate/review", data={"csrf_token": token, "story": str(sent["story_id"]),
                                                        "action": action})
        assert done.status_code == 422 and "Say whether to publish or decline the story" in done.text
    story = app.state.archives.get().story(sent["story_id"], KEEPER)
    assert (story.requested_visibility, story.declined) == ("public", False)


def test_a_declined_story_stays_private(moderated):
    app, public, moderator = moderated
    sent = _send(public, visibility="community")
    token = _token(moderator, "/moderate/review")
    done = moderator.post("/moderate/review", data={"csrf_token": token, "story": str(sent["story_id"]),
                                                     "action": "decline"})
    assert "Declined, it stays private: La crue." in done.text
    story = app.state.archives.get().story(sent["story_id"], KEEPER)
    assert (story.visibility, story.requested_visibility) == ("private", None)
    again = moderator.post("/moderate/review", data={"csrf_token": token, "story": str(sent["story_id"]),
                                                      "action": "publish"})
    assert again.status_code == 404 and "not waiting for your review" in again.text
    assert public.get(f"/api/stories/{sent['story_id']}").status_code == 404


def test_a_moderators_own_upload_and_a_private_one_need_no_review(moderated):
    app, public, moderator = moderated
    own = _send(moderator, visibility="public")
    private = _send(public, visibility="private")
    assert "awaiting_review" not in own and "awaiting_review" not in private
    archive = app.state.archives.get()
    assert archive.story(own["story_id"], KEEPER).visibility == "public"
    assert archive.awaiting_review(KEEPER) == []
    # a collection is whatever the sender types: naming one they moderate publishes nothing
    # into another community without its moderators' review; without a community, it counts
    for lang, place, waits in (("de", "Krakow, Lesser Poland, PL", True), ("fr", "", False)):
        files = [("files", (f"story_{lang}.ogg", story_file(lang).read_bytes(), "audio/ogg"))]
        sent = moderator.post("/api/stories", files=files, data={
            "title": "Elsewhere", "place": place, "collection": "Zgorzelec", "visibility": "community"}).json()
        story = archive.story(sent["stories"][0]["story_id"], KEEPER)
        assert (story.visibility, story.requested_visibility) == (("private", "community") if waits
                                                                  else ("community", None)), place


def test_review_from_the_command_line(moderated, settings):
    app, public, _ = moderated
    sent = _send(public, visibility="researchers")
    runner = CliRunner()
    listed = runner.invoke(cli, ["review", "--archive", str(settings.archive)])
    assert listed.exit_code == 0 and f"#{sent['story_id']}" in listed.output and "researchers" in listed.output
    published = runner.invoke(cli, ["review", "--publish", str(sent["story_id"]), "--archive", str(settings.archive)])
    assert published.exit_code == 0 and "published, visible to researchers" in published.output
    assert app.state.archives.get().story(sent["story_id"], KEEPER).visibility == "researchers"
    missing = runner.invoke(cli, ["review", "--decline", "99", "--archive", str(settings.archive)])
    assert missing.exit_code == 3 and "story 99 is not waiting for your review" in missing.output
    other = _send(public, visibility="researchers")
    declined = runner.invoke(cli, ["review", "--decline", str(other["story_id"]), "--archive", str(settings.archive)])
    assert declined.exit_code == 0 and "declined, visible to private" in declined.output
    assert app.state.archives.get().story(other["story_id"], KEEPER).visibility == "private"
    assert "no story is waiting" in runner.invoke(cli, ["review", "--archive", str(settings.archive)]).output
    both = runner.invoke(cli, ["review", "--publish", "1", "--decline", "2", "--archive", str(settings.archive)])
    assert both.exit_code == 2 and "give --publish or --decline, not both" in both.output


@pytest.mark.parametrize("asked, heard_meanwhile, heard_after_decline", [
    ("public", True, True),  # asked for everyone: its community keeps it, and after a decline
    ("researchers", False, False),  # asked to leave its community: neither hears it, nor after a decline
])
def test_a_published_storys_change_of_audience_waits_without_overriding_its_teller(
        archive, asked, heard_meanwhile, heard_after_decline):
    from storyatlas.archive import consent
    from storyatlas.errors import NotFound
    from tests.conftest import add_story

    story = add_story(archive, "Moving", "en", [(0, 4, "A line.")], community="Zgorzelec", visibility="community")
    member = Viewer(name="Mia", roles=frozenset({"member", "researcher"}), member_of=frozenset({"Zgorzelec"}))

    def heard() -> bool:
        try:
            archive.story(story, member)
            return True
        except NotFound:
            return False

    assert heard()
    consent.change(archive, story, consent.Consent(visibility=asked), Viewer.teller(story))
    assert archive.story(story, KEEPER).requested_visibility == asked and heard() == heard_meanwhile
    archive.review(story, publish=False, viewer=KEEPER)
    assert heard() == heard_after_decline


def test_downloads_are_offered_where_the_storyteller_allowed_them_and_to_the_storys_moderators(moderated):
    from tests.conftest import add_story

    app, public, moderator = moderated
    lines = [(0.0, 4.0, "Woda przyszła w nocy.", "The water came in the night.")]
    archive = app.state.archives.get()
    kept = add_story(archive, "Bez kopii", "pl", lines, community="Zgorzelec", exportable=False)
    shared = add_story(archive, "Z kopią", "pl", lines, community="Zgorzelec")
    elsewhere = add_story(archive, "Gdzie indziej", "pl", lines, community="Opole", exportable=False)
    assert "export.srt" not in public.get(f"/stories/{kept}").text
    assert "export.srt" in public.get(f"/stories/{shared}").text
    assert "export.srt" in moderator.get(f"/stories/{kept}").text  # to keep the archive, not to publish
    assert "export.srt" not in moderator.get(f"/stories/{elsewhere}").text


def test_a_copy_cut_short_is_said_again_on_the_tellers_page_and_to_its_moderators(moderated, tmp_path):
    """The note was given only when the file was sent; a teller opening their link later,
    or the moderator deciding on the story, never saw it."""
    from tests.conftest import cut_short

    app, public, moderator = moderated
    half = cut_short(tmp_path)
    sent = public.post("/api/stories", files=[("files", ("half.flac", half.read_bytes(), "audio/flac"))],
                       data={"title": "Cut", "place": PLACE}).json()["stories"][0]
    told = sent["notice"]
    assert told.startswith("the file says it lasts 01:00, but it could be decoded only up to")

    def notice(page):
        found = re.search(r'id="recording-notice">([^<]*)<', page)
        return found and found.group(1)

    assert notice(public.get(f"/mine/{sent['receipt']}").text) == escape(told[0].upper() + told[1:])
    assert notice(moderator.get(f"/moderate/stories/{sent['story_id']}").text) == notice(
        public.get(f"/mine/{sent['receipt']}").text)
    polish = notice(public.get(f"/mine/{sent['receipt']}", params={"lang": "pl"}).text)
    assert polish.startswith("Według pliku nagranie trwa 01:00")
    # and in the story's JSON, to its moderators only
    story = f"/api/stories/{sent['story_id']}"
    assert moderator.get(story).json()["recording_notice"] == told
    assert moderator.get(story, params={"lang": "pl"}).json()["recording_notice"].startswith("według pliku")
    app.state.archives.get().review(sent["story_id"], publish=True, viewer=Viewer.keeper())
    seen = public.get(story).json()
    assert seen["id"] == sent["story_id"] and "recording_notice" not in seen

    whole = _send(public)
    assert notice(public.get(f"/mine/{whole['receipt']}", params={"lang": "en"}).text) is None
    assert notice(moderator.get(f"/moderate/stories/{whole['story_id']}").text) is None
    assert moderator.get(f"/api/stories/{whole['story_id']}").json()["recording_notice"] is None


def _looked_at_while_erased(monkeypatch, client, path) -> list[int]:
    """The status of ``path``, asked by ``client`` while an erasure it asked for has deleted
    the rows but not committed: the erasure runs in a worker thread on its own connection,
    so the page, served on the event loop, still sees the story."""
    delete, seen = erasure._delete_rows, []

    def delete_then_look(*args):
        deleted = delete(*args)
        seen.append(client.get(path).status_code)
        return deleted

    monkeypatch.setattr(erasure, "_delete_rows", delete_then_look)
    return seen


def test_only_an_admin_erases_from_the_moderators_page(moderated, settings, monkeypatch):
    app, public, moderator = moderated
    archive = app.state.archives.get()
    story = _send(public)["story_id"]
    page = f"/moderate/stories/{story}"
    refused = moderator.post(page, data={"csrf_token": _token(moderator, page), "action": "erase"})
    assert refused.status_code == 403 and archive.story(story, KEEPER)

    accounts.add_user(archive, "Ada", MODERATOR_PASSWORD, [("admin", None)], KEEPER)
    with TestClient(app) as admin:
        admin.post("/login", data={"csrf_token": _token(admin, "/login"), "name": "Ada",
                                   "password": MODERATOR_PASSWORD})
        seen = _looked_at_while_erased(monkeypatch, admin, page)
        erased = admin.post(page, data={"csrf_token": _token(admin, page), "action": "erase",
                                        "reason": "  sent twice,\n by mistake "})
    assert erased.status_code == 200 and 'id="erased"' in erased.text and seen == [200]
    why = archive.conn.execute("SELECT detail FROM audit WHERE action = 'erase' AND story_id = ?", (story,))
    assert why.fetchone()[0] == "sent twice, by mistake"


def test_a_change_waiting_for_another_writer_holds_up_no_other_request(moderated, settings):
    """The page saves in a worker thread (the other pages that save: test_writes_off_the_loop)."""
    app, public, moderator = moderated
    story = _send(public)["story_id"]
    page = f"/moderate/stories/{story}"
    change = {"csrf_token": _token(moderator, page), "action": "consent", "visibility": "public",
              "storyteller_naming": "first"}
    answer = saved_while_another_writes(settings.database, lambda: moderator.post(page, data=change),
                                        lambda: moderator.get(page))
    assert answer.status_code == 200
    assert app.state.archives.get().story(story, KEEPER).storyteller_naming == "first"


def test_a_teller_hears_their_story_on_their_page_before_anyone_else_may(moderated):
    app, public, _ = moderated
    sent = _send(public)  # waits for a moderator: out of everyone else's hearing
    page = public.get(f"/mine/{sent['receipt']}").text
    src = re.search(r'<audio[^>]* src="([^"]+)"', page).group(1)
    assert src == f"/mine/{sent['receipt']}/listen.webm"
    heard = public.get(src, headers={"range": "bytes=0-99"})
    assert heard.status_code == 206 and heard.headers["content-type"] == "audio/webm" and len(heard.content) == 100
    assert public.get(f"/media/{sent['story_id']}/listen.webm").status_code == 404
    assert public.get("/mine/" + "x" * 32 + "/listen.webm").status_code == 403  # as the page for a wrong link


def test_a_teller_withdraws_only_once_they_tick_the_box(moderated, monkeypatch):
    app, public, _ = moderated
    sent = _send(public)
    page = f"/mine/{sent['receipt']}"
    unticked = public.post(page, data={"csrf_token": _token(public, page), "action": "withdraw"})
    assert unticked.status_code == 422 and "Tick the box to confirm" in unticked.text
    assert app.state.archives.get().story(sent["story_id"], KEEPER)
    seen = _looked_at_while_erased(monkeypatch, public, page)
    gone = public.post(page, data={"csrf_token": _token(public, page), "action": "withdraw", "confirm": "yes"})
    assert 'id="erased"' in gone.text and seen == [200] and public.get(page).status_code == 403
    assert "Backups of the archive made before now may still hold it" in gone.text  # told, not promised away


def test_the_consent_form_starts_from_what_the_teller_asked_and_reads_as_browsers_send_it(moderated):
    app, public, moderator = moderated
    sent = _send(public, visibility="community")  # waits for a moderator, asking for its community
    page = f"/mine/{sent['receipt']}"
    assert re.search(r'name="visibility" value="community" checked', public.get(page).text)
    form = {"csrf_token": _token(public, page), "action": "consent", "visibility": "community",
            "embargo_until": " 2031-05-01 ", "exportable": "on"}
    assert "Saved" in public.post(page, data=form).text
    story = app.state.archives.get().story(sent["story_id"], KEEPER)
    assert (story.embargo_until, story.exportable) == ("2031-05-01", True)
    again = moderator.post(f"/moderate/stories/{sent['story_id']}",
                           data=form | {"csrf_token": _token(moderator, f"/moderate/stories/{sent['story_id']}")})
    assert "Nothing changed" in again.text
