"""The correction workbench's JSON API: signed-in volunteers and moderators correct a
transcript, name speakers and restore revisions; a stale edit answers 409; the story
page, captions and search show the result; /openapi.json describes every route."""

from __future__ import annotations

import re

import pytest

from storyatlas.archive import Viewer, accounts
from tests.conftest import add_story

KEEPER = Viewer.keeper("cli:test")
PASSWORD = "correct horse battery"
LINES = [(0.0, 4.0, "We pumped the settler dry.", "Wir pumpten den Keller leer."),
         (4.0, 8.0, "Then the river came back.", "Dann kam der Fluss zurück.")]


def _sign_in(client, name: str) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/login", data={"csrf_token": token, "name": name, "password": PASSWORD},
                       follow_redirects=False).status_code == 303


@pytest.fixture
def story(web_archive) -> int:
    accounts.add_user(web_archive, "Vera", PASSWORD, [("volunteer", None)], KEEPER)
    accounts.add_user(web_archive, "Viktor", PASSWORD, [("volunteer", None)], KEEPER)
    accounts.add_user(web_archive, "Mo", PASSWORD, [("member", "Zgorzelec")], KEEPER)
    return add_story(web_archive, "The flood", "en", LINES, community="Zgorzelec", storyteller_naming="first")


def test_a_volunteer_corrects_names_speakers_and_the_pages_and_search_follow(client, story):
    url = f"/api/stories/{story}"
    assert client.get("/api/search", params={"q": "settler"}).json()["total_stories"] == 1  # cached now
    _sign_in(client, "Vera")
    t = client.get(f"{url}/transcript").json()
    assert (t["revision"], t["editable"]) == (0, True)
    first, second = (s["id"] for s in t["segments"])

    fixed = client.patch(f"{url}/segments/{first}", json={"text": "We pumped the cellar dry.", "base": 0})
    assert fixed.status_code == 200, fixed.text
    body = fixed.json()
    assert body["revision"] == 1 and body["changed"] == 1
    assert body["segments"][0]["text"] == "We pumped the cellar dry." and body["segments"][0]["text_en_stale"]

    split = client.post(f"{url}/segments/{second}/split", json={"at": "0:06", "base": 1}).json()
    # without word timings, the split falls at the word boundary nearest the time's share of the text
    assert [s["text"] for s in split["segments"]][1:] == ["Then the river", "came back."]
    merged = client.post(f"{url}/segments/{second}/merge", json={"base": split["revision"]}).json()
    assert [s["text"] for s in merged["segments"]][1] == "Then the river came back."
    labelled = client.patch(f"{url}/segments/{first}", json={"speaker": "S1", "base": merged["revision"]}).json()
    named = client.post(f"{url}/speakers", json={"label": "S1", "name": "Anna Nowak", "role": "storyteller",
                                                  "base": labelled["revision"]}).json()
    assert named["speakers"] == [{"label": "S1", "name": "Anna Nowak", "role": "storyteller"}]
    replaced = client.post(f"{url}/replace", json={"find": "RIVER", "replace": "Neisse", "case_sensitive": False,
                                                   "base": named["revision"]}).json()
    assert replaced["changed"] == 1 and replaced["revision"] == 6

    # search does not answer from its cache with the old words
    assert client.get("/api/search", params={"q": "settler"}).json()["total_stories"] == 0
    assert client.get("/api/search", params={"q": "cellar"}).json()["total_stories"] == 1
    page = client.get(f"/stories/{story}").text
    assert '<span class="speaker">Anna:</span>' in page and "We pumped the cellar dry." in page
    assert "Nowak" not in page  # the storyteller asked to be named by first name
    assert "<v Anna>We pumped the cellar dry." in client.get(f"/media/{story}/captions.vtt").text
    assert "<v Anna>We pumped the cellar dry." in client.get(f"{url}/export.vtt").text

    listed = client.get(f"{url}/revisions").json()["revisions"]
    assert [(r["number"], r["who"]) for r in listed] == [(n, "Vera") for n in range(6, 0, -1)] + \
           [(0, "machine transcript")]
    compared = client.get(f"{url}/revisions/1", params={"compare": 0}).json()
    assert compared["changes"] == [{"start": 0.0, "end": 4.0, "before": "We pumped the settler dry.",
                                    "after": "We pumped the cellar dry."}]
    restored = client.post(f"{url}/revisions/0/restore", json={"base": 6}).json()
    assert restored["revision"] == 7 and [s["text"] for s in restored["segments"]] == [x[2] for x in LINES]
    assert restored["speakers"] == [] and restored["segments"][0]["speaker"] is None


