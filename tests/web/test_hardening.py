"""What an attacker tried against the web archive, and how each is refused now: host names
it does not answer to, too many or too large uploads from one client, pieces that race each
other, huge forms, a full disk, and lists that make FFmpeg read another person's upload."""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import replace

import httpx
import pytest
from starlette.convertors import IntegerConvertor
from starlette.requests import Request
from starlette.testclient import TestClient

from storyatlas.archive import Viewer, accounts
from storyatlas.errors import ConfigurationError, UploadError
from storyatlas.ingest.store import clean_scratch
from storyatlas.settings import DEFAULT_ALLOWED_HOSTS, load_settings
from storyatlas.web import RowId
from storyatlas.web.app import create_app
from storyatlas.web.security import read_form
from storyatlas.web.uploads import MAX_FIELDS, ResumableUploads, read_multipart
from tests.conftest import story_file
from tests.web.test_guards import _Stream


def _stories(app) -> int:
    return app.state.archives.get().conn.execute("SELECT count(*) FROM stories").fetchone()[0]


def _tmp_files(app) -> list:
    return [p for p in (app.state.settings.media_dir / "tmp").rglob("*") if p.is_file()]


def _upload(client, data: bytes) -> str:
    upload = client.post("/api/uploads").json()["id"]
    assert client.put(f"/api/uploads/{upload}", content=data, headers={"upload-offset": "0"}).status_code == 200
    return upload


# host names

def test_a_request_for_another_host_name_is_refused(client):
    answer = client.get("/openapi.json", headers={"host": "evil.example"})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert "does not answer to the host name 'evil.example'" in error and "STORYATLAS_ALLOWED_HOSTS" in error
    assert answer.json()["status"] == 400  # as every error of the API says it
    page = client.get("/", headers={"host": "rebound.attacker.example:8000"})
    assert page.status_code == 400 and "rebound.attacker.example" in page.text
    assert client.get("/openapi.json").status_code == 200  # testserver, allowed by the fixture
    assert client.get("/openapi.json", headers={"host": "contestserver"}).status_code == 400  # ends like it
    malformed = client.get("/openapi.json", headers={"host": "testserver:8o8o"})  # the allowed name, a bad port
    assert malformed.status_code == 400 and "missing or malformed host name" in malformed.json()["error"]


def test_the_refusal_of_a_host_name_is_said_in_the_readers_language(client):
    page = client.get("/", headers={"host": "192.168.1.20:8000", "accept-language": "pl"})
    assert page.status_code == 400
    assert page.text.startswith("To archiwum nie odpowiada na nazwę hosta '192.168.1.20'")
    answer = client.get("/api/stories?lang=de", headers={"host": "archiv.example"})
    assert answer.json()["error"].startswith("dieses Archiv antwortet nicht auf den Hostnamen 'archiv.example'")


def test_by_default_only_this_machines_names_are_answered(settings):
    app = create_app(replace(settings, allowed_hosts=DEFAULT_ALLOWED_HOSTS))
    with TestClient(app) as c:
        assert c.get("/openapi.json").status_code == 400  # "testserver"
        for host in ("127.0.0.1:8000", "localhost", "[::1]:8000", "LOCALHOST:8000"):
            assert c.get("/openapi.json", headers={"host": host}).status_code == 200, host
    served = replace(settings, allowed_hosts=DEFAULT_ALLOWED_HOSTS).allowing_host("192.168.1.20")
    with TestClient(create_app(served)) as c:  # `storyatlas serve --host 192.168.1.20`
        assert c.get("/openapi.json", headers={"host": "192.168.1.20:8000"}).status_code == 200


def test_a_star_answers_any_host_and_a_wildcard_its_subdomains(settings):
    with TestClient(create_app(replace(settings, allowed_hosts=("*",)))) as c:
        assert c.get("/openapi.json", headers={"host": "anything.example"}).status_code == 200
        assert c.get("/openapi.json", headers={"host": "anything:8o8o"}).status_code == 200  # any means any
    with TestClient(create_app(replace(settings, allowed_hosts=("*.atlas.example",)))) as c:
        assert c.get("/openapi.json", headers={"host": "eu.atlas.example"}).status_code == 200
        assert c.get("/openapi.json", headers={"host": "atlas.example.evil"}).status_code == 400
        assert c.get("/openapi.json", headers={"host": "evilatlas.example"}).status_code == 400


