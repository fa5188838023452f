"""The JSON API, with real uploads through ffmpeg and real processing with tiny.en."""

import io
import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
import srt
import webvtt
from starlette.testclient import TestClient

from storyatlas.archive import Viewer
from storyatlas.search.fts import FTSBackend
from storyatlas.web import app as web_app
from storyatlas.web.app import SEARCHES_AT_ONCE, create_app
from tests.conftest import add_story, story_file

KEEPER = Viewer.keeper()  # the archive's own tools (the worker, `storyatlas review`)

LINES = [(0.0, 4.0, "Im Frühling kam das Wasser.", "In spring the water came."),
         (4.5, 9.0, "Die Überschwemmung hat unseren Keller zerstört.", "The flood destroyed our cellar.")]


def _upload(client, *paths, **fields):
    files = [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in paths]
    return client.post("/api/stories", files=files, data=fields)


@pytest.mark.slow
def test_upload_several_files_then_follow_processing_and_read_the_story(client, app, timings, media_dir):
    response = _upload(client, story_file("en"), media_dir / "story.mp4",
                       place="Zgorzelec, Lower Silesia, PL", collection="Flood memories", recorded_on="2026-03")
    assert response.status_code == 201
    stories = response.json()["stories"]
    assert [s["job_state"] for s in stories] == ["queued", "queued"] and all(s["receipt"] for s in stories)
    assert all(s["awaiting_review"] for s in stories)

    archive = app.state.archives.get()
    app.state.queue.drain(archive, [archive.job_for_story(s["story_id"], KEEPER).id for s in stories])
    first = stories[0]["story_id"]
    progress = client.get(f"/api/stories/{first}/progress", params={"receipt": stories[0]["receipt"]}).json()
    assert progress["job"]["state"] == "done" and progress["job"]["progress"] == 1.0
    # sent by the public: nobody sees them until a moderator publishes them
    assert client.get(f"/api/stories/{first}").status_code == 404
    # "We pumped the cellar ...": tiny.en may hear "the settler", but always "pump(ed)"
    assert client.get("/api/search", params={"q": "pumped"}).json()["total_stories"] == 0
    assert client.get(f"/media/{first}/listen.webm").status_code == 404
    for s in stories:
        archive.review(s["story_id"], True, KEEPER)

    story = client.get(f"/api/stories/{first}").json()
    assert story["title"] == "story en" and story["place"]["country"] == "PL" and story["language"] == "en"
    assert story["job"]["state"] == "done" and "visibility" not in story
    pumped = next(s for s in story["segments"] if "pump" in s["text"].lower())
    assert pumped["start"] <= timings["en"][2]["start"] + 1.5 and "words" not in pumped
    assert client.get(f"/api/stories/{first}", params={"words": "1"}).json()["segments"][0]["words"]

    listing = client.get("/api/stories", params={"limit": 1}).json()
    assert listing["total"] == 2 and len(listing["stories"]) == 1 and listing["stories"][0]["id"] == 2

    found = client.get("/api/search", params={"q": "pumped", "country": "PL"}).json()
    assert found["total_stories"] == 2
    moment = found["stories"][0]["moments"][0]
    assert moment["link"].startswith(f"/stories/{found['stories'][0]['story_id']}?t=")
    assert "<mark>" in moment["snippet"] and found["facets"]["collection"] == [{"value": "Flood memories", "count": 2}]

    audio = client.get(f"/media/{first}/listen.webm", headers={"range": "bytes=0-99"})
    assert audio.status_code == 206 and len(audio.content) == 100
    video = client.get(f"/media/{stories[1]['story_id']}/video")
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"


def test_exports(client, web_archive):
    story = add_story(web_archive, "Hochwasser", "de", LINES)
    vtt = client.get(f"/api/stories/{story}/export.vtt")
    assert vtt.headers["content-type"].startswith("text/vtt")
    assert [c.text for c in webvtt.from_buffer(io.StringIO(vtt.text))][1].startswith("Die Überschwemmung")
    english = list(srt.parse(client.get(f"/api/stories/{story}/export.srt", params={"track": "en"}).text))
    assert english[1].content == "The flood destroyed our cellar."
    assert json.loads(client.get(f"/api/stories/{story}/export.json").text)["title"] == "Hochwasser"
    assert client.get(f"/api/stories/{story}/export.txt").text.startswith("[00:00] Im Frühling")
    assert client.get(f"/api/stories/{story}/export.docx").status_code == 404


