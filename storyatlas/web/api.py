"""The JSON API under /api, described by /openapi.json."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import asdict

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from storyatlas.archive import Story, Viewer, corrections, index_points
from storyatlas.archive.consent import teller_viewer
from storyatlas.archive.policy import may_moderate
from storyatlas.archive.records import IndexPoint
from storyatlas.archive.redaction import seconds
from storyatlas.errors import AccessDenied, CorrectionError, IndexPointError, NotFound, UploadError, said
from storyatlas.exports import ALL_FORMATS, MEDIA_TYPES, TRACKS, export, file_name, story_document
from storyatlas.exports.collection import export_collection
from storyatlas.ingest import recording_notice
from storyatlas.search import FACETS, SearchQuery, SearchResults, known_words
from storyatlas.search.fts import FTSBackend
from storyatlas.themes import store
from storyatlas.web.accounts import viewer
from storyatlas.web.i18n import Translator, request_language
from storyatlas.web.intake import accept, finish, request_metadata
from storyatlas.web.openapi import spec
from storyatlas.web.security import refuse_other_sites
from storyatlas.web.uploads import client_address, read_multipart


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise UploadError(said("{name} must be a whole number", name=name), status=400) from None
    return max(low, min(high, value))


def job_json(request: Request, job) -> dict | None:
    """A job's state; its message (why it failed) in the language the request asks for."""
    if job is None:
        return None
    message = Translator(request_language(request)).said(job.message) if job.message else None
    return {"state": job.state, "stage": job.stage, "progress": round(job.progress, 3), "message": message}


def story_summary(request: Request, story: Story, who: Viewer) -> dict:
    archive = request.app.state.archives.get()
    return {
        "id": story.id, "title": story.title, "language": story.language, "languages": list(story.languages),
        "place": asdict(story.place), "collection": story.collection, "recorded_on": story.recorded_on,
        "storyteller": story.storyteller, "duration_s": story.duration_s, "created_at": story.created_at,
        "review_state": story.review_state,
        "job": job_json(request, archive.job_for_story(story.id, who)),
        "links": {"page": f"/stories/{story.id}", "api": f"/api/stories/{story.id}",
                  "audio": f"/media/{story.id}/listen.webm"},
    }


def search_json(results: SearchResults) -> dict:
    return {
        "query": results.query.text, "total_stories": results.total_stories, "by_words": results.by_words,
        "relaxed": results.relaxed,
        # what was searched within, as the search read it, so a client can tell a filter it mistyped
        "filters": {name: getattr(results.query, name) for name in FACETS if getattr(results.query, name)},
        "limit": results.query.limit, "offset": results.query.offset,
        "suggestions": list(results.suggestions), "suggested_queries": list(results.suggested_queries),
        "word_for_word": results.word_for_word or None, "only_left_out": results.only_left_out,
        "begun_cut": list(results.begun_cut),
        "themes": list(results.themes),
        "facets": {name: [{"value": v, "count": n} for v, n in results.facets.get(name, [])] for name in FACETS},
        # the place in the ranking, not its score: bm25 weighs a word by how many stories of
        # the whole archive say it, so a score would tell whether stories the viewer may not
        # see say the words
        "stories": [{
            "story_id": h.story_id, "title": h.title, "language": h.language, "languages": list(h.languages),
            "country": h.country, "collection": h.collection, "rank": results.query.offset + i,
            "moments": [{"at": m.at, "start": m.start, "end": m.end, "text": m.text, "text_en": m.text_en,
                         "language": m.language, "snippet": m.snippet_html(), "why": list(m.why),
                         "link": f"/stories/{h.story_id}?t={int(m.at)}"}
                        for m in h.moments],
            "themes": list(h.themes),
        } for i, h in enumerate(results.stories, 1)],
    }


def search_query(request: Request, limit: int = 20) -> SearchQuery:
    p = request.query_params
    return SearchQuery(
        p.get("q", ""), viewer(request), language=p.get("language") or None, country=p.get("country") or None,
        collection=p.get("collection") or None, region=p.get("region") or None, year=p.get("year") or None,
        community=p.get("community") or None, theme=p.get("theme") or None,
        review_state=p.get("review_state") or None,
        limit=_int(request, "limit", limit, 1, 100),
        offset=_int(request, "offset", 0, 0, 100_000),
    )


def run_search(request: Request, query: SearchQuery) -> SearchResults:
    archive = request.app.state.archives.get()
    known = known_words.loaded(request.app.state.settings.cache)
    return request.app.state.search_cache.get(
        query, archive.search_state(), lambda: FTSBackend(archive, known).search(query))