def test_the_allowed_hosts_come_from_the_environment_and_are_checked(tmp_path):
    env = {"STORYATLAS_ARCHIVE": str(tmp_path), "STORYATLAS_ALLOWED_HOSTS": "Archive.example.org, *.atlas.example"}
    assert load_settings(env=env).allowed_hosts == ("archive.example.org", "*.atlas.example")
    assert load_settings(env={"STORYATLAS_ARCHIVE": str(tmp_path)}).allowed_hosts == DEFAULT_ALLOWED_HOSTS
    for bad in ("archive*.example.org", "http://archive.example.org", " , "):
        with pytest.raises(ConfigurationError, match="allowed_hosts"):
            load_settings(env={**env, "STORYATLAS_ALLOWED_HOSTS": bad})
    assert load_settings(env={**env, "STORYATLAS_MIN_FREE_BYTES": "0"}).min_free_bytes == 0


# resumable uploads: how many, how big, one piece at a time

def test_one_client_may_hold_only_a_few_unfinished_uploads(app, client):
    opened = [client.post("/api/uploads") for _ in range(10)]
    assert all(r.status_code == 201 for r in opened)
    refused = client.post("/api/uploads")
    assert refused.status_code == 429
    assert "10 unfinished uploads are already open from your address" in refused.json()["error"]
    with TestClient(app, client=("10.0.0.2", 5000)) as other:  # another address is not held up
        assert other.post("/api/uploads").status_code == 201
    # finishing one makes room again
    upload = opened[0].json()["id"]
    client.put(f"/api/uploads/{upload}", content=story_file("en").read_bytes(), headers={"upload-offset": "0"})
    assert client.post(f"/api/uploads/{upload}/finish").status_code == 201
    assert client.post("/api/uploads").status_code == 201


def test_one_clients_unfinished_uploads_are_limited_in_bytes_together(settings):
    app = create_app(replace(settings, max_file_bytes=100_000))
    with TestClient(app) as client, TestClient(app, client=("10.0.0.2", 5000)) as other:
        _upload(client, b"\1" * 60_000)
        second = client.post("/api/uploads").json()["id"]
        refused = client.put(f"/api/uploads/{second}", content=b"\2" * 50_000, headers={"upload-offset": "0"})
        assert refused.status_code == 413
        assert "from your address would hold more than" in refused.json()["error"]
        assert client.get(f"/api/uploads/{second}").json() == {"offset": 0}  # nothing of it kept
        assert _upload(other, b"\3" * 50_000)  # counted per address


def test_a_piece_past_the_size_limit_is_refused_and_what_came_before_kept(settings):
    app = create_app(replace(settings, max_file_bytes=100_000))
    with TestClient(app) as client:
        upload = _upload(client, b"\1" * 60_000)
        refused = client.put(f"/api/uploads/{upload}", content=b"\2" * 50_000, headers={"upload-offset": "60000"})
        assert refused.status_code == 413 and "bigger than the" in refused.json()["error"]
        assert client.get(f"/api/uploads/{upload}").json() == {"offset": 60_000}


def test_the_archive_takes_in_only_so_many_uploads_at_once(tmp_path):
    uploads = ResumableUploads(tmp_path / "uploads", 1000, max_open_total=2)
    uploads.create("10.0.0.1"), uploads.create("10.0.0.2")
    with pytest.raises(UploadError, match="too many uploads at once") as refused:
        uploads.create("10.0.0.3")
    assert refused.value.status == 503


def test_an_upload_id_cannot_name_a_file_outside_the_uploads_folder(tmp_path):
    """The web's route takes no "/", but the library is called with what it is given."""
    uploads = ResumableUploads(tmp_path / "uploads", 1000)
    (tmp_path / "uploads").mkdir()
    (tmp_path / "elsewhere.part").write_bytes(b"not an upload")
    with pytest.raises(UploadError, match="unknown upload") as refused:
        uploads.offset("../elsewhere")
    assert refused.value.status == 404
    # an id is the whole name: "$" let one end in a line end, a name no upload is given
    (tmp_path / "uploads" / f"{'a' * 16}\n.part").write_bytes(b"not an upload")
    with pytest.raises(UploadError, match="^unknown upload$"):
        uploads.offset(f"{'a' * 16}\n")


