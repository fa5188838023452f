"""Uploads arriving whole or not at all: forms that are not forms or stop short, pieces
sent twice or failing half-way, and what an upload leaves once finished or abandoned."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from dataclasses import replace

import pytest
from starlette.testclient import TestClient

from storyatlas.archive import Archive, Viewer
from storyatlas.errors import UploadError
from storyatlas.web.app import create_app
from storyatlas.web.uploads import ResumableUploads, read_multipart
from tests.conftest import story_file
from tests.web.test_guards import _Stream

BOUNDARY = "b0undary"
FILE_PART = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="a.ogg"\r\n\r\n'.encode()


def _read(body: bytes, folder, content_type: str | None = None):
    request = _Stream(body, BOUNDARY)
    if content_type is not None:
        request.headers = {"content-type": content_type}
    return asyncio.run(read_multipart(request, folder, 10**6))


@pytest.mark.parametrize("content_type", ["text/plain; boundary=b0undary", "multipart/form-data",
                                          "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_a_multipart_form_is_refused(tmp_path, content_type):
    with pytest.raises(UploadError, match="send the form as multipart/form-data") as refused:
        _read(FILE_PART + b"x\r\n--b0undary--\r\n", tmp_path, content_type)
    assert refused.value.status == 415


def test_a_form_cut_off_before_its_end_is_refused_and_nothing_kept(tmp_path):
    """A sender that stopped half-way through a file, closing its side cleanly: the
    parser would take what came as the whole file."""
    recording = story_file("en").read_bytes()
    with pytest.raises(UploadError, match="the upload ended before the form did") as refused:
        _read(FILE_PART + recording[:len(recording) // 2], tmp_path)
    assert refused.value.status == 400 and list(tmp_path.iterdir()) == []
    whole = _read(FILE_PART + recording + f"\r\n--{BOUNDARY}--\r\n".encode(), tmp_path)
    assert [f.path.read_bytes() for f in whole.files] == [recording]


def test_a_malformed_form_is_refused_saying_so(tmp_path):
    with pytest.raises(UploadError, match=r"the upload arrived incomplete or malformed \(.+\); send it again"):
        _read(b"--b0undary\r\nno colon in this header\r\n\r\nv\r\n--b0undary--\r\n", tmp_path)


def test_a_parts_headers_are_limited_in_their_names_too(tmp_path):
    """Each under the parser's own limit of a line, together over this one."""
    names = "".join(f"X-{i}-{'n' * 3900}: y\r\n" for i in range(5))
    body = f"--{BOUNDARY}\r\n{names}\r\nv\r\n--{BOUNDARY}--\r\n".encode()
    with pytest.raises(UploadError, match="headers that are too long") as refused:
        _read(body, tmp_path)
    assert refused.value.status == 413


def test_the_upload_page_keeps_the_disk_free_as_the_api_does(settings):
    full = create_app(replace(settings, min_free_bytes=10**18))
    with TestClient(full) as client:
        client.get("/upload")
        page = client.post("/upload", data={"csrf_token": client.cookies["csrf"]},
                           files={"files": ("s.ogg", story_file("en").read_bytes(), "audio/ogg")})
    assert page.status_code == 507 and "disk is nearly full" in page.text


def _new(client) -> str:
    return client.post("/api/uploads").json()["id"]


def _put(client, upload: str, offset: int, content) -> int:
    return client.put(f"/api/uploads/{upload}", content=content, headers={"upload-offset": str(offset)}).status_code


def test_a_piece_sent_again_is_refused_and_the_upload_left_as_it_was(client):
    upload = _new(client)
    assert _put(client, upload, 0, b"\1" * 1000) == 200
    again = client.put(f"/api/uploads/{upload}", content=b"\1" * 1000, headers={"upload-offset": "0"})
    assert again.status_code == 409 and "this upload continues at byte 1000, not 0" in again.json()["error"]
    assert client.get(f"/api/uploads/{upload}").json() == {"offset": 1000}


def test_an_upload_up_to_the_limit_counts_once_against_its_senders_total(settings):
    """Its own bytes are not counted again as another unfinished upload's."""
    with TestClient(create_app(replace(settings, max_file_bytes=100_000))) as client:
        upload = _new(client)
        assert _put(client, upload, 0, b"\1" * 60_000) == 200
        assert _put(client, upload, 60_000, b"\2" * 40_000) == 200


