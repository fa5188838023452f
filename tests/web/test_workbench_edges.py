"""The volunteers' workbench at its edges: a work list in an archive with more stories
than it lists, a segment gone while its form was open, and a form sent unchanged."""

from __future__ import annotations

import html
import re

import pytest

from storyatlas.archive import Viewer, accounts, corrections, worklist
from storyatlas.transcribe import Transcript, TranscriptSegment
from tests.conftest import add_story

KEEPER = Viewer.keeper("cli:test")
PASSWORD = "correct horse battery"
LINES = [(0.0, 4.0, "We pumped the settler dry."), (4.0, 8.0, "Then the river came back.", None, "en", True)]
ZOFIA = Viewer("Zofia", frozenset({"moderator"}), moderates=frozenset({"zgorzelec"}))
VERA = Viewer("Vera", frozenset({"volunteer"}))


def _token(client, path: str = "/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def _sign_in(client, name: str) -> None:
    assert client.post("/login", data={"csrf_token": _token(client), "name": name, "password": PASSWORD},
                       follow_redirects=False).status_code == 303


@pytest.fixture
def story(web_archive) -> int:
    accounts.add_user(web_archive, "Vera", PASSWORD, [("volunteer", None)], KEEPER)
    return add_story(web_archive, "The flood", "en", LINES, community="Zgorzelec")


def test_the_work_list_bounds_what_it_shows_not_what_it_looks_at(web_archive, monkeypatch):
    monkeypatch.setattr(worklist, "LIMIT", 2)  # as an archive with more stories than the list holds
    add_story(web_archive, "Elsewhere", "en", LINES[:1], community="Gdansk")
    add_story(web_archive, "Further", "en", LINES[:1], community="Gdansk")
    ours = add_story(web_archive, "Ours", "en", LINES, community="Zgorzelec")
    # a moderator's own community's story, past the first stories they may see
    assert [i.story_id for i in worklist.work_list(web_archive, ZOFIA)] == [ours]
    # the story the machine was least sure of comes first, whatever its number
    assert [i.title for i in worklist.work_list(web_archive, VERA)] == ["Ours", "Elsewhere"]
    assert [i.title for i in worklist.work_list(web_archive, VERA, state="published")] == ["Ours", "Elsewhere"]


def test_a_segment_gone_while_its_form_was_open_keeps_the_text(client, story, web_archive):
    add_story(web_archive, "Later", "en", LINES)  # its segments take the next numbers
    _sign_in(client, "Vera")
    edit = f"/stories/{story}/edit"
    first = corrections.transcript(web_archive, story, KEEPER).segments[0].id
    token = _token(client, edit)
    # the machine transcribes the story again (a failed job retried) before anyone saved
    again = Transcript("transcribe", "en", 0.99, 8.0, (TranscriptSegment(0.0, 8.0, "We pumped it all.", ()),), "hand")
    web_archive.save_transcription(story, again, None, [None])

    sent = client.post(edit, data={"csrf_token": token, "segment": first, "base": 0,
                                   "text": "We pumped the cellar dry."})
    assert sent.status_code == 409
    page = html.unescape(sent.text)
    assert "that segment is no longer in the transcript" in page
    assert re.search(r'<textarea id="conflict-text"[^>]*>We pumped the cellar dry\.</textarea>', page)
    assert "We pumped it all." in page  # the transcript as it is now, to add the text to
    assert corrections.revisions(web_archive, story, KEEPER) == []


def test_a_form_sent_unchanged_says_nothing_changed(client, story, web_archive):
    _sign_in(client, "Vera")
    edit = f"/stories/{story}/edit"
    first = corrections.transcript(web_archive, story, KEEPER).segments[0]
    sent = client.post(edit, data={"csrf_token": _token(client, edit), "segment": first.id, "base": 0,
                                   "text": first.text, "speaker": ""})
    assert corrections.revisions(web_archive, story, KEEPER) == []
    status = re.search(r'id="editor-status"[^>]*>(.*?)</p>', sent.text).group(1)
    assert status == "Nothing changed."  # not "Saved: revision 0", a revision that is not there

    sent = client.post(edit, data={"csrf_token": _token(client, edit), "segment": first.id, "base": 0,
                                   "text": first.text, "speaker": "S1"})  # the speaker alone is a change
    assert re.search(r'id="editor-status"[^>]*>(.*?)</p>', sent.text).group(1) == "Saved: revision 1."


def test_the_editor_of_a_story_without_segments_says_why(client, story, web_archive):
    from storyatlas.archive import MediaFile, Place, StoryMetadata

    def made(title: str) -> tuple[int, int]:
        return web_archive.create_story(
            StoryMetadata(title=title, place=Place("Zgorzelec")),
            [MediaFile("original", title.encode().hex().ljust(64, "0"), f"originals/{title}.ogg", "ogg", "opus",
                       False, 1, 1.0, "x.ogg")], 1.0)

    waiting, _ = made("Waiting")
    silent, silent_job = made("Silent")
    web_archive.finish_job(silent_job, "done")  # processed: the machine heard nobody
    broken, broken_job = made("Broken")
    web_archive.finish_job(broken_job, "failed")
    _sign_in(client, "Vera")

    def said_there(story_id: int) -> str:
        page = client.get(f"/stories/{story_id}/edit").text
        return html.unescape(re.search(r'<section class="editor-transcript".*?<p class="note"[^>]*>(.*?)</p>', page,
                                       re.DOTALL).group(1))

    assert said_there(waiting) == "This story has no transcript yet: it is still being processed."
    assert said_there(silent) == "No speech was found in this recording."  # not "still being processed"
    assert said_there(broken).startswith("Processing failed")
