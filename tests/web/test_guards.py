"""What the web archive guards: limits while streaming, file types by content, generated
names, cross-site requests, and failed uploads that keep the form."""

import asyncio
import re
from dataclasses import replace

import pytest
from starlette.testclient import TestClient

from storyatlas.archive import Viewer, accounts
from storyatlas.errors import UploadError
from storyatlas.web.app import create_app
from storyatlas.web.intake import metadata_from
from storyatlas.web.security import new_token, same_origin
from storyatlas.web.uploads import read_multipart
from tests.conftest import DATA, story_file

KEEPER = Viewer.keeper()  # the archive's own tools: every story


def _files(*items):
    return [("files", item) for item in items]


def _state(app):
    archive = app.state.archives.get()
    leftovers = [p for p in (app.state.settings.media_dir / "tmp").rglob("*") if p.is_file()]
    return archive.count_stories(KEEPER), leftovers


class _Stream:
    """A request whose body arrives in chunks, counting how much the server read."""

    def __init__(self, body: bytes, boundary: str, chunk: int = 64 * 1024) -> None:
        self.headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
        self.body, self.chunk, self.read = body, chunk, 0

    async def stream(self):
        for i in range(0, len(self.body), self.chunk):
            self.read += self.chunk
            yield self.body[i:i + self.chunk]


def test_the_size_limit_stops_reading_as_soon_as_it_is_passed(tmp_path):
    boundary = "b0undary"
    big = b"\0" * (10 * 1024 * 1024)
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.wav\"\r\n\r\n"
            .encode() + big + f"\r\n--{boundary}--\r\n".encode())
    request = _Stream(body, boundary)
    with pytest.raises(UploadError, match="bigger than the") as refused:
        asyncio.run(read_multipart(request, tmp_path, max_file_bytes=1024 * 1024))
    assert refused.value.status == 413
    assert request.read <= 1024 * 1024 + 2 * request.chunk  # stopped at the limit, not at the end
    assert list(tmp_path.iterdir()) == []  # the partial file is gone


def _form(*parts: tuple[str, bytes], boundary: str = "b0undary") -> _Stream:
    """A multipart body of (Content-Disposition's parameters, content) parts."""
    body = b"".join(f"--{boundary}\r\nContent-Disposition: form-data; {disposition}\r\n\r\n".encode() + content
                    + b"\r\n" for disposition, content in parts)
    return _Stream(body + f"--{boundary}--\r\n".encode(), boundary)


@pytest.mark.parametrize("parts, message", [
    ([(f'name="files"; filename="{i}.ogg"', b"x") for i in range(51)], "at most 50 files in one upload"),
    ([('name="description"', b"x" * (64 * 1024 + 1))], "a form field is too long"),
    # each header under python-multipart's own limits (8 headers of 4 KB), together over ours
    ([('name="files"; filename="a.ogg"' + "".join(f"\r\nX-Pad-{i}: {'x' * 4000}" for i in range(5)), b"x")],
     "a part of the form has headers that are too long"),
])
def test_a_form_past_a_limit_is_refused_as_it_streams_and_leaves_nothing(tmp_path, parts, message):
    with pytest.raises(UploadError, match=message) as refused:
        asyncio.run(read_multipart(_form(*parts), tmp_path, max_file_bytes=1024 * 1024))
    assert refused.value.status == 413
    assert list(tmp_path.iterdir()) == []


def test_an_upload_over_the_limit_is_refused_and_leaves_nothing(settings):
    app = create_app(replace(settings, max_file_bytes=20_000))
    with TestClient(app) as client:
        response = client.post("/api/stories", files=_files(("story.ogg", story_file("en").read_bytes())))
        assert response.status_code == 413 and "bigger than the" in response.json()["error"]
        assert _state(app) == (0, [])


def test_a_recording_longer_than_the_duration_limit_is_refused(settings):
    app = create_app(replace(settings, max_duration_s=5))
    with TestClient(app) as client:
        response = client.post("/api/stories", files=_files(("long.ogg", story_file("en").read_bytes())))
        assert response.status_code == 422
        assert "longer than the" in response.json()["stories"][0]["error"]
        assert _state(app) == (0, [])


