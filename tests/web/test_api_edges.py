"""The JSON API at its edges: what a story's answer keeps from those who do not moderate
it, requests from other sites on every route that changes something, odd parameters,
and names that become headers."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from storyatlas.archive import Viewer, accounts
from tests.conftest import add_story, story_file

KEEPER = Viewer.keeper()
LINES = [(0.0, 4.0, "Woda przyszła w nocy.", "The water came in the night.")]
PASSWORD = "a moderator's password"
ELSEWHERE = {"origin": "https://elsewhere.example"}
CONSENT = ("visibility", "requested_visibility", "embargo_until", "declined", "state")


def test_a_storys_consent_is_shown_only_to_its_moderators(app, client, web_archive):
    story = add_story(web_archive, "Powódź", "pl", LINES, community="Zgorzelec", visibility="community",
                      requested_visibility="public", embargo_until="2001-01-01", exportable=True,
                      collection="Powodzie")
    member = add_story(web_archive, "Nasza", "pl", LINES, community="Zgorzelec")
    public = client.get(f"/api/stories/{member}").json()
    assert not set(CONSENT) & set(public) and public["review_state"] == "published"
    # a member hears the story, but what its teller asked of a moderator is not theirs to read
    accounts.add_user(web_archive, "Ala", PASSWORD, [("member", "Zgorzelec")], KEEPER)
    client.post("/login", data={"csrf_token": _token(client), "name": "Ala", "password": PASSWORD})
    exported = client.get(f"/api/stories/{story}/export.json")
    zipped = client.get("/api/collections/Powodzie/export.zip", params={"format": "json"})
    assert exported.status_code == zipped.status_code == 200
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as z:
        in_zip = json.loads(z.read(f"story-{story}.json"))
    for doc in (client.get(f"/api/stories/{story}").json(), exported.json(), in_zip):
        assert not set(CONSENT) & set(doc) and doc["title"] == "Powódź"
    client.post("/logout", data={"csrf_token": _token(client)})

    accounts.add_user(web_archive, "Mod", PASSWORD, [("moderator", "Zgorzelec")], KEEPER)
    client.post("/login", data={"csrf_token": _token(client), "name": "Mod", "password": PASSWORD})
    moderated = client.get(f"/api/stories/{story}").json()
    assert {k: moderated[k] for k in CONSENT} == {"visibility": "community", "requested_visibility": "public",
                                                  "embargo_until": "2001-01-01", "declined": False,
                                                  "state": "waiting"}
    listed = client.get("/api/stories").json()["stories"]
    assert {s["id"]: s["review_state"] for s in listed} == {story: "draft", member: "published"}


def _token(client) -> str:
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)


def test_every_route_that_changes_something_refuses_other_sites(client, web_archive):
    story = add_story(web_archive, "Powódź", "pl", LINES)
    upload = client.post("/api/uploads").json()["id"]
    for method, path, kwargs in [
        ("post", "/api/uploads", {}),
        ("put", f"/api/uploads/{upload}", {"content": b"\0" * 10, "headers": {"upload-offset": "0"}}),
        ("post", f"/api/uploads/{upload}/finish", {}),
        ("post", "/api/stories", {"files": {"files": ("a.ogg", b"\0" * 10)}}),
        ("post", f"/api/stories/{story}/index", {"json": {"at": 1, "title": "Woda"}}),
        ("post", f"/api/stories/{story}/speakers", {"json": {"base": 0, "label": "S1", "name": "Ala"}}),
    ]:
        kwargs.setdefault("headers", {}).update(ELSEWHERE)
        refused = client.request(method.upper(), path, **kwargs)
        assert refused.status_code == 403, path
        assert refused.json()["error"] == "this request came from another site and was refused", path
    assert client.get(f"/api/uploads/{upload}").json() == {"offset": 0}


def test_an_empty_parameter_is_its_default_and_an_unknown_track_no_export(client, web_archive):
    story = add_story(web_archive, "Powódź", "pl", LINES)
    assert client.get("/api/stories", params={"limit": "", "offset": ""}).json()["limit"] == 20
    missing = client.get(f"/api/stories/{story}/export.vtt", params={"track": "de"})
    assert missing.status_code == 404 and "no such export" in missing.json()["error"]
    assert client.get(f"/api/stories/{story}/export.vtt", params={"track": "en"}).status_code == 200


@pytest.mark.parametrize("name, file_name", [
    ('Flood "memories" 1997', "Flood-memories-1997-vtt.zip"),
    ("...", "collection-vtt.zip"),
    ("Powódź", "Pow-d-vtt.zip"),
])
def test_a_collections_name_becomes_a_safe_file_name(client, web_archive, name, file_name):
    add_story(web_archive, "Powódź", "pl", LINES, collection=name)
    answer = client.get(f"/api/collections/{name}/export.zip")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == f'attachment; filename="{file_name}"'


def test_a_recording_sent_in_pieces_keeps_the_name_it_was_given(client, web_archive):
    upload = client.post("/api/uploads").json()["id"]
    client.put(f"/api/uploads/{upload}", content=story_file("en").read_bytes(), headers={"upload-offset": "0"})
    done = client.post(f"/api/uploads/{upload}/finish", data={"filename": "grandmother.ogg"}).json()
    assert web_archive.media(done["story_id"], "original", KEEPER).original_filename == "grandmother.ogg"


def test_an_index_point_with_no_body_says_what_it_needs(app, client, web_archive):
    story = add_story(web_archive, "Powódź", "pl", LINES)
    accounts.add_user(web_archive, "Vera", PASSWORD, [("volunteer", None)], KEEPER)
    client.post("/login", data={"csrf_token": _token(client), "name": "Vera", "password": PASSWORD})
    empty = client.post(f"/api/stories/{story}/index", content=b"", headers={"content-type": "application/json"})
    assert empty.status_code == 422 and empty.json()["error"].startswith('"at" is required')


@pytest.mark.parametrize("body", [b"{", b'{"at": 1,}', b"[" * 5000 + b"]" * 5000,
                                  b'{"a":' * 5000 + b"1" + b"}" * 5000])
def test_a_body_that_is_not_json_is_refused_saying_so(client, web_archive, body):
    # the last two, nested 5,000 deep within the size limit, were a RecursionError: a server error
    story = add_story(web_archive, "Powódź", "pl", LINES)
    _volunteer(client, web_archive)
    for path in (f"/api/stories/{story}/index", f"/api/stories/{story}/segments/1"):
        refused = client.request("POST" if path.endswith("index") else "PATCH", path, content=body,
                                 headers={"content-type": "application/json"})
        assert refused.status_code == 400 and refused.json()["error"] == "the body is not valid JSON"


def test_search_answers_a_page_at_a_time(client, web_archive):
    for title in ("Pierwsza", "Druga", "Trzecia"):
        add_story(web_archive, title, "pl", LINES)

    def page(**params):
        found = client.get("/api/search", params={"q": "woda", **params}).json()
        return found["total_stories"], [s["title"] for s in found["stories"]]

    total, every = page()
    assert total == 3 and len(every) == 3
    assert page(limit=2) == (3, every[:2]) and page(limit=2, offset=2) == (3, every[2:])
    assert page(limit=0) == (3, every[:1]) and page(offset=-4) == (3, every)  # held to what makes sense


def _volunteer(client, web_archive) -> None:
    accounts.add_user(web_archive, "Vera", PASSWORD, [("volunteer", None)], KEEPER)
    client.post("/login", data={"csrf_token": _token(client), "name": "Vera", "password": PASSWORD})


@pytest.mark.parametrize("body, refusal", [
    ({"at": True, "title": "Woda"}, '"at" is required: seconds'),
    ({"at": 1, "title": 5}, "title, synopsis and place must be strings"),
    ({"at": 1, "title": "Woda", "keywords": ["woda", 3]}, "keywords must be a list of strings"),
])
def test_an_index_point_of_the_wrong_shape_is_refused_saying_what_is_wrong(client, web_archive, body, refusal):
    story = add_story(web_archive, "Powódź", "pl", LINES)
    hidden = add_story(web_archive, "Ukryta", "pl", LINES, visibility="private")
    _volunteer(client, web_archive)
    refused = client.post(f"/api/stories/{story}/index", json=body)
    assert refused.status_code == 422 and refusal in refused.json()["error"]
    assert client.post(f"/api/stories/{hidden}/index", content=b"x").status_code == 404  # its existence first


def test_a_correction_of_the_wrong_shape_is_refused_and_a_right_one_counted(client, web_archive):
    story = add_story(web_archive, "Powódź", "pl", LINES)
    _volunteer(client, web_archive)
    segment = client.get(f"/api/stories/{story}/transcript").json()["segments"][0]["id"]
    url = f"/api/stories/{story}"
    for path, body, refusal in [
        (f"segments/{segment}", {"base": 0}, 'send "text" or "speaker"'),
        (f"segments/{segment}", {"base": True, "text": "Woda."}, 'send "base"'),
        ("speakers", {"base": 0, "name": "Ala"}, '"label" must be a string'),
    ]:
        method = "PATCH" if path.startswith("segments") else "POST"
        refused = client.request(method, f"{url}/{path}", json=body)
        assert refused.status_code == 422 and refusal in refused.json()["error"], path
    both = client.patch(f"{url}/segments/{segment}", json={"base": 0, "text": "Woda przyszła.", "speaker": "S1"})
    assert both.json()["changed"] == 2 and both.json()["revision"] == 2
    def latest(language: str) -> str:
        return client.get(f"{url}/revisions", headers={"accept-language": language}).json()["revisions"][0]["summary"]

    assert latest("en").startswith("text at ") and latest("pl").startswith("tekst w ")  # the reader's language


def test_a_search_too_long_to_be_a_query_says_how_long_one_may_be(client, web_archive):
    pasted = " ".join(f"word{i}" for i in range(201))
    refused = client.get("/api/search", params={"q": pasted})
    assert refused.status_code == 422
    assert refused.json()["error"].startswith("a search holds at most 200 words and 2000 characters")
    page = client.get("/search", params={"q": pasted}, headers={"accept-language": "de"})
    assert page.status_code == 422 and "Eine Suche umfasst höchstens 200 Wörter" in page.text
    assert 'name="q" type="search" maxlength="2000"' in client.get("/").text  # the box says so first


def test_every_filter_the_api_documents_is_honoured(client, web_archive):
    add_story(web_archive, "Powódź", "pl", LINES, community="Zgorzelec", region="Lower Silesia", country="PL",
              collection="Floods", recorded_on="1997")
    web_archive.conn.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (1, 'floods', 0.9)")
    documented = {p["name"] for p in client.get("/openapi.json").json()["paths"]["/api/search"]["get"]["parameters"]}
    matching = {"language": "pl", "country": "PL", "region": "Lower Silesia", "community": "Zgorzelec",
                "collection": "Floods", "year": "1997", "theme": "floods", "review_state": "published"}
    assert documented == {"q", "limit", "offset", *matching}

    def total(**filters):
        return client.get("/api/search", params={"q": "woda", **filters}).json()["total_stories"]

    for name, value in matching.items():
        other = {"review_state": "draft", "theme": "war"}.get(name, "zz")
        assert (total(**{name: value}), total(**{name: other})) == (1, 0), name


def test_a_search_answers_the_same_whatever_stories_one_may_not_see_say(client, web_archive):
    """bm25 weighs a word by how many stories of the whole archive say it: a score in the
    answer would tell a visitor that a private story says the word."""
    from storyatlas.archive import index_points
    from storyatlas.archive.records import IndexPoint
    from storyatlas.themes import store

    store.vocabulary(web_archive)
    told = add_story(web_archive, "Alpha", "en", [(0.0, 4.0, "zorblat quaxil meadow")])
    add_story(web_archive, "Gamma", "en", [(0.0, 4.0, "nothing here at all")])
    index_points.add(web_archive, told, IndexPoint(1.0, "zorblat quaxil"), KEEPER)

    def answers():
        return [client.get("/api/search", params={"q": q}).json() for q in ("zorblat", "quaxil")]

    before = answers()
    assert [a["stories"][0]["rank"] for a in before] == [1, 1]
    hidden = add_story(web_archive, "Secret", "en", [(0.0, 4.0, "zorblat river")], visibility="private")
    index_points.add(web_archive, hidden, IndexPoint(1.0, "zorblat"), KEEPER)
    assert answers() == before
