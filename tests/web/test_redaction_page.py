"""A moderator redacts a passage on the story's page: what is left of a cut line loses
its vector with its old text, and the worker makes it again (found by meaning again)."""

import re

import pytest

from storyatlas import meaning
from storyatlas.archive import Viewer, accounts, index_points, redaction
from storyatlas.archive import vectors as meaning_rows
from storyatlas.archive.records import IndexPoint
from storyatlas.themes import store
from tests.conftest import add_story, give_recording

KEEPER = Viewer.keeper("cli:test")
PASSWORD = "correct horse battery"


def _token(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def _redacting(client, app, web_archive) -> int:
    """A story of two timed lines, its recording in the store, and its moderator signed in."""
    accounts.add_user(web_archive, "Zofia", PASSWORD, [("moderator", "Zgorzelec")], KEEPER)
    story = add_story(web_archive, "Lines", "en", [(0, 4, "First line here."), (4, 8, "Second line.")],
                      timed=True, community="Zgorzelec")
    give_recording(web_archive, app.state.settings.media_dir, story)
    assert client.post("/login", data={"csrf_token": _token(client, "/login"), "name": "Zofia",
                                       "password": PASSWORD}, follow_redirects=False).status_code == 303
    return story


def _redact_first_line(client, story):
    page = f"/moderate/stories/{story}"
    return client.post(page, data={"csrf_token": _token(client, page), "action": "redact", "start": "0:01",
                                   "end": "0:02.5"})


@pytest.mark.slow
def test_a_redaction_on_the_page_has_the_cut_lines_vector_made_again(client, app, web_archive):
    story = _redacting(client, app, web_archive)
    meaning.index(web_archive)
    answer = _redact_first_line(client, story)
    assert "1 segment(s) changed" in answer.text and "Index points at" not in answer.text
    assert web_archive.segments(story, KEEPER)[0].text == "[…] here."
    assert meaning_rows.counts(web_archive, meaning.model()) == (1, 2)

    queue = app.state.queue  # the worker's turn
    while (task := queue.huey.dequeue()) is not None:
        queue.huey.execute(task)
    assert meaning_rows.counts(web_archive, meaning.model()) == (2, 2)


def test_a_page_served_while_a_redaction_is_saved_sees_the_story_as_it_was(client, app, web_archive, monkeypatch):
    """The redaction runs in a worker thread on that thread's own connection. On the event
    loop's, a page served meanwhile read inside its transaction: the cut not yet saved."""
    story = _redacting(client, app, web_archive)
    cut, seen = redaction._cut_transcript, []

    def cut_then_look(*args):
        done = cut(*args)
        seen.append(client.get(f"/moderate/stories/{story}").text)  # served on the event loop
        return done

    monkeypatch.setattr(redaction, "_cut_transcript", cut_then_look)
    assert "1 segment(s) changed" in _redact_first_line(client, story).text
    assert len(seen) == 1 and "First line here." in seen[0] and "[…] here." not in seen[0]
    assert web_archive.segments(story, KEEPER)[0].text == "[…] here."


def test_a_redacted_storys_video_is_for_its_admins_only(client, app, web_archive, media_dir):
    """The video player plays the untouched original, which still holds what a redaction
    silenced: once a story is redacted, only admins may play it."""
    from storyatlas.archive import StoryMetadata
    from storyatlas.ingest import ingest_file
    from storyatlas.ingest.redact import redact
    from storyatlas.transcribe import Transcript, TranscriptSegment

    settings = app.state.settings
    taken = ingest_file(web_archive, media_dir / "story.mp4", StoryMetadata(title="Film", visibility="public"),
                        settings, KEEPER)
    story = taken.story_id
    lines = (TranscriptSegment(0.0, 2.0, "My name is Anna."), TranscriptSegment(2.0, 4.0, "I lived by the river."))
    web_archive.save_transcription(story, Transcript("transcribe", "en", 0.99, 4.0, lines, "hand"), None, [None, None])
    web_archive.finish_job(taken.job_id, "done")
    assert client.get(f"/media/{story}/video").status_code == 200  # before: everyone may watch it
    assert "<video" in client.get(f"/stories/{story}").text

    redact(web_archive, settings.media_dir, story, 0.5, 1.5, KEEPER)
    assert client.get(f"/media/{story}/video").status_code == 404
    assert "<video" not in client.get(f"/stories/{story}").text
    assert client.get(f"/media/{story}/listen.webm").status_code == 200  # the silenced copy instead
    accounts.add_user(web_archive, "Ada", PASSWORD, [("admin", None)], KEEPER)

    def token(path):
        return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)

    client.post("/login", data={"csrf_token": token("/login"), "name": "Ada", "password": PASSWORD})
    assert client.get(f"/media/{story}/video").status_code == 200


