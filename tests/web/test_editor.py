"""The correction editor's page, /stories/ID/edit: for signed-in volunteers and the
story's moderators; the same 404 as a hidden story for those who may not see it; a plain
form per segment that saves without JavaScript, with the revision it started from, and a
stale one answered with who saved first and the text that was sent."""

from __future__ import annotations

import html
import json
import re

import pytest

from storyatlas.archive import Viewer, accounts, corrections
from storyatlas.errors import said
from storyatlas.web import i18n
from tests.conftest import add_story

KEEPER = Viewer.keeper("cli:test")
PASSWORD = "correct horse battery"
LINES = [(0.0, 4.0, "We pumped the settler dry.", "Wir pumpten den Keller leer."),
         (4.0, 8.0, "Then the river came back.", "Dann kam der Fluss zurück.", "en", True)]


def _token(client, path: str = "/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def _sign_in(client, name: str) -> None:
    assert client.post("/login", data={"csrf_token": _token(client), "name": name, "password": PASSWORD},
                       follow_redirects=False).status_code == 303


def _form(page: str, segment_id: int) -> dict[str, str]:
    """The hidden fields and the text of one segment's form on the page."""
    item = re.search(rf'<li [^>]*id="seg-{segment_id}".*?</li>', page, re.DOTALL).group(0)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', item))
    fields["text"] = html.unescape(re.search(r"<textarea [^>]*>(.*?)</textarea>", item, re.DOTALL).group(1))
    return fields


@pytest.fixture
def story(web_archive) -> int:
    accounts.add_user(web_archive, "Vera", PASSWORD, [("volunteer", None)], KEEPER)
    accounts.add_user(web_archive, "Viktor", PASSWORD, [("volunteer", None)], KEEPER)
    accounts.add_user(web_archive, "Mo", PASSWORD, [("member", "Zgorzelec")], KEEPER)
    accounts.add_user(web_archive, "Zofia", PASSWORD, [("moderator", "Zgorzelec")], KEEPER)
    return add_story(web_archive, "The flood", "en", LINES, community="Zgorzelec")


def _segments(web_archive, story: int) -> list:
    return list(corrections.transcript(web_archive, story, KEEPER).segments)


def test_who_may_open_the_editor(client, story, web_archive):
    private = add_story(web_archive, "Private", "en", LINES, visibility="private")
    community = add_story(web_archive, "Ours", "en", LINES, community="Zgorzelec", visibility="community")
    edit = f"/stories/{story}/edit"

    # anonymous: sent to sign in (and back); a story out of sight is the 404 of one that does not exist
    answer = client.get(edit, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == f"/login?next=/stories/{story}/edit"
    missing = client.get("/stories/999/edit")
    assert client.get(f"/stories/{private}/edit").status_code == missing.status_code == 404
    assert "Correct this transcript" not in client.get(f"/stories/{story}").text
    first = _segments(web_archive, story)[0]
    anonymous_post = client.post(edit, data={"csrf_token": _token(client), "segment": first.id, "base": 0,
                                             "text": "Mine."})
    assert anonymous_post.status_code == 403

    # a member sees the story but may not correct it; a hidden one is still 404
    _sign_in(client, "Mo")
    assert client.get(edit).status_code == 403
    assert client.get(f"/stories/{private}/edit").status_code == 404
    assert client.get(f"/stories/{community}").status_code == 200
    assert client.get(f"/stories/{community}/edit").status_code == 403
    assert "Correct this transcript" not in client.get(f"/stories/{story}").text

    # a volunteer may, on every story they can see
    _sign_in(client, "Vera")
    page = client.get(edit)
    assert page.status_code == 200 and 'lang="en"' in page.text
    assert f'<a href="/stories/{story}/edit">Correct this transcript</a>' in client.get(f"/stories/{story}").text
    assert client.get(f"/stories/{private}/edit").status_code == 404
    assert client.get(f"/stories/{community}/edit").status_code == 404  # not a member of Zgorzelec

    # and so does a moderator of the story's community
    _sign_in(client, "Zofia")
    assert client.get(edit).status_code == 200
    assert client.get(f"/stories/{community}/edit").status_code == 200
    assert corrections.transcript(web_archive, story, KEEPER).revision == 0  # nobody changed anything


def test_the_page_holds_the_player_the_segments_and_the_help(client, story, web_archive):
    _sign_in(client, "Vera")
    page = client.get(f"/stories/{story}/edit").text
    first, second = _segments(web_archive, story)
    assert f'src="/media/{story}/listen.webm#t=0.0"' in page
    # each segment: its time (plays from there), language, speaker, text, an unsure mark where the machine was
    for s in (first, second):
        form = _form(page, s.id)
        assert form["segment"] == str(s.id) and form["base"] == "0" and form["text"] == s.text
        assert f'<label class="visually-hidden seg-text-label" for="text-{s.id}">' in page
        assert f'<label class="seg-speaker-label" for="speaker-{s.id}">Speaker</label>' in page
    item = re.search(rf'<li class="seg unsure" id="seg-{second.id}".*?</li>', page, re.DOTALL).group(0)
    assert '<span class="unsure-mark">machine unsure: listen</span>' in item
    assert 'aria-label="Play from 00:04"' in item and 'lang="en"' in item
    # the shortcuts, written out on the page
    help_box = re.search(r'<section class="shortcuts".*?</section>', page, re.DOTALL).group(0)
    for key in ("<kbd>Space</kbd>", "<kbd>Esc</kbd>", "<kbd>←</kbd>", "<kbd>→</kbd>", "<kbd>↓</kbd>", "<kbd>↑</kbd>",
                "<kbd>Enter</kbd>", "<kbd>S</kbd>", "<kbd>M</kbd>"):
        assert key in help_box, key
    assert '<script src="/static/editor.js" defer></script>' in page
    data = json.loads(html.unescape(re.search(r'<script type="application/json" id="editor-data">(.*?)</script>',
                                              page, re.DOTALL).group(1)))
    assert data["transcript"]["revision"] == 0 and [s["id"] for s in data["transcript"]["segments"]] == \
           [first.id, second.id]
    assert data["strings"]["editor.saved"] == "Saved: revision {revision}."
    assert "<script>" not in page.split('id="editor-data">')[1].split("</script>")[0]
    # in the reader's language
    german = client.get(f"/stories/{story}/edit", params={"lang": "de"}).text
    assert "Transkript korrigieren" in german and "Tastenkürzel" in german
    assert json.loads(html.unescape(re.search(r'id="editor-data">(.*?)</script>', german, re.DOTALL).group(1))
                      )["strings"]["editor.saved"] == "Gespeichert: Version {revision}."


def test_without_javascript_a_segment_form_saves_a_revision(client, story, web_archive):
    _sign_in(client, "Vera")
    edit = f"/stories/{story}/edit"
    first, _ = _segments(web_archive, story)
    form = _form(client.get(edit).text, first.id) | {"text": "We pumped the cellar dry."}
    saved = client.post(edit, data=form, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"{edit}?saved=1#seg-{first.id}"
    page = client.get(saved.headers["location"]).text
    assert "Saved: revision 1." in page and _form(page, first.id) | {"csrf_token": ""} == \
           form | {"base": "1", "csrf_token": ""}
    assert "Revision 1 · Vera" in page and "Revision 0 · machine transcript" in page
    listed = corrections.revisions(web_archive, story, KEEPER)
    assert [(r.number, r.who) for r in listed] == [(1, "Vera"), (0, "machine transcript")]
    assert "We pumped the cellar dry." in client.get(f"/stories/{story}").text
    assert client.get("/api/search", params={"q": "cellar"}).json()["total_stories"] == 1

    # the speaker chosen in the same form is saved with it
    page = client.get(edit).text
    assert '<option value="S1">S1 (new)</option>' in page
    again = client.post(edit, data=_form(page, first.id) | {"speaker": "S1"}, follow_redirects=False)
    assert again.status_code == 303 and "saved=2" in again.headers["location"]
    assert _segments(web_archive, story)[0].speaker == "S1"


def test_a_stale_form_answers_who_saved_first_and_keeps_the_text(client, story, web_archive):
    edit = f"/stories/{story}/edit"
    first, _ = _segments(web_archive, story)
    _sign_in(client, "Viktor")
    stale = _form(client.get(edit).text, first.id)  # Viktor opens the page at revision 0
    _sign_in(client, "Vera")
    assert client.post(edit, data=_form(client.get(edit).text, first.id) | {"text": "We pumped the cellar dry."},
                       follow_redirects=False).status_code == 303
    _sign_in(client, "Viktor")
    mine = "We pumped the cellars <dry>."
    answer = client.post(edit, data=stale | {"csrf_token": _token(client, edit), "text": mine})
    assert answer.status_code == 409
    page = answer.text
    conflict = re.search(r'<div id="conflict" class="conflict" role="alert">(.*?)<ol id="segments"', page,
                         re.DOTALL).group(1)
    assert re.search(r"Vera saved revision 1 at \d{1,2}:\d\d(\s?[AP]M)? UTC while you were editing", conflict)
    assert "Your text is kept here:" in conflict
    assert '<textarea id="conflict-text" rows="3" readonly>We pumped the cellars &lt;dry&gt;.</textarea>' in conflict
    assert "Reload to see theirs" in conflict
    # theirs stands, and the page now starts from it
    assert _form(page, first.id)["text"] == "We pumped the cellar dry." and _form(page, first.id)["base"] == "1"
    assert _segments(web_archive, story)[0].text == "We pumped the cellar dry."
    assert [r.number for r in corrections.revisions(web_archive, story, KEEPER)] == [1, 0]


def test_a_form_from_before_the_story_was_transcribed_again_keeps_the_text_and_saves_nothing(
        client, story, web_archive):
    from tests.archive.test_transcribed_again import AGAIN, transcribe_again

    edit = f"/stories/{story}/edit"
    first, _ = _segments(web_archive, story)
    _sign_in(client, "Vera")
    stale = _form(client.get(edit).text, first.id)  # the page at revision 0
    transcribe_again(web_archive, story, AGAIN)  # a failed job retried: still revision 0
    answer = client.post(edit, data=stale | {"text": "We pumped the cellars dry."})
    assert answer.status_code == 409 and "that segment is no longer in the transcript" in answer.text
    assert '<textarea id="conflict-text" rows="3" readonly>We pumped the cellars dry.</textarea>' in answer.text
    assert [s.text for s in _segments(web_archive, story)] == [x[2] for x in AGAIN]
    assert corrections.transcript(web_archive, story, KEEPER).revision == 0


def test_a_refused_form_says_why_and_keeps_the_text(client, story, web_archive):
    edit = f"/stories/{story}/edit"
    first, _ = _segments(web_archive, story)
    _sign_in(client, "Vera")
    form = _form(client.get(edit).text, first.id)
    empty = client.post(edit, data=form | {"text": "   "})
    assert empty.status_code == 422 and "Not saved: a segment needs some text" in empty.text
    too_long = "word " * 1200
    answer = client.post(edit, data=form | {"text": too_long, "speaker": "S1"})  # the speaker is not saved alone
    assert answer.status_code == 422 and "at most 5000 characters" in answer.text
    assert _form(answer.text, first.id)["text"] == too_long
    # a revision the story never had (a form made up, or from another archive)
    nowhere = client.post(edit, data=form | {"base": "5", "text": "We pumped the cellar dry."})
    assert nowhere.status_code == 409 and "no revision 5" in nowhere.text
    # forms from elsewhere, or without the page's token, are refused; nothing was saved
    assert client.post(edit, data=form | {"csrf_token": "forged"}).status_code == 403
    assert client.post(edit, data=form, headers={"origin": "https://elsewhere.example"}).status_code == 403
    # a segment not in the transcript (made up, or gone since): said, with the text kept, not a bare 404
    assert client.post(edit, data=form | {"segment": "999999", "text": "Mine."}).status_code == 409
    assert corrections.transcript(web_archive, story, KEEPER).revision == 0
    # said in the reader's language, as every other refusal is
    polish = i18n.Translator("pl")
    in_polish = client.post(edit + "?lang=pl", data=form | {"text": "   "}).text
    assert polish.said(said("a segment needs some text: to take words out for good, ask a moderator to "
                            "redact them")) in html.unescape(in_polish)
    lost = client.post(edit + "?lang=pl", data=form | {"base": ""})
    assert lost.status_code == 422
    assert polish.said(said("the form lost its segment or revision: reload the page")) in html.unescape(
        lost.text)


def test_the_work_list_shows_what_a_volunteer_may_correct_by_review_state(client, story, web_archive):
    private = add_story(web_archive, "Private", "en", LINES, visibility="private")
    other = add_story(web_archive, "Steady", "en", [(0.0, 4.0, "All was well.")], community="Zgorzelec")
    web_archive.conn.execute("UPDATE stories SET review_state = 'draft'")  # as the machine left them
    assert client.get("/work", follow_redirects=False).headers["location"] == "/login?next=/work"

    _sign_in(client, "Vera")
    page = client.get("/work").text
    assert "The flood" in page and "Steady" in page and "Private" not in page
    assert page.index("The flood") < page.index("Steady")  # the machine was unsure in "The flood": first
    assert "1 / 2" in page and f'href="/stories/{story}/edit"' in page and 'href="/work"' in page

    first = _segments(web_archive, story)[0]
    corrections.set_text(web_archive, story, first.id, "We pumped the cellar dry.", Viewer("Vera", frozenset({"volunteer"})),
                         base=None)
    corrected = client.get("/work?state=corrected").text
    assert "The flood" in corrected and "Steady" not in corrected
    mine = client.get("/work?mine=1").text
    assert "The flood" in mine and "Steady" not in mine and "1 · Vera" in mine
    assert "Steady" in client.get("/work?state=draft").text

    _sign_in(client, "Mo")  # a member corrects nothing
    assert "Nothing to correct here." in client.get("/work").text and 'href="/work"' not in client.get("/").text
    assert private and other


def test_what_each_revision_changed_reads_in_the_readers_language(client, story, web_archive):
    """The revisions list said "text at 0:00" and "the machine's transcript" in English on every page."""
    from storyatlas.errors import said
    from storyatlas.web.i18n import Translator

    _sign_in(client, "Vera")
    edit = f"/stories/{story}/edit"
    first, _ = _segments(web_archive, story)
    client.post(edit, data=_form(client.get(edit).text, first.id) | {"text": "We pumped the cellar dry."})
    german = Translator("de")
    changed = german.said(said("text at {at}", at="0:00.0"))
    machine = german.said(said("the machine's transcript"))
    assert changed != "text at 0:00.0"
    page = html.unescape(client.get(edit, params={"lang": "de"}).text)
    assert changed in page and machine in page and "the machine's transcript" not in page
    client.cookies.delete("lang")
    listed = client.get(f"/api/stories/{story}/revisions", headers={"accept-language": "de"}).json()["revisions"]
    assert [r["summary"] for r in listed] == [changed, machine]
    assert corrections.revisions(web_archive, story, KEEPER)[0].summary == "text at 0:00.0"  # the command line's


def test_the_speakers_offered_are_those_in_use_or_named_in_order_and_one_new():
    from types import SimpleNamespace as Of

    from storyatlas.web.editor import speaker_choices

    transcript = Of(segments=[Of(speaker="S10"), Of(speaker=None), Of(speaker="S2"), Of(speaker="Narrator")],
                    speakers=[Of(label="S3")])  # named, though nobody speaks as S3 yet
    assert speaker_choices(transcript) == ["S2", "S3", "S10", "Narrator", "S11"]
    assert speaker_choices(Of(segments=[Of(speaker=None)], speakers=[])) == ["S1"]


def test_a_form_sets_or_clears_a_speaker_and_a_blank_one_saves_neither(client, story, web_archive):
    edit = f"/stories/{story}/edit"
    first, _ = _segments(web_archive, story)
    _sign_in(client, "Vera")
    form = _form(client.get(edit).text, first.id)
    assert client.post(edit, data=form | {"text": "   ", "speaker": "S1"}).status_code == 422
    assert _segments(web_archive, story)[0].speaker is None  # not saved before the text was refused
    assert client.post(edit, data=form | {"speaker": "S1"}, follow_redirects=False).status_code == 303
    assert _segments(web_archive, story)[0].speaker == "S1"
    form = _form(client.get(edit).text, first.id)
    assert client.post(edit, data=form | {"speaker": ""}, follow_redirects=False).status_code == 303
    assert _segments(web_archive, story)[0].speaker is None
    lost = client.post(edit, data=form | {"segment": "1.5"})  # a number, but no segment's
    assert lost.status_code == 422 and "the form lost its segment or revision" in lost.text


def test_the_editor_names_every_language_spoken_and_starts_where_it_is_asked(client, story, web_archive):
    mixed = add_story(web_archive, "Mixed", "en", [(0.0, 4.0, "We pumped it dry."),
                                                    (4.0, 8.0, "Woda przyszła w nocy.", None, "pl")])
    _sign_in(client, "Vera")
    page = client.get(f"/stories/{mixed}/edit").text
    data = json.loads(html.unescape(re.search(r'id="editor-data">(.*?)</script>', page, re.DOTALL).group(1)))
    assert data["language_names"] == {"en": "English", "pl": "Polish"}
    for asked, start in (("12.5", "12.5"), ("-5", "0.0"), ("soon", "0.0")):
        page = client.get(f"/stories/{mixed}/edit", params={"t": asked}).text
        assert re.search(r'id="editor" [^>]*data-start="([^"]*)"', page).group(1) == start, asked