def test_a_piece_refused_half_way_leaves_only_the_pieces_before_it(tmp_path):
    uploads = ResumableUploads(tmp_path / "uploads", max_bytes=100_000)
    upload = uploads.create()
    asyncio.run(uploads.append(upload, 0, _Stream(b"\1" * 20_000, BOUNDARY)))
    piece = _Stream(b"\2" * 90_000, BOUNDARY, chunk=30_000)  # its third part past the limit
    with pytest.raises(UploadError, match="bigger than the"):
        asyncio.run(uploads.append(upload, 20_000, piece))
    assert piece.read == 90_000 and uploads.offset(upload) == 20_000  # two parts written, then taken back
    assert asyncio.run(uploads.append(upload, 20_000, _Stream(b"\3" * 30_000, BOUNDARY))) == 50_000


def _folder(app) -> list[str]:
    return sorted(p.name for p in (app.state.settings.media_dir / "tmp" / "uploads").iterdir())


def test_a_finished_upload_gives_way_to_its_answer_which_a_finish_sent_again_gets(app, client, web_archive):
    """The answer (and the storyteller's private link in it, said nowhere else) may be lost
    on a phone's connection: the recorder sends the finish again."""
    upload = _new(client)
    assert _put(client, upload, 0, story_file("en").read_bytes()) == 200
    first = client.post(f"/api/uploads/{upload}/finish", data={"title": "Mine"})
    assert first.status_code == 201 and first.json()["link"] == f"/mine/{first.json()['receipt']}"
    assert client.get(f"/api/uploads/{upload}").status_code == 404  # no more pieces
    again = client.post(f"/api/uploads/{upload}/finish", data={"title": "Mine"})
    # the same answer with a new link: the archive keeps no link to give again, only its hash
    renewed = again.json()["receipt"]
    assert again.status_code == 201 and renewed != first.json()["receipt"]
    assert again.json() == first.json() | {"receipt": renewed, "link": f"/mine/{renewed}"}
    assert client.get(f"/mine/{renewed}").status_code == 200
    assert client.get(first.json()["link"]).status_code == 403  # the lost one opens nothing more
    assert web_archive.conn.execute("SELECT count(*) FROM stories").fetchone()[0] == 1
    assert _folder(app) == [f"{upload}.done"]
    kept = app.state.settings.media_dir / "tmp" / "uploads" / f"{upload}.done"
    assert kept.stat().st_mode & 0o777 == 0o600
    assert first.json()["receipt"] not in kept.read_text() and renewed not in kept.read_text()
    notes = _new(client)  # refused as no recording: gone too, not left to be finished again
    assert _put(client, notes, 0, b"just notes\n" * 100) == 200
    refused = client.post(f"/api/uploads/{notes}/finish")
    assert refused.status_code == 422 and client.get(f"/api/uploads/{notes}").status_code == 404
    assert client.post(f"/api/uploads/{notes}/finish").json() == refused.json()
    # kept as long as an unfinished upload would be
    long_ago = time.time() - 2 * app.state.uploads.max_age_s
    for name in _folder(app):
        os.utime(app.state.settings.media_dir / "tmp" / "uploads" / name, (long_ago, long_ago))
    assert client.post(f"/api/uploads/{upload}/finish").status_code == 404
    app.state.uploads.sweep()
    assert _folder(app) == []


def test_a_finish_failing_for_a_passing_reason_leaves_the_upload_to_be_finished_again(settings, monkeypatch):
    create_story, fails = Archive.create_story, ["database is locked"]

    def busy_once(self, *args, **kwargs):
        if fails:
            raise sqlite3.OperationalError(fails.pop())
        return create_story(self, *args, **kwargs)

    monkeypatch.setattr(Archive, "create_story", busy_once)
    recording = story_file("en").read_bytes()
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        upload = _new(client)
        assert _put(client, upload, 0, recording) == 200
        assert client.post(f"/api/uploads/{upload}/finish").status_code == 500
        assert client.get(f"/api/uploads/{upload}").json() == {"offset": len(recording)}
        assert client.post(f"/api/uploads/{upload}/finish").status_code == 201
        assert _folder(app) == [f"{upload}.done"]  # no marker left behind
        # a form's files cannot be finished again: they go whatever happened to them
        fails.append("database is locked")
        assert client.post("/api/stories", files={"files": ("s.ogg", recording)}).status_code == 500
        assert client.post("/api/stories", files={"files": ("s.ogg", recording)}).status_code == 201
        assert _folder(app) == [f"{upload}.done"]