def test_a_stale_edit_is_refused_with_409_naming_who_saved_first(client, story):
    _sign_in(client, "Vera")
    url = f"/api/stories/{story}"
    first = client.get(f"{url}/transcript").json()["segments"][0]["id"]
    assert client.patch(f"{url}/segments/{first}", json={"text": "We pumped the cellar dry.", "base": 0}
                        ).status_code == 200
    _sign_in(client, "Viktor")
    stale = client.patch(f"{url}/segments/{first}", json={"text": "We pumped the cellars dry.", "base": 0})
    assert stale.status_code == 409
    assert stale.json()["status"] == 409 and "Vera saved revision 1" in stale.json()["error"]
    assert "reload" in stale.json()["error"]
    assert client.get(f"{url}/transcript").json()["segments"][0]["text"] == "We pumped the cellar dry."


def test_an_edit_from_before_the_story_was_transcribed_again_is_refused_with_409(client, story, web_archive):
    from tests.archive.test_transcribed_again import AGAIN, transcribe_again

    _sign_in(client, "Vera")
    url = f"/api/stories/{story}"
    first = client.get(f"{url}/transcript").json()["segments"][0]["id"]  # loaded at revision 0
    transcribe_again(web_archive, story, AGAIN)  # still revision 0: only the segments tell
    stale = client.patch(f"{url}/segments/{first}", json={"text": "We pumped the cellars dry.", "base": 0})
    assert stale.status_code == 409 and "reload the transcript" in stale.json()["error"]
    assert [s["text"] for s in client.get(f"{url}/transcript").json()["segments"]] == [x[2] for x in AGAIN]


def test_who_may_correct_through_the_api(client, story, web_archive):
    url = f"/api/stories/{story}"
    first = client.get(f"{url}/transcript").json()["segments"][0]["id"]
    edit = {"text": "Mine.", "base": 0}
    assert client.get(f"{url}/transcript").json()["editable"] is False  # anonymous may read, not edit
    assert client.patch(f"{url}/segments/{first}", json=edit).status_code == 403
    assert client.get(f"{url}/revisions").status_code == 403
    _sign_in(client, "Mo")
    assert client.patch(f"{url}/segments/{first}", json=edit).status_code == 403  # a member, not a volunteer
    _sign_in(client, "Vera")
    assert client.patch(f"{url}/segments/{first}", json=edit,
                        headers={"origin": "https://elsewhere.example"}).status_code == 403
    assert client.patch(f"{url}/segments/{first}", data=edit).status_code == 415  # a form from anywhere
    assert client.patch(f"{url}/segments/{first}", json={"text": "No base."}).status_code == 422
    assert client.patch(f"{url}/segments/{first}", json={"text": " ", "base": 0}).status_code == 422
    assert client.post(f"{url}/segments/{first}/split", json={"at": 9, "base": 0}).status_code == 422
    assert client.patch(f"{url}/segments/999999", json=edit).status_code == 409  # not in it: reload it
    assert client.patch("/api/stories/999/segments/1", json=edit).status_code == 404
    assert client.get(f"{url}/revisions/3").status_code == 404
    private = add_story(web_archive, "Private", "en", LINES, visibility="private")
    assert client.get(f"/api/stories/{private}/transcript").status_code == 404
    assert client.patch(f"/api/stories/{private}/segments/{first}", json=edit).status_code == 404
    assert client.get(f"{url}/revisions").json()["revisions"] == []