def test_only_the_storys_moderators_act_on_its_page(app, web_archive):
    """A member of the story's community, a volunteer, or another community's moderator
    is refused, and the story is left as it was. Without the page's check, a member's
    redaction was answered 403 only after the passage had been silenced."""
    from starlette.testclient import TestClient

    story = add_story(web_archive, "Lines", "en", [(0, 4, "First line here."), (4, 8, "Second line.")],
                      timed=True, community="Zgorzelec")
    give_recording(web_archive, app.state.settings.media_dir, story)
    people = {"Mia": [("member", "Zgorzelec")], "Vera": [("volunteer", None)], "Olek": [("moderator", "Opole")]}
    page = f"/moderate/stories/{story}"
    for name, roles in people.items():
        accounts.add_user(web_archive, name, PASSWORD, roles, KEEPER)
        with TestClient(app) as client:
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
            client.post("/login", data={"csrf_token": token, "name": name, "password": PASSWORD})
            for action in ({"action": "redact", "start": "0:01", "end": "0:02.5"},
                           {"action": "review_state", "review_state": "reviewed"},
                           {"action": "index", "at": "0:01", "title": "Mine"}):
                assert client.post(page, data={"csrf_token": token} | action).status_code == 403, (name, action)
    assert web_archive.redactions(story, KEEPER) == []
    assert web_archive.segments(story, KEEPER)[0].text == "First line here."
    assert web_archive.story(story, KEEPER).review_state == "published"


def test_a_redaction_on_the_page_names_the_index_points_over_it(client, app, web_archive):
    story = _redacting(client, app, web_archive)
    store.vocabulary(web_archive)
    for at, title in ((0.0, "Arrival"), (5.0, "After")):
        index_points.add(web_archive, story, IndexPoint(at, title), KEEPER)
    answer = _redact_first_line(client, story)
    assert "Index points at 0:00.0 describe that passage" in answer.text and "0:05.0" not in answer.text


def test_an_index_point_refused_on_the_page_keeps_what_was_typed(client, app, web_archive):
    story = _redacting(client, app, web_archive)
    store.vocabulary(web_archive)
    page = f"/moderate/stories/{story}"
    typed = {"action": "index", "at": "9:00", "title": "Anna & the <flood>", "synopsis": "What she saw.",
             "keywords": "river, cellar", "place": "Zgorzelec", "theme:floods": "1"}
    refused = client.post(page, data={"csrf_token": _token(client, page), **typed})
    assert refused.status_code == 422 and "The recording ends at 8 s" in refused.text
    form = refused.text[refused.text.index('class="index-point"'):]
    assert 'value="9:00"' in form and 'value="Anna &amp; the &lt;flood&gt;"' in form
    assert ">What she saw.</textarea>" in form and 'value="river, cellar"' in form and 'value="Zgorzelec"' in form
    assert 'name="theme:floods" value="1" checked' in form and 'name="theme:work" value="1">' in form
    assert 'value="9:00"' not in client.get(page).text  # a new page starts empty