def test_a_finish_sent_again_while_the_first_takes_the_recording_in_is_told_to_ask_again(client, monkeypatch):
    import storyatlas.web.intake as intake

    started, go, ingest_file = threading.Event(), threading.Event(), intake.ingest_file

    def slow(*args, **kwargs):
        started.set()
        go.wait(10)
        return ingest_file(*args, **kwargs)

    monkeypatch.setattr(intake, "ingest_file", slow)
    upload = _new(client)
    assert _put(client, upload, 0, story_file("en").read_bytes()) == 200
    answers = []
    first = threading.Thread(target=lambda: answers.append(client.post(f"/api/uploads/{upload}/finish")))
    first.start()
    try:
        assert started.wait(10)
        again = client.post(f"/api/uploads/{upload}/finish")
    finally:
        go.set()
        first.join()
    assert again.status_code == 409 and again.headers["retry-after"] == "5"
    assert again.json()["error"] == ("this upload is being finished right now; ask again in a few seconds "
                                     "to get its answer")
    assert answers[0].status_code == 201
    later = client.post(f"/api/uploads/{upload}/finish")
    assert (later.status_code, later.json()["story_id"]) == (201, answers[0].json()["story_id"])


@pytest.mark.parametrize("body", [{"json": {"title": "Keep this private", "visibility": "private"}},
                                  {"content": b"visibility=private", "headers": {"content-type": "text/plain"}},
                                  {"content": b"visibility=private"},
                                  {"content": b"visibility=private",
                                   "headers": {"content-type": "multipart/form-data"}}])
def test_a_finish_whose_fields_are_not_sent_as_a_form_is_refused_not_taken_without_them(client, web_archive, body):
    """Its fields would be dropped, and the story made public."""
    upload = _new(client)
    assert _put(client, upload, 0, story_file("en").read_bytes()) == 200
    refused = client.post(f"/api/uploads/{upload}/finish", **body)
    assert refused.status_code == 415 and refused.json()["error"] == "send the form as multipart/form-data"
    done = client.post(f"/api/uploads/{upload}/finish", data={"title": "Keep this private", "visibility": "private"})
    assert done.status_code == 201  # the upload was kept
    story = web_archive.story(done.json()["story_id"], Viewer.keeper())
    assert (story.title, story.visibility) == ("Keep this private", "private")


def test_a_finish_form_past_its_limits_is_refused_in_the_readers_language(client):
    upload = _new(client)
    de = {"accept-language": "de"}
    for form in ({f"f{i}": "x" for i in range(21)}, {"description": "x" * 70_000}):
        refused = client.post(f"/api/uploads/{upload}/finish", data=form, headers=de)
        assert refused.status_code == 413
        assert refused.json()["error"].startswith("das Formular, das einen Upload abschließt, hat höchstens 20 Felder")


def test_a_file_sent_without_a_name_is_named_as_a_recording_not_as_its_scratch_file(client, web_archive):
    body = (b'--B0\r\nContent-Disposition: form-data; name="files"; filename=""\r\n\r\n'
            + story_file("en").read_bytes() + b'\r\n--B0--\r\n')
    sent = client.post("/api/stories", content=body, headers={"content-type": "multipart/form-data; boundary=B0"})
    story = sent.json()["stories"][0]["story_id"]
    assert web_archive.story(story, Viewer.keeper()).title == "recording"
    assert web_archive.media(story, "original", Viewer.keeper()).original_filename == "recording"


def test_abandoned_uploads_make_room_for_new_ones(tmp_path):
    uploads = ResumableUploads(tmp_path / "uploads", 1000, max_age_s=3600)
    old = [uploads.create("10.0.0.1", max_open=2) for _ in range(2)]
    with pytest.raises(UploadError, match="2 unfinished uploads are already open"):
        uploads.create("10.0.0.1", max_open=2)
    long_ago = time.time() - 7200
    for upload in old:
        os.utime(tmp_path / "uploads" / f"{upload}.part", (long_ago, long_ago))
    assert uploads.create("10.0.0.1", max_open=2)
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir() if p.stem in old) == []