def test_pieces_of_one_upload_are_taken_one_at_a_time(app):
    recording = story_file("en").read_bytes()
    half = len(recording) // 2

    async def scenario():
        first_written, go = asyncio.Event(), asyncio.Event()

        async def slow_piece():
            yield recording[:half]
            first_written.set()  # the server asks for more only once it has written the first part
            await go.wait()
            yield recording[half:]

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            upload = (await c.post("/api/uploads")).json()["id"]
            sending = asyncio.create_task(
                c.put(f"/api/uploads/{upload}", content=slow_piece(), headers={"upload-offset": "0"}))
            await asyncio.wait_for(first_written.wait(), 10)
            racing = await c.put(f"/api/uploads/{upload}", content=b"\0" * 5000, headers={"upload-offset": "0"})
            early = await c.post(f"/api/uploads/{upload}/finish")
            go.set()
            sent = await sending
            finished = await c.post(f"/api/uploads/{upload}/finish", data={"title": "River"})
            return upload, racing, early, sent, finished

    upload, racing, early, sent, finished = asyncio.run(scenario())
    assert racing.status_code == 409 and "another piece of this upload is being sent" in racing.json()["error"]
    assert early.status_code == 409 and "still being sent" in early.json()["error"]
    assert sent.status_code == 200 and sent.json() == {"offset": len(recording)}
    assert finished.status_code == 201, finished.text
    story = finished.json()["story_id"]
    sha = app.state.archives.get().conn.execute(
        "SELECT sha256, size_bytes FROM media WHERE story_id = ? AND role = 'original'", (story,)).fetchone()
    assert tuple(sha) == (hashlib.sha256(recording).hexdigest(), len(recording))  # all of it, nothing else
    assert not (app.state.settings.media_dir / "tmp" / "uploads" / f"{upload}.part").exists()


@pytest.mark.parametrize("request_kind", ["piece", "finish"])
def test_an_upload_finished_while_another_request_opened_it_is_not_written_to_or_taken_again(
        app, client, monkeypatch, request_kind):
    from storyatlas.web import uploads as module

    recording = story_file("en").read_bytes()
    upload = _upload(client, recording)
    part = app.state.settings.media_dir / "tmp" / "uploads" / f"{upload}.part"
    lock = module._lock

    def finished_meanwhile(f, busy):
        # another request finished the upload (and removed its file) after this one opened it
        part.unlink()
        lock(f, busy)
    monkeypatch.setattr(module, "_lock", finished_meanwhile)
    if request_kind == "piece":
        late = client.put(f"/api/uploads/{upload}", content=b"\0" * 5000,
                          headers={"upload-offset": str(len(recording))})
    else:
        late = client.post(f"/api/uploads/{upload}/finish", data={"title": "River"})
    assert late.status_code == 404 and "unknown or expired upload" in late.json()["error"]  # not 200: not lost
    assert not part.exists() and _stories(app) == 0


def test_finishing_with_a_huge_form_is_refused(client):
    upload = _upload(client, story_file("en").read_bytes())
    refused = client.post(f"/api/uploads/{upload}/finish", data={f"field{i}": "x" for i in range(25)})
    assert refused.status_code == 413 and "holds at most 20 fields of at most 64 KB" in refused.json()["error"]
    long_field = client.post(f"/api/uploads/{upload}/finish", data={"description": "x" * 70_000})
    assert long_field.status_code == 413
    with_file = client.post(f"/api/uploads/{upload}/finish", files={"files": ("s.ogg", b"x")})
    assert with_file.status_code == 413 and "and no file" in with_file.json()["error"]
    assert client.post(f"/api/uploads/{upload}/finish").status_code == 201  # the upload was kept


# forms

def test_a_form_with_too_many_fields_is_refused(app, client):
    fields = {f"field{i}": "x" for i in range(MAX_FIELDS + 1)}
    refused = client.post("/api/stories", data=fields, files=[("files", ("s.ogg", story_file("en").read_bytes()))])
    assert refused.status_code == 413 and f"more than {MAX_FIELDS} fields" in refused.json()["error"]
    big = {f"field{i}": "x" * 60_000 for i in range(20)}  # 1.2 MB of text
    refused = client.post("/api/stories", data=big, files=[("files", ("s.ogg", story_file("en").read_bytes()))])
    assert refused.status_code == 413 and "KB in all" in refused.json()["error"]
    assert _stories(app) == 0 and _tmp_files(app) == []


