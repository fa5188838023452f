"""Every page and API call that saves a change does it in a worker thread, on its own
connection. A change waits for any other process writing (an erasure's merge holds the
archive for seconds on a large one): on the event loop it waited there, up to the
connection's 30 s, and every other request to the server waited with it."""

from __future__ import annotations

import re

import pytest

from storyatlas.archive import Viewer, accounts, corrections, index_points, tags
from storyatlas.themes import store
from tests.conftest import add_story, saved_while_another_writes

KEEPER = Viewer.keeper("cli:test")
PASSWORD = "correct horse battery"
LINES = [(0.0, 4.0, "We pumped the settler dry.", "Wir pumpten den Keller leer.")]


def _token(client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


@pytest.fixture
def signed_in(client, web_archive):
    """A moderator and volunteer of Zgorzelec, signed in, and a story of theirs waiting for review."""
    accounts.add_user(web_archive, "Zofia", PASSWORD, [("moderator", "Zgorzelec"), ("volunteer", None)], KEEPER)
    store.vocabulary(web_archive)
    story = add_story(web_archive, "The flood", "en", LINES, community="Zgorzelec", visibility="private",
                      requested_visibility="public")
    assert client.post("/login", data={"csrf_token": _token(client, "/login"), "name": "Zofia",
                                       "password": PASSWORD}, follow_redirects=False).status_code == 303
    return client, story


def _segment(archive, story: int) -> int:
    return corrections.transcript(archive, story, KEEPER).segments[0].id


def _review(client, archive, story):
    form = {"csrf_token": _token(client, "/moderate/review"), "story": str(story), "action": "publish"}
    return (lambda: client.post("/moderate/review", data=form),
            lambda: archive.story(story, KEEPER).visibility == "public")


def _add_theme(client, archive, story):
    form = {"csrf_token": _token(client, "/moderate/themes"), "id": "t_bees", "label": "Bees",
            "triggers_en": "bee"}
    return (lambda: client.post("/moderate/themes", data=form, follow_redirects=False),
            lambda: "t_bees" in {t.id for t in store.vocabulary(archive).themes})


def _edit_theme(client, archive, story):
    form = {"csrf_token": _token(client, "/moderate/themes/floods"), "label": "Floods and storms",
            "triggers_en": "flood, storm"}
    return (lambda: client.post("/moderate/themes/floods", data=form, follow_redirects=False),
            lambda: store.vocabulary(archive).get("floods").label == "Floods and storms")


def _dismiss(client, archive, story):
    form = {"csrf_token": _token(client, "/moderate/suggestions"), "phrase": "food bank", "action": "dismiss"}
    return (lambda: client.post("/moderate/suggestions", data=form),
            lambda: "food bank" in tags.decided_phrases(archive))


def _editor_form(client, archive, story):
    form = {"csrf_token": _token(client, f"/stories/{story}/edit"), "segment": str(_segment(archive, story)),
            "base": "0", "text": "We pumped the cellar dry."}
    return (lambda: client.post(f"/stories/{story}/edit", data=form, follow_redirects=False),
            lambda: corrections.transcript(archive, story, KEEPER).revision == 1)


def _correction(client, archive, story):
    body = {"text": "We pumped the cellar dry.", "base": 0}
    return (lambda: client.patch(f"/api/stories/{story}/segments/{_segment(archive, story)}", json=body),
            lambda: corrections.transcript(archive, story, KEEPER).segments[0].text == body["text"])


def _index_point(client, archive, story):
    return (lambda: client.post(f"/api/stories/{story}/index", json={"at": 1, "title": "The pump"}),
            lambda: [p.title for p in index_points.points(archive, story, KEEPER)] == ["The pump"])


def _sign_out(client, archive, story):
    form = {"csrf_token": _token(client, "/")}
    return (lambda: client.post("/logout", data=form, follow_redirects=False),
            lambda: archive.conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0)


@pytest.mark.parametrize("change", [_review, _add_theme, _edit_theme, _dismiss, _editor_form, _correction,
                                    _index_point, _sign_out], ids=lambda f: f.__name__.strip("_"))
def test_a_change_waiting_for_another_writer_holds_up_no_other_request(signed_in, web_archive, settings, change):
    client, story = signed_in
    send, done = change(client, web_archive, story)
    answer = saved_while_another_writes(settings.database, send, lambda: client.get("/"))
    assert answer.status_code < 400, answer.text
    assert done()