def test_the_file_type_is_decided_by_the_content_not_the_name_or_type(client, app):
    fake = ("story.mp3", b"<html>not sound</html>" * 100, "audio/mpeg")
    real = ("holiday.jpg", story_file("es").read_bytes(), "image/jpeg")
    results = client.post("/api/stories", files=_files(fake, real)).json()["stories"]
    assert "not a recording that can be read" in results[0]["error"] and results[0]["error"].startswith("story.mp3")
    assert results[1]["story_id"] == 1
    media = app.state.archives.get().media(1, "original", KEEPER)
    assert media.path.endswith(".ogg") and media.original_filename == "holiday.jpg"


def test_uploads_are_stored_under_generated_names(client, app):
    name = "../../../../tmp/evil.ogg"
    story_id = client.post("/api/stories", files=_files((name, story_file("pl").read_bytes()))).json()["stories"][0]["story_id"]
    media = app.state.archives.get().media(story_id, "original", KEEPER)
    assert re.fullmatch(r"originals/[0-9a-f]{2}/[0-9a-f]{64}\.ogg", media.path)
    assert media.original_filename == name
    assert app.state.archives.get().story(story_id, KEEPER).title == "evil"


def test_requests_from_another_site_are_refused(client):
    # "null": what a sandboxed frame or a data: page sends, from no site at all
    # and another port of this machine: another program, not this archive
    for origin in ("http://evil.example", "null", "http://testserver.evil.example", "http://testserver:8080"):
        for method, path in (("post", "/api/stories"), ("post", "/api/uploads"), ("post", "/upload")):
            response = getattr(client, method)(path, headers={"origin": origin}, files=_files(("a.ogg", b"x")))
            assert response.status_code == 403 and "came from another site" in response.text, (origin, path)


def test_only_this_sites_origin_or_none_at_all_passes():
    assert same_origin({}, "testserver")  # a program: curl sends no Origin and carries no cookies
    assert same_origin({"origin": "http://archive.example:8000"}, "archive.example:8000")
    # no site at all, even for a request that names no host (one the allowed hosts let through)
    for origin in ("null", ""):
        assert not same_origin({"origin": origin}, "") and not same_origin({"origin": origin}, "testserver")


def test_a_form_without_its_csrf_token_is_refused_and_keeps_its_contents(client, settings):
    client.get("/upload")  # sets the csrf cookie
    response = client.post("/upload", data={"place": "Görlitz, Sachsen, DE", "collection": "Flut"},
                           files=_files(("a.ogg", story_file("de").read_bytes())))
    assert response.status_code == 403 and "The form had expired" in response.text
    assert 'value="Görlitz, Sachsen, DE"' in response.text and 'value="Flut"' in response.text
    assert not any((settings.media_dir / "tmp" / "uploads").iterdir())  # the file it carried is not kept


def test_a_form_whose_browser_holds_no_token_is_refused(client, settings):
    """A form carrying a token, from a browser that was never given one (its cookie gone)."""
    token = _token(client)
    client.cookies.clear()
    response = client.post("/upload", data={"csrf_token": token, "place": "Görlitz, Sachsen, DE"},
                           files=_files(("a.ogg", story_file("de").read_bytes())))
    assert response.status_code == 403 and "The form had expired" in response.text


def test_a_pages_token_cannot_be_guessed():
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100 and min(map(len, tokens)) >= 32  # 24 random bytes