def test_a_pages_form_is_small_and_text_only(app, client):
    """The forms of the pages (sign-in, consent, themes, corrections): at most 1 MB and 1000
    fields, and no files; anything larger is refused, in the reader's language, before the
    page's work begins (it was Starlette's English, saying nothing of what to do)."""
    accounts.add_user(app.state.archives.get(), "Ada", "s3cret-admin-pass", [("admin", None)], Viewer.keeper())
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    sign_in = {"csrf_token": token, "name": "Ada", "password": "s3cret-admin-pass"}
    too_many = {f"f{i}": "x" for i in range(1000)}
    for refused in (client.post("/login", data=sign_in | too_many),
                    client.post("/login", data=sign_in | {"next": "/" + "x" * 1024 * 1024}),
                    client.post("/login", data=sign_in | {f"f{i}": "x" * 60_000 for i in range(20)}),
                    client.post("/login", data=sign_in, files={"photo": ("a.png", b"x")})):
        assert refused.status_code == 413, refused.text
        assert "at most 1024 KB and 1000 fields, and no files); reload the page" in refused.text
    in_polish = client.post("/login", data=sign_in | too_many, headers={"accept-language": "pl"})
    assert "najwyżej 1024 KB i 1000 pól" in in_polish.text
    garbled = client.post("/login", content=b"--x\r\nname=Ada", headers={"content-type": "multipart/form-data"})
    assert garbled.status_code == 400 and "The form could not be read" in garbled.text  # not "too large"
    assert app.state.archives.get().conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
    within = sign_in | {f"f{i}": "x" for i in range(990)} | {"note": "x" * 200_000}
    assert client.post("/login", data=within, follow_redirects=False).status_code == 303


def test_a_form_is_read_no_further_than_its_limit():
    """A form larger than the limit (here 6.4 MB, sent without a length) is refused once the
    limit is passed: the rest is never read."""
    received = []

    async def receive() -> dict:
        received.append(1)
        return {"type": "http.request", "body": b"x" * 64 * 1024, "more_body": len(received) < 100}

    scope = {"type": "http", "method": "POST", "path": "/login", "query_string": b"",
             "headers": [(b"host", b"testserver"), (b"content-type", b"application/x-www-form-urlencoded")]}
    with pytest.raises(UploadError, match="at most 1024 KB") as refused:
        asyncio.run(read_form(Request(scope, receive)))
    assert refused.value.status == 413
    assert len(received) == 17  # 1 MB and the chunk that passed it


def test_thousands_of_large_fields_are_not_held_in_memory(tmp_path):
    boundary = "b0undary"
    field = "".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\n{'x' * 60_000}\r\n"
                    for i in range(6000)) + f"--{boundary}--\r\n"
    request = _Stream(field.encode(), boundary)
    with pytest.raises(UploadError, match="KB in all") as refused:
        asyncio.run(read_multipart(request, tmp_path, 10**9))
    assert refused.value.status == 413
    assert request.read < 2 * 1024 * 1024  # stopped after about 1 MB of the 360 MB


# a full disk

def test_uploads_are_refused_while_the_disk_is_nearly_full(settings):
    app = create_app(settings)
    full = create_app(replace(settings, min_free_bytes=10**18))  # the same archive, a disk that never has room
    with TestClient(app) as client, TestClient(full) as on_full:
        upload = client.post("/api/uploads").json()["id"]
        for answer in (
            on_full.post("/api/uploads"),
            on_full.put(f"/api/uploads/{upload}", content=b"\0" * 1000, headers={"upload-offset": "0"}),
            on_full.post("/api/stories", files=[("files", ("s.ogg", story_file("en").read_bytes()))]),
        ):
            assert answer.status_code == 507
            assert "the archive's disk is nearly full" in answer.json()["error"]
        assert client.get(f"/api/uploads/{upload}").json() == {"offset": 0}
    assert _stories(app) == 0


# a list naming someone else's upload