async def cached_search(request: Request, query: SearchQuery) -> SearchResults:
    """A remembered answer straight away; a new search in a worker thread, as many at
    once as ``app.state.searching`` lets (the others wait their turn, holding no thread).

    A search can take a few hundred milliseconds on a large archive: on the event loop
    it would hold up every other request, while many threads answering remembered
    searches would only fight over the interpreter lock. So do many threads computing
    searches: each hands the lock back at every SQLite statement and waits to get it
    again. Under 20 clients with every search new (benchmarks/web.py --no-cache, 200,000
    segments, 2 cores), one process answered 30-35 searches a second at p99 1.0-1.4 s
    with a thread for each, 66-90 at p99 270-390 ms two at a time.
    """
    archive = request.app.state.archives.get()
    found = request.app.state.search_cache.peek(query, archive.search_state())
    if found is not None:
        return found  # type: ignore[return-value]
    return await anyio.to_thread.run_sync(run_search, request, query, limiter=request.app.state.searching)


async def search(request: Request) -> Response:
    return JSONResponse(search_json(await cached_search(request, search_query(request))))


def list_stories(request: Request) -> Response:
    archive = request.app.state.archives.get()
    who = viewer(request)
    limit, offset = _int(request, "limit", 20, 1, 100), _int(request, "offset", 0, 0, 10**9)
    stories = archive.stories(who, limit, offset, newest_first=True)
    return JSONResponse({"total": archive.count_stories(who), "limit": limit, "offset": offset,
                         "stories": [story_summary(request, s, who) for s in stories]})


def get_story(request: Request) -> Response:
    archive = request.app.state.archives.get()
    story_id = request.path_params["id"]
    who = viewer(request)
    doc = story_document(archive, story_id, who, words=request.query_params.get("words") == "1")
    doc["job"] = job_json(request, archive.job_for_story(story_id, who))
    if may_moderate(who, doc["place"]["community"], doc["collection"]):  # the consent fields too (story_document)
        notice = recording_notice(archive, story_id, who)
        doc["recording_notice"] = Translator(request_language(request)).said(notice) if notice else None
    return JSONResponse(doc)


def _viewer_or_teller(request: Request) -> Viewer:
    """The teller of a story, by the receipt (their private link token) their upload
    answered with, else whoever is signed in."""
    token = request.query_params.get("receipt")
    if token:
        try:
            return teller_viewer(request.app.state.archives.get(), token)
        except AccessDenied:
            pass
    return viewer(request)


def progress(request: Request) -> Response:
    """Processing state only: for the sender of a story that is not yet published."""
    archive = request.app.state.archives.get()
    story_id = request.path_params["id"]
    job = archive.job_for_story(story_id, _viewer_or_teller(request))
    if job is None:
        raise NotFound(said("there is no story {story}", story=story_id))
    return JSONResponse({"story_id": story_id, "job": job_json(request, job)})


def _export_request(request: Request, fmt: str) -> tuple[str, str]:
    track = request.query_params.get("track", "original")
    if fmt not in ALL_FORMATS or track not in TRACKS:
        raise NotFound(said("no such export: formats {formats}; tracks {tracks}", formats=", ".join(ALL_FORMATS),
                            tracks=", ".join(TRACKS)))
    # identifiers and media links in OHMS, IIIF and Dublin Core point where this request came
    # (the host was checked against the allowed hosts before it got here)
    return track, str(request.base_url)