def test_openapi_lists_the_correction_routes(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert set(paths["/api/stories/{id}/segments/{segment}"]) == {"patch"}
    for path, method in [("transcript", "get"), ("segments/{segment}/split", "post"),
                         ("segments/{segment}/merge", "post"), ("speakers", "post"), ("replace", "post"),
                         ("revisions", "get"), ("revisions/{number}", "get"), ("revisions/{number}/restore", "post")]:
        operation = paths[f"/api/stories/{{id}}/{path}"][method]
        if method != "get":
            assert "409" in operation["responses"]
            assert "base" in operation["requestBody"]["content"]["application/json"]["schema"]["required"]
    assert "Transcript" in spec["components"]["schemas"]


def test_malformed_requests_are_refused_clearly_and_change_nothing(client, story, app, monkeypatch):
    url = f"/api/stories/{story}"
    _sign_in(client, "Vera")
    first = client.get(f"{url}/transcript").json()["segments"][0]["id"]
    retagged = []
    monkeypatch.setattr(app.state.queue, "retag", lambda: retagged.append(story))
    for method, path, body, said in [
        ("patch", f"segments/{first}", {"base": 0, "speaker": "S1", "text": "   "}, "needs some text"),
        ("patch", f"segments/{first}", {"base": 0, "speaker": "S1", "text": "\x07\x08"}, "needs some text"),
        ("patch", f"segments/{first}", {"base": 0, "speaker": "S1", "text": "x" * 5001}, "at most 5000 characters"),
        ("post", "replace", {"base": 0, "find": "e", "replace": "w" * 4000}, "longer than 5000 characters"),
        ("post", "replace", {"base": 0, "find": "e" * 5001, "replace": "w"}, "at most 5000 characters"),
        ("post", f"segments/{first}/split", {"base": 0, "at": 1e308}, "is not inside the segment"),
        ("post", "replace", {"base": 0, "find": "a", "replace": "b", "case_sensitive": "no"}, "true or false"),
        ("post", f"segments/{first}/split", {"base": 0, "offset": "3"}, "character position"),
        ("post", f"segments/{first}/split", {"base": 0, "at": [6]}, "seconds (12.5)"),
        ("post", "index", {"at": [6], "title": "Cellar"}, '"at" is required'),
        ("post", "index", {"at": 10 ** 400, "title": "Cellar"}, "a time in the recording"),
        ("post", f"segments/{first}/split", {"base": 0, "at": 10 ** 400}, "is not inside the segment"),
        ("post", "index", {"at": 6, "title": "Cellar", "keywords": "mud"}, "must be a list of strings"),
    ]:
        answer = getattr(client, method)(f"{url}/{path}", json=body)
        assert answer.status_code == 422 and said in answer.json()["error"], (path, answer.text)
    for body, status, said in [(b"[1, 2]", 400, "send one JSON object"),
                               (b'{"base": 0, "text": "' + b"x" * 70_000 + b'"}', 413, "at most 64 KB")]:
        answer = client.patch(f"{url}/segments/{first}", content=body, headers={"content-type": "application/json"})
        assert answer.status_code == status and said in answer.json()["error"], answer.text
    t = client.get(f"{url}/transcript").json()
    assert t["revision"] == 0 and t["segments"][0]["speaker"] is None  # the speaker was not saved either
    assert client.get(f"/stories/{story}").status_code == 200 and "Cellar" not in client.get(f"/stories/{story}").text
    # a speaker alone changes no words: the story is not tagged again; a text is
    assert client.patch(f"{url}/segments/{first}", json={"base": 0, "speaker": "S1"}).json()["changed"] == 1
    assert retagged == []
    client.patch(f"{url}/segments/{first}", json={"base": 1, "text": "We pumped the cellar dry."})
    assert retagged == [story]


def test_paging_is_held_within_bounds_and_a_receipt_that_is_not_one_shows_nothing(client, story, web_archive):
    listed = client.get("/api/stories", params={"limit": 100_000, "offset": -5}).json()
    assert (listed["limit"], listed["offset"]) == (100, 0)
    refused = client.get("/api/stories", params={"limit": "all"})
    assert refused.status_code == 400 and "limit must be a whole number" in refused.json()["error"]
    hidden = add_story(web_archive, "Private", "en", LINES, visibility="private")
    for receipt in ("not-a-receipt", ""):
        assert client.get(f"/api/stories/{hidden}/progress", params={"receipt": receipt}).status_code == 404