def test_a_concat_list_cannot_read_another_persons_upload(app, client):
    victim = _upload(client, story_file("en").read_bytes())  # someone's recording, not finished yet
    listing = f"ffconcat version 1.0\nfile '{victim}.part'\nfile 'uploads/{victim}.part'\n".encode()
    playlist = f"#EXTM3U\n#EXT-X-TARGETDURATION:20\n#EXTINF:18.0,\n{victim}.part\n#EXT-X-ENDLIST\n".encode()
    answer = client.post("/api/stories", files=[("files", ("mine.ffconcat", listing)),
                                                ("files", ("mine.m3u8", playlist))])
    results = answer.json()["stories"]
    assert answer.status_code == 422
    assert "list of other files" in results[0]["error"] and "playlist" in results[1]["error"]
    assert _stories(app) == 0
    sneaky = _upload(client, listing)  # the same list sent as a resumable upload
    refused = client.post(f"/api/uploads/{sneaky}/finish").json()
    assert "list of other files" in refused["error"] and _stories(app) == 0
    assert client.get(f"/api/uploads/{victim}").json()["offset"] == len(story_file("en").read_bytes())


# what a crash left behind

def test_the_web_app_removes_what_a_crash_left_when_it_starts(settings):
    uploads = settings.media_dir / "tmp" / "uploads"
    uploads.mkdir(parents=True)
    (uploads / "Zq4xR2v9Tn8wLp3sYb6kHd1m.part").write_bytes(b"\0" * 1000)
    (settings.media_dir / "tmp" / "tmpk3j2" / "speech.wav").parent.mkdir()
    (settings.media_dir / "tmp" / "tmpk3j2" / "speech.wav").write_bytes(b"\0" * 1000)
    app = create_app(settings)
    with TestClient(app) as client:
        assert list((settings.media_dir / "tmp").iterdir()) == []
        assert client.post("/api/uploads").status_code == 201  # and uploads work as before
    left = settings.media_dir / "tmp" / "tmpz9y8" / "speech.wav"
    left.parent.mkdir()
    left.write_bytes(b"\0" * 1000)  # what this server leaves as it stops, killed mid-work
    clean_scratch(settings.media_dir)  # the next start: the stopped server holds the folder no more
    assert list((settings.media_dir / "tmp").iterdir()) == []


@pytest.mark.parametrize("number", ["9" * 20, str(2**63), "0" * 19 + "1"])
def test_an_id_too_large_for_the_database_is_not_found_not_a_server_error(client, app, number):
    numbered = [r for r in app.routes if any(isinstance(c, IntegerConvertor)
                                             for c in getattr(r, "param_convertors", {}).values())]
    # every number in a path is a row's id, bounded
    assert numbered and all(isinstance(c, RowId) for r in numbered for c in r.param_convertors.values()
                            if isinstance(c, IntegerConvertor))
    for route in numbered:
        for method in route.methods - {"HEAD"}:
            path = re.sub(r"{\w+:rowid}", number, route.path).replace("{fmt}", "txt").replace("{kind}", "listen.webm")
            response = client.request(method, path)
            assert response.status_code == 404, (method, path, response.text[:200])
    assert "does not exist" in client.get(f"/stories/{number}").text
    # an id of a size the database takes still reaches its route, which says whose story is missing
    assert "there is no story 123456789012345678" in client.get("/api/stories/123456789012345678").json()["error"]


@pytest.mark.parametrize("number", ["9" * 20, str(2**63), "²"])
def test_an_id_typed_into_a_form_that_is_no_rows_id_is_refused_not_a_server_error(app, web_archive, number):
    from tests.conftest import add_story
    from tests.web.test_corrections_api import KEEPER, LINES, PASSWORD, _sign_in

    accounts.add_user(web_archive, "Ada", PASSWORD, [("admin", None), ("volunteer", None)], KEEPER)
    story = add_story(web_archive, "The flood", "en", LINES, community="Zgorzelec")
    client = TestClient(app, base_url="http://testserver", raise_server_exceptions=False)
    _sign_in(client, "Ada")

    def post(path: str, **fields: str) -> httpx.Response:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)
        return client.post(path, data={"csrf_token": token, **fields})

    # answered as an id no row has: nothing found, said so
    removed = post(f"/moderate/stories/{story}", action="index_remove", point=number)
    assert removed.status_code == 422 and "No such index point" in removed.text
    reviewed = post("/moderate/review", story=number, action="publish")
    assert reviewed.status_code == 404 and "is not waiting for your review" in reviewed.text
    edited = post(f"/stories/{story}/edit", segment=number, base="0", text="x")
    assert edited.status_code == 422 and "the form lost its segment or revision" in edited.text
    assert client.get("/admin/audit", params={"page": number}).status_code == 200