def _token(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/upload").text).group(1)


def test_a_refused_upload_shows_why_in_the_page_and_keeps_the_form(client, app):
    response = client.post("/upload", data={"csrf_token": _token(client), "place": "Lyon, FR",
                                            "description": "Notre école"},
                           files=_files(("notes.m4a", (DATA / "make_speech.py").read_bytes())))
    assert response.status_code == 422
    assert "notes.m4a: not a recording that can be read" in response.text
    assert 'value="Lyon, FR"' in response.text and ">Notre école</textarea>" in response.text
    assert _state(app) == (0, [])


def test_the_upload_form_works_without_javascript(client, app):
    response = client.post("/upload", data={"csrf_token": _token(client), "collection": "Workshop"},
                           files=_files(("one.ogg", story_file("fr").read_bytes()),
                                        ("two.ogg", story_file("es").read_bytes())))
    assert response.status_code == 201
    # received, and waiting for a moderator: no link to a page nobody may see yet
    results = response.text.split('<ul class="upload-results"')[1].split("</ul>")[0]
    assert results.count("It will be published once a moderator has heard it.") == 2
    assert "/stories/" not in results
    assert [s.collection for s in app.state.archives.get().stories(KEEPER)] == ["Workshop", "Workshop"]


@pytest.mark.parametrize("field, value, message", [
    ("recorded_on", "last spring", "must look like 2026"),
    ("language", "German", "must be a code"),
    ("visibility", "everyone", "must be one of public"),
])
def test_bad_metadata_is_explained(client, field, value, message):
    response = client.post("/api/stories", data={field: value}, files=_files(("a.ogg", story_file("fr").read_bytes())))
    assert response.status_code == 422 and message in response.json()["error"]


def test_form_fields_are_tidied_bounded_and_read_as_people_and_programs_write_them():
    meta = metadata_from({"title": "  The   night\n the river came ", "storyteller": "x" * 600,
                          "recorded_on": "2026-03-14", "storyteller_naming": "first"}, KEEPER)
    assert meta.title == "The night the river came" and meta.storyteller == "x" * 500
    assert meta.storyteller_naming == "first" and not meta.exportable
    meta = metadata_from({"description": "  " + "y" * 6000, "language": "DE", "visibility": "private"}, Viewer())
    assert meta.description == "y" * 5000 and meta.language_hint == "de"
    assert (meta.visibility, meta.requested_visibility) == ("private", None)  # private asks nobody for anything
    def exportable(value):
        return metadata_from({"exportable": value}, KEEPER).exportable

    assert [exportable(v) for v in ("yes", "on", "true", "1", "TRUE")] == [True] * 5
    assert [exportable(v) for v in ("no", "", "0", "off")] == [False] * 4
    with pytest.raises(UploadError, match="must look like 2026"):
        metadata_from({"recorded_on": "2026-03-14 at noon"}, KEEPER)


def test_a_body_that_is_not_multipart_is_refused(client):
    response = client.post("/api/stories", content=b"hello", headers={"content-type": "text/plain"})
    assert response.status_code == 415 and "multipart/form-data" in response.json()["error"]


def test_a_recording_already_in_the_archive_is_said_to_be_there_only_to_who_may_see_it(app, client):
    accounts.add_user(app.state.archives.get(), "Ada", "correct horse battery", [("admin", None)], KEEPER)
    client.post("/login", data={"csrf_token": _token(client), "name": "Ada", "password": "correct horse battery"})
    recording = story_file("fr").read_bytes()
    client.post("/upload", data={"csrf_token": _token(client), "visibility": "private"},
                files=_files(("crue.ogg", recording)))
    [story] = app.state.archives.get().stories(KEEPER)

    again = client.post("/upload", data={"csrf_token": _token(client)}, files=_files(("crue-copie.ogg", recording)))

    results = again.text.split('<ul class="upload-results"')[1].split("</ul>")[0]
    assert "crue-copie.ogg: <span class=\"duplicate\">Already in the archive</span>" in results
    assert f'href="/stories/{story.id}"' in results and "teller-link" not in results
    assert _state(app)[0] == 1

    # to a visitor who may not see the private story, the same recording is a story of its own
    client.cookies.clear()
    anonymous = client.post("/upload", data={"csrf_token": _token(client)}, files=_files(("crue.ogg", recording)))
    results = anonymous.text.split('<ul class="upload-results"')[1].split("</ul>")[0]
    assert "Already in the archive" not in results and f"/stories/{story.id}" not in results
    assert "teller-link" in results and _state(app)[0] == 2