def test_abandoned_uploads_make_room_for_a_form_too(app, client):
    """Not only for another resumable upload: they held their bytes until one came."""
    upload = _new(client)
    assert _put(client, upload, 0, b"\1" * 300_000) == 200
    part = app.state.settings.media_dir / "tmp" / "uploads" / f"{upload}.part"
    long_ago = time.time() - 2 * app.state.uploads.max_age_s
    os.utime(part, (long_ago, long_ago))
    assert client.post("/api/stories", files={"files": ("s.ogg", story_file("en").read_bytes())}).status_code == 201
    assert not part.exists()


def test_abandoned_uploads_are_swept_before_a_piece_is_refused_for_a_full_disk(monkeypatch, tmp_path):
    uploads = ResumableUploads(tmp_path / "uploads", max_bytes=10**9)
    old, upload = uploads.create(), uploads.create()
    long_ago = time.time() - 2 * uploads.max_age_s
    os.utime(tmp_path / "uploads" / f"{old}.part", (long_ago, long_ago))
    monkeypatch.setattr("storyatlas.web.uploads.shutil.disk_usage", _Disk(free=1_500_000))
    piece = _Stream(b"\1" * 800_000, BOUNDARY)
    piece.headers["content-length"] = "800000"
    with pytest.raises(UploadError, match="nearly full"):  # this disk stays full whatever goes
        asyncio.run(uploads.append(upload, 0, piece, min_free_bytes=1_000_000))
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == [f"{upload}.client", f"{upload}.part"]


# the disk's free space, on a disk made to say how much it has left

class _Disk:
    """``shutil.disk_usage`` for a disk with ``free`` bytes, less what each check after
    the first has seen written (``per_check``)."""

    def __init__(self, free: int, per_check: int = 0) -> None:
        self.free, self.per_check, self.checks = free, per_check, 0

    def __call__(self, folder):
        from collections import namedtuple

        self.checks += 1
        left = self.free - self.per_check * (self.checks - 1)
        return namedtuple("usage", "total used free")(10**12, 10**12 - left, left)


def _form(size: int) -> bytes:
    return FILE_PART + b"\1" * size + f"\r\n--{BOUNDARY}--\r\n".encode()


def _read_on(monkeypatch, tmp_path, disk: _Disk, body: bytes, min_free: int, declared: str | None = None,
             max_file_bytes: int = 10**9):
    monkeypatch.setattr("storyatlas.web.uploads.shutil.disk_usage", disk)
    request = _Stream(body, BOUNDARY)
    if declared is not None:
        request.headers["content-length"] = declared
    form = asyncio.run(read_multipart(request, tmp_path, max_file_bytes, min_free_bytes=min_free))
    return request, form


def test_an_upload_that_would_leave_too_little_free_is_refused_before_it_is_read(monkeypatch, tmp_path):
    body = _form(800_000)
    with pytest.raises(UploadError, match="the archive's disk is nearly full") as refused:
        _read_on(monkeypatch, tmp_path, _Disk(free=1_500_000), body, min_free=1_000_000, declared=str(len(body)))
    assert refused.value.status == 507
    _, kept = _read_on(monkeypatch, tmp_path, _Disk(free=2_000_000), body, min_free=1_000_000,
                       declared=str(len(body)))
    assert [f.path.stat().st_size for f in kept.files] == [800_000]


def test_a_long_upload_is_stopped_when_the_disk_fills_while_it_arrives(monkeypatch, tmp_path):
    """It states no length (chunked): the free space is looked at again every megabyte."""
    with pytest.raises(UploadError, match="nearly full"):
        _read_on(monkeypatch, tmp_path, _Disk(free=3_000_000, per_check=2_500_000), _form(5_000_000),
                 min_free=1_000_000)
    assert list(tmp_path.iterdir()) == []