def export_story(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    track, base = _export_request(request, fmt)
    story_id = request.path_params["id"]
    text = export(request.app.state.archives.get(), story_id, fmt, viewer(request), track, base=base,
                  media_dir=request.app.state.settings.media_dir)
    return PlainTextResponse(text, media_type=f"{MEDIA_TYPES[fmt]}; charset=utf-8", headers={
        "content-disposition": f'attachment; filename="{file_name(story_id, fmt, track)}"'})


def export_collection_zip(request: Request) -> Response:
    """Every story of a collection the viewer may see and whose teller allowed exports."""
    fmt = request.query_params.get("format", "vtt")
    track, base = _export_request(request, fmt)
    name = request.path_params["name"]
    done = export_collection(request.app.state.archives.get(), name, fmt, viewer(request), track, base=base,
                             media_dir=request.app.state.settings.media_dir)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", done.name).strip("-.") or "collection"  # a header, not a path
    return Response(done.zip(), media_type="application/zip", headers={
        "content-disposition": f'attachment; filename="{safe}-{fmt}.zip"'})


async def create_stories(request: Request) -> Response:
    refuse_other_sites(request, "request")
    settings = request.app.state.settings
    request.app.state.uploads.sweep()  # what uploads abandoned long ago hold is room for this one
    form = await read_multipart(request, settings.media_dir / "tmp" / "uploads", settings.max_file_bytes,
                                min_free_bytes=settings.min_free_bytes)
    try:
        meta = request_metadata(request, form.fields)
        if not form.files:
            raise UploadError(said("no file in the upload: send one or more recordings in a 'files' field"),
                              status=422)
        accepted = [await accept(request, f.path, f.filename, meta) for f in form.files]
    finally:
        form.discard()
    status = 201 if any(a.story_id for a in accepted) else 422
    return JSONResponse({"stories": [a.as_json() for a in accepted]}, status_code=status)


async def create_upload(request: Request) -> Response:
    refuse_other_sites(request, "request")
    uploads, settings = request.app.state.uploads, request.app.state.settings
    upload_id = uploads.create(client_address(request), max_open=settings.max_open_uploads,
                               min_free_bytes=settings.min_free_bytes)
    return JSONResponse({"id": upload_id, "offset": 0, "max_bytes": uploads.max_bytes}, status_code=201)


async def upload_status(request: Request) -> Response:
    return JSONResponse({"offset": request.app.state.uploads.offset(request.path_params["upload"])})


async def append_upload(request: Request) -> Response:
    refuse_other_sites(request, "request")
    try:
        offset = int(request.headers.get("upload-offset", ""))
    except ValueError:
        raise UploadError(said("send the Upload-Offset header: the byte this piece starts at"),
                          status=400) from None
    size = await request.app.state.uploads.append(request.path_params["upload"], offset, request,
                                                  min_free_bytes=request.app.state.settings.min_free_bytes)
    return JSONResponse({"offset": size})


async def finish_upload(request: Request) -> Response:
    refuse_other_sites(request, "request")
    status, answer = await finish(request, request.path_params["upload"])
    return JSONResponse(answer, status_code=status)


_JSON_LIMIT = 64 * 1024


async def _small_json(request: Request, correction: bool = False) -> dict:
    """A JSON object of at most 64 KB: an index point, or a ``correction``. Only JSON is
    taken: a form on another site cannot send it without the browser asking this site
    first (CORS), which it never allows."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise UploadError(said("send the correction as JSON (Content-Type: application/json)") if correction
                          else said("send the index point as JSON (Content-Type: application/json)"), status=415)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > _JSON_LIMIT:
            size = _JSON_LIMIT // 1024
            raise UploadError(said("the correction is at most {size} KB of JSON", size=size) if correction
                              else said("the index point is at most {size} KB of JSON", size=size), status=413)
    try:
        data = json.loads(body or b"{}")
    except (ValueError, RecursionError):  # nested a few thousand deep: within the size, past Python's stack
        raise UploadError(said("the body is not valid JSON"), status=400) from None
    if not isinstance(data, dict):
        raise UploadError(said('send one JSON object: {{"at": "1:02", "title": ...}}'), status=400)
    return data


def _strings(value: object, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise IndexPointError(said("{name} must be a list of strings", name=name))
    return tuple(value)


def _index_point(data: dict) -> IndexPoint:
    at = data.get("at")
    if isinstance(at, bool) or not isinstance(at, (int, float, str)):
        raise IndexPointError(said('"at" is required: seconds (62.5) or a time ("1:02")'))
    texts = {k: data.get(k) or "" for k in ("title", "synopsis", "place")}
    if not all(isinstance(v, str) for v in texts.values()):
        raise IndexPointError(said("title, synopsis and place must be strings"))
    return IndexPoint(seconds(at), texts["title"],
                      synopsis=texts["synopsis"], keywords=_strings(data.get("keywords"), "keywords"),
                      themes=_strings(data.get("themes"), "themes"), place=texts["place"])


async def add_index_point(request: Request) -> Response:
    """A signed-in volunteer, or a moderator of the story, adds an index point."""
    refuse_other_sites(request, "request")
    who = viewer(request)
    story_id = request.path_params["id"]
    request.app.state.archives.get().story(story_id, who)  # 404 before anything else for a story out of sight
    point = _index_point(await _small_json(request))
    stored = await run_in_threadpool(_add_point, request, story_id, point, who)
    return JSONResponse({"id": stored.id, "at": stored.time, "title": stored.title, "synopsis": stored.synopsis,
                         "keywords": list(stored.keywords), "themes": list(stored.themes), "place": stored.place,
                         "link": f"/stories/{story_id}?t={int(stored.time)}"}, status_code=201)


def _add_point(request: Request, story_id: int, point: IndexPoint, who: Viewer) -> IndexPoint:
    archive = request.app.state.archives.get()
    store.vocabulary(archive)  # a new archive knows its themes once the vocabulary is seeded
    return index_points.add(archive, story_id, point, who)


# the correction workbench ------------------------------------------------------------

def transcript_json(t: corrections.Transcript) -> dict:
    return {
        "story_id": t.story.id, "revision": t.revision, "editable": t.editable, "review_state": t.story.review_state,
        "language": t.story.language,
        "segments": [{"id": s.id, "start": s.start, "end": s.end, "text": s.text, "text_en": s.text_en,
                      "text_en_stale": s.text_en_stale, "speaker": s.speaker, "language": s.language,
                      "low_confidence": s.low_confidence} for s in t.segments],
        "speakers": [asdict(s) for s in t.speakers],
    }


def get_transcript(request: Request) -> Response:
    archive = request.app.state.archives.get()
    return JSONResponse(transcript_json(corrections.transcript(archive, request.path_params["id"], viewer(request))))


async def _correction(request: Request) -> tuple[Viewer, int, dict]:
    """Who asks, the story and the JSON body with its ``base`` (404 first for a story out of sight)."""
    refuse_other_sites(request, "request")
    who = viewer(request)
    story_id = request.path_params["id"]
    request.app.state.archives.get().story(story_id, who)
    data = await _small_json(request, correction=True)
    base = data.get("base")
    if isinstance(base, bool) or not isinstance(base, int):
        raise CorrectionError(said('send "base": the revision of the transcript you started from (its "revision")'))
    return who, story_id, data


def _correcting(work: Callable[[Request, Viewer, int, dict], Response]) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint of the workbench: its body is read on the event loop and the change made
    in a worker thread, on that thread's own connection (``Archives``). A change waits for
    any other process writing (up to the connection's 30 s; an erasure's merge holds the
    archive 2.8-4.2 s at a million segments), and on the event loop every request to the
    server waited with it."""
    async def endpoint(request: Request) -> Response:
        who, story_id, data = await _correction(request)
        return await run_in_threadpool(work, request, who, story_id, data)

    return functools.wraps(work)(endpoint)


def _text(data: dict, name: str, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise CorrectionError(said('"{name}" must be a string', name=name))
    return value


def _saved(request: Request, story_id: int, who: Viewer, done: corrections.Saved, retag: bool = True) -> Response:
    if retag and done.changed:
        request.app.state.queue.retag()  # the worker tags the corrected story again
    t = corrections.transcript(request.app.state.archives.get(), story_id, who)
    return JSONResponse(transcript_json(t) | {"changed": done.changed})


@_correcting
def patch_segment(request: Request, who: Viewer, story_id: int, data: dict) -> Response:
    """A segment's text, or its speaker label."""
    archive, segment_id = request.app.state.archives.get(), request.path_params["segment"]
    if "text" not in data and "speaker" not in data:
        raise CorrectionError(said('send "text" or "speaker" (with "base")'))
    text = corrections.checked_text(_text(data, "text")) if "text" in data else None  # before the speaker is saved
    done = corrections.Saved(data["base"], 0)
    if "speaker" in data:
        label = _text(data, "speaker", required=False)
        done = corrections.set_speaker(archive, story_id, segment_id, label, who, base=data["base"])
    if text is not None:
        saved = corrections.set_text(archive, story_id, segment_id, text, who, base=done.revision)
        done = corrections.Saved(saved.revision, done.changed + saved.changed)
    return _saved(request, story_id, who, done, retag="text" in data)


@_correcting
def split_segment(request: Request, who: Viewer, story_id: int, data: dict) -> Response:
    at, offset = data.get("at"), data.get("offset")
    if at is not None and (isinstance(at, bool) or not isinstance(at, (int, float, str))):
        raise CorrectionError(said('"at" is seconds (12.5) or a time ("0:12.5")'))
    if offset is not None and (isinstance(offset, bool) or not isinstance(offset, int)):
        raise CorrectionError(said('"offset" is a character position in the segment\'s text'))
    done = corrections.split(request.app.state.archives.get(), story_id, request.path_params["segment"], who,
                             base=data["base"], offset=offset,
                             at=None if at is None else seconds(at))
    return _saved(request, story_id, who, done)


@_correcting
def merge_segment(request: Request, who: Viewer, story_id: int, data: dict) -> Response:
    done = corrections.merge(request.app.state.archives.get(), story_id, request.path_params["segment"], who,
                             base=data["base"])
    return _saved(request, story_id, who, done)


@_correcting
def name_speaker(request: Request, who: Viewer, story_id: int, data: dict) -> Response:
    done = corrections.name_speaker(request.app.state.archives.get(), story_id, _text(data, "label"),
                                    _text(data, "name", required=False) or "", who, base=data["base"],
                                    role=_text(data, "role", required=False) or "other")
    return _saved(request, story_id, who, done, retag=False)


@_correcting
def replace_text(request: Request, who: Viewer, story_id: int, data: dict) -> Response:
    case = data.get("case_sensitive", True)
    if not isinstance(case, bool):
        raise CorrectionError(said('"case_sensitive" is true or false'))
    done = corrections.replace_text(request.app.state.archives.get(), story_id, _text(data, "find"),
                                    _text(data, "replace"), who, base=data["base"], case_sensitive=case)
    return _saved(request, story_id, who, done)


def _revision_json(request: Request, r: corrections.Revision) -> dict:
    """A revision; its summary in the language the request asks for."""
    summary = Translator(request_language(request)).said(r.summary)
    return {"number": r.number, "who": r.who, "at": r.at, "summary": summary}


def list_revisions(request: Request) -> Response:
    story_id = request.path_params["id"]
    found = corrections.revisions(request.app.state.archives.get(), story_id, viewer(request))
    return JSONResponse({"story_id": story_id, "revisions": [_revision_json(request, r) for r in found]})


def get_revision(request: Request) -> Response:
    """One revision's transcript; with ?compare=M, what changed from revision M to it."""
    archive, who = request.app.state.archives.get(), viewer(request)
    story_id, number = request.path_params["id"], request.path_params["number"]
    r = corrections.revision(archive, story_id, number, who)
    doc = _revision_json(request, r) | {
        "segments": [{"id": x.id, "start": x.start, "end": x.end, "text": x.text, "text_en": x.text_en,
                      "speaker": x.speaker, "language": x.language} for x in r.lines],
        "speakers": [asdict(s) for s in r.speakers]}
    if request.query_params.get("compare"):
        other = _int(request, "compare", 0, 0, 10**9)
        doc["compared_with"] = other
        doc["changes"] = [asdict(c) for c in corrections.compare(archive, story_id, other, number, who)]
    return JSONResponse(doc)


@_correcting
def restore_revision(request: Request, who: Viewer, story_id: int, data: dict) -> Response:
    done = corrections.restore(request.app.state.archives.get(), story_id, request.path_params["number"], who,
                               base=data["base"])
    return _saved(request, story_id, who, done)


def openapi(request: Request) -> Response:
    return JSONResponse(spec())


routes = [
    Route("/openapi.json", openapi),
    Route("/api/search", search),
    Route("/api/stories", list_stories, methods=["GET"]),
    Route("/api/stories", create_stories, methods=["POST"]),
    Route("/api/stories/{id:rowid}", get_story),
    Route("/api/stories/{id:rowid}/progress", progress),
    Route("/api/stories/{id:rowid}/index", add_index_point, methods=["POST"]),
    Route("/api/stories/{id:rowid}/transcript", get_transcript, methods=["GET"]),
    Route("/api/stories/{id:rowid}/segments/{segment:rowid}", patch_segment, methods=["PATCH"]),
    Route("/api/stories/{id:rowid}/segments/{segment:rowid}/split", split_segment, methods=["POST"]),
    Route("/api/stories/{id:rowid}/segments/{segment:rowid}/merge", merge_segment, methods=["POST"]),
    Route("/api/stories/{id:rowid}/speakers", name_speaker, methods=["POST"]),
    Route("/api/stories/{id:rowid}/replace", replace_text, methods=["POST"]),
    Route("/api/stories/{id:rowid}/revisions", list_revisions, methods=["GET"]),
    Route("/api/stories/{id:rowid}/revisions/{number:rowid}", get_revision, methods=["GET"]),
    Route("/api/stories/{id:rowid}/revisions/{number:rowid}/restore", restore_revision, methods=["POST"]),
    Route("/api/stories/{id:rowid}/export.{fmt}", export_story),
    Route("/api/collections/{name}/export.zip", export_collection_zip),
    Route("/api/uploads", create_upload, methods=["POST"]),
    Route("/api/uploads/{upload}", upload_status, methods=["GET"]),
    Route("/api/uploads/{upload}", append_upload, methods=["PUT"]),
    Route("/api/uploads/{upload}/finish", finish_upload, methods=["POST"]),
]