@pytest.mark.parametrize("at_once, cores, expected", [(3, 2, 3), (0, 8, SEARCHES_AT_ONCE), (0, 1, 1)])
def test_searches_take_turns_rather_than_all_run_at_once(settings, monkeypatch, at_once, cores, expected):
    """Threads computing searches in one process fight over the interpreter lock (see
    ``cached_search``): the server computes ``searches_at_once`` of them at a time, by
    default two (one on a single core)."""
    monkeypatch.setattr(web_app, "available_cores", lambda: cores)
    app = create_app(replace(settings, searches_at_once=at_once, search_cache_size=0))
    running, most, lock, search = 0, 0, threading.Lock(), FTSBackend.search

    def counted(self, query):
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            time.sleep(0.05)  # searches sent together overlap
            return search(self, query)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(FTSBackend, "search", counted)
    words = ["Wasser", "Keller", "Frühling", "Überschwemmung", "water", "flood", "cellar", "spring"]
    with TestClient(app, base_url="http://testserver") as client:
        add_story(app.state.archives.get(), "Hochwasser", "de", LINES)
        with ThreadPoolExecutor(len(words)) as pool:
            answers = list(pool.map(lambda q: client.get("/api/search", params={"q": q}), words))
    assert [a.json()["total_stories"] for a in answers] == [1] * len(words)
    assert most == expected


def test_api_errors_are_json(client):
    response = client.get("/api/stories/42")
    assert response.status_code == 404
    assert response.json() == {"error": "there is no story 42: `storyatlas stories` lists them", "status": 404}
    assert client.get("/api/stories", params={"limit": "many"}).json()["status"] == 400


def test_openapi_describes_every_api_route(client, app):
    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    documented = {path: {m for m in ops if m in ("get", "post", "put", "patch", "delete")}
                  for path, ops in doc["paths"].items()}
    served: dict[str, set[str]] = {}
    for r in app.routes:
        if getattr(r, "path", "").startswith("/api/"):
            # a route's converters ({id:rowid}) are not part of the OpenAPI path
            served.setdefault(re.sub(r":\w+}", "}", r.path), set()).update(
                m.lower() for m in r.methods if m != "HEAD")
    # each way in documented, and nothing documented that is not served
    assert served == documented


def test_a_recording_sent_in_pieces_resumes_after_a_dropped_piece(client, app):
    data = story_file("fr").read_bytes()
    upload = client.post("/api/uploads").json()
    half = len(data) // 2
    assert client.put(f"/api/uploads/{upload['id']}", content=data[:half],
                      headers={"upload-offset": "0"}).json() == {"offset": half}
    # the phone thinks the first piece was lost and sends it again: told where to go on
    again = client.put(f"/api/uploads/{upload['id']}", content=data[:half], headers={"upload-offset": "0"})
    assert again.status_code == 409 and str(half) in again.json()["error"]
    assert client.get(f"/api/uploads/{upload['id']}").json() == {"offset": half}
    client.put(f"/api/uploads/{upload['id']}", content=data[half:], headers={"upload-offset": str(half)})

    done = client.post(f"/api/uploads/{upload['id']}/finish",
                       data={"filename": "recording.ogg", "title": "École fermée", "visibility": "community"})
    assert done.status_code == 201
    story_id = done.json()["story_id"]
    archive = app.state.archives.get()
    story = archive.story(story_id, KEEPER)
    assert (story.visibility, story.requested_visibility) == ("private", "community")  # until a moderator says
    assert archive.media(story_id, "original", KEEPER).sha256 == __import__("hashlib").sha256(data).hexdigest()
    # not public: only the sender, with the receipt, can follow it
    assert client.get(f"/api/stories/{story_id}/progress").status_code == 404
    followed = client.get(f"/api/stories/{story_id}/progress", params={"receipt": done.json()["receipt"]})
    assert followed.json()["job"]["state"] == "queued"
    assert client.get(f"/api/uploads/{upload['id']}").status_code == 404  # used up


@pytest.mark.parametrize("upload_id", ["../../etc/passwd", "x", "a" * 100])
def test_bad_upload_ids_are_unknown(client, upload_id):
    assert client.get(f"/api/uploads/{upload_id}").status_code == 404