def test_no_minimum_means_no_look_at_the_disk_and_a_bad_length_is_no_length(monkeypatch, tmp_path):
    nothing_free = _Disk(free=0)
    _, kept = _read_on(monkeypatch, tmp_path, nothing_free, _form(1000), min_free=0, declared="1000")
    assert nothing_free.checks == 0 and len(kept.files) == 1
    _, kept = _read_on(monkeypatch, tmp_path, _Disk(free=2_000_000), _form(1000), min_free=1_000_000,
                       declared="a lot")
    assert len(kept.files) == 1


def test_a_file_may_be_exactly_as_big_as_the_limit(monkeypatch, tmp_path):
    _, kept = _read_on(monkeypatch, tmp_path, _Disk(free=0), _form(1000), min_free=0, max_file_bytes=1000)
    assert [f.path.stat().st_size for f in kept.files] == [1000]
    with pytest.raises(UploadError, match="bigger than the"):
        _read_on(monkeypatch, tmp_path, _Disk(free=0), _form(1001), min_free=0, max_file_bytes=1000)


def test_a_body_stating_more_than_any_disk_could_take_is_too_big_not_a_full_disk(monkeypatch, tmp_path):
    disk = _Disk(free=2_000_000)
    with pytest.raises(UploadError, match="bigger than the") as refused:
        _read_on(monkeypatch, tmp_path, disk, _form(1000), min_free=1_000_000, declared=str(10**15))
    assert refused.value.status == 413 and disk.checks == 0
    uploads = ResumableUploads(tmp_path / "uploads", max_bytes=4 * 1024**3)
    upload = uploads.create()
    piece = _Stream(b"\1" * 1000, BOUNDARY)
    piece.headers["content-length"] = str(10**15)
    with pytest.raises(UploadError, match="bigger than the") as refused:
        asyncio.run(uploads.append(upload, 0, piece, min_free_bytes=1_000_000))
    assert refused.value.status == 413 and piece.read == 0 and disk.checks == 0


def test_a_piece_is_held_to_the_free_space_as_a_form_is(monkeypatch, tmp_path):
    uploads = ResumableUploads(tmp_path / "uploads", max_bytes=10**9)
    upload = uploads.create()
    monkeypatch.setattr("storyatlas.web.uploads.shutil.disk_usage", _Disk(free=1_500_000))
    stated = _Stream(b"\1" * 800_000, BOUNDARY)
    stated.headers["content-length"] = "800000"
    with pytest.raises(UploadError, match="nearly full"):  # before a byte of it is read
        asyncio.run(uploads.append(upload, 0, stated, min_free_bytes=1_000_000))
    assert stated.read == 0 and uploads.offset(upload) == 0
    monkeypatch.setattr("storyatlas.web.uploads.shutil.disk_usage", _Disk(free=3_000_000, per_check=2_500_000))
    with pytest.raises(UploadError, match="nearly full"):  # the disk filled while it arrived
        asyncio.run(uploads.append(upload, 0, _Stream(b"\1" * 5_000_000, BOUNDARY), min_free_bytes=1_000_000))
    assert uploads.offset(upload) == 0


@pytest.mark.parametrize("fields, message", [
    ({"recorded_on": "2026-13"}, "2026-13 is not a date in the calendar"),
    ({"recorded_on": "3026"}, "3026 is after today: give the date it was recorded"),
    ({"language": "German"}, "the language must be a code such as de, fr or pl"),
])
def test_a_recording_date_or_language_that_cannot_be_is_refused_and_nothing_taken_in(client, web_archive, fields,
                                                                                      message):
    answer = client.post("/api/stories", files={"files": ("story.m4a", story_file("fr").read_bytes())}, data=fields)
    assert answer.status_code == 422 and answer.json()["error"] == message
    assert web_archive.conn.execute("SELECT count(*) FROM stories").fetchone()[0] == 0


def test_the_upload_page_says_why_a_date_is_refused_in_the_readers_language(client, web_archive):
    client.get("/upload")
    page = client.post("/upload", data={"csrf_token": client.cookies["csrf"], "recorded_on": "3026"},
                       files={"files": ("s.m4a", story_file("fr").read_bytes())}, headers={"accept-language": "de"})
    assert page.status_code == 422 and "3026 liegt nach dem heutigen Tag" in page.text
    assert web_archive.conn.execute("SELECT count(*) FROM stories").fetchone()[0] == 0
