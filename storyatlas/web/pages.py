"""The HTML pages. Each works without JavaScript, except recording and the highlight
that follows playback."""

from __future__ import annotations

import math
from pathlib import Path
from urllib.parse import quote_plus

import anyio
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from storyatlas.archive import Viewer, corrections, discover, index_points, tags
from storyatlas.archive.policy import may_moderate
from storyatlas.errors import NotFound, Said, UploadError, reason, said
from storyatlas.exports import TRACKS, clock, to_vtt
from storyatlas.exports.facts import video_type
from storyatlas.ingest.store import MediaStore
from storyatlas.search import FACETS, same_value
from storyatlas.search.fts import MAX_QUERY_CHARACTERS
from storyatlas.themes import store
from storyatlas.web import i18n, reading
from storyatlas.web.accounts import viewer
from storyatlas.web.api import cached_search, job_json, search_query
from storyatlas.web.intake import NAMINGS, VISIBILITIES, accept, request_metadata
from storyatlas.web.security import CSRF_FIELD, keep_token, page_token, refuse_expired_form, refuse_other_sites
from storyatlas.web.uploads import read_multipart

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")  # autoescapes
templates.env.filters["clock"] = clock
PAGE_SIZE = 20
KINDRED_OTHER_LANGUAGES = 3
"""Of the five passages "others lived this too" shows, how many are first the closest told
in another language (``meaning.kindred``): a German story's five closest were all German.
Stories tagged with a theme of this one's come first either way (``themes_first``)."""


def _snippet(moment) -> str:
    from markupsafe import Markup

    return Markup(moment.snippet_html())


templates.env.filters["snippet"] = _snippet
templates.env.filters["sentence"] = i18n.sentence
templates.env.globals["max_query_characters"] = MAX_QUERY_CHARACTERS  # the search box's


def render(request: Request, name: str, status: int = 200, **context) -> Response:
    lang = i18n.request_language(request)
    t = i18n.Translator(lang)
    if isinstance(context.get("error"), Said):  # a library error's reason, in the reader's language
        context["error"] = t.said(context["error"])
    token = page_token(request)
    other = {k: v for k, v in request.query_params.items() if k != "lang"}
    labels: dict[str, str] = {}

    def theme_label(theme_id: str) -> str:
        if not labels:
            archive = request.app.state.archives.get()
            vocabulary = request.app.state.search_cache.get(
                "vocabulary", archive.generation(), lambda: store.vocabulary(archive))
            for theme in vocabulary.themes:
                labels[theme.id] = theme.label_in(lang)
        return labels.get(theme_id, theme_id)

    response = templates.TemplateResponse(request, name, {
        "t": t, "lang": lang, "languages": i18n.languages(), "csrf_token": token,
        "csrf_field": CSRF_FIELD, "here": request.url.path, "here_query": other, "theme_label": theme_label,
        "viewer": viewer(request), **context,
    }, status_code=status)
    keep_token(request, response, token)
    if request.query_params.get("lang") == lang:
        response.set_cookie(i18n.COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


def start_time(request: Request) -> float:
    """Where a page's player starts (``?t=`` seconds): from the start for anything else
    than a time (a negative one, "inf", "nan")."""
    try:
        at = float(request.query_params.get("t", "0"))
    except ValueError:
        return 0.0
    return at if math.isfinite(at) and at > 0 else 0.0


def error_page(request: Request, status: int, message: str) -> Response:
    return render(request, "error.html", status=status, status_code=status, message=message)


def home(request: Request) -> Response:
    archive = request.app.state.archives.get()
    who = viewer(request)
    stories = archive.stories(who, PAGE_SIZE, 0, newest_first=True)
    from storyatlas.web.atlas import home_map  # the atlas's module builds on this one

    return render(request, "home.html", stories=stories, total=archive.count_stories(who), map=home_map(request))


async def search(request: Request) -> Response:
    filters = {name: request.query_params.get(name) for name in FACETS if request.query_params.get(name)}

    def link(changes: dict | None = None, **more) -> str:
        params = {**here, **(changes or {}), **more}
        encoded = "&".join(said[k] if v is here.get(k) else f"{quote_plus(k)}={quote_plus(str(v))}"
                           for k, v in params.items() if v not in (None, ""))
        return f"/search?{encoded}" if encoded else "/search"

    # a page has a link for each facet value (eighty): the query, filters and number per
    # page are encoded once (a filter chosen or removed starts again at the first page)
    here = {"q": request.query_params.get("q", ""), **filters, "limit": request.query_params.get("limit")}
    said = {k: f"{quote_plus(k)}={quote_plus(str(v))}" for k, v in here.items() if v not in (None, "")}
    if request.query_params.get("everything"):
        # the search box's "search all stories": its query, without the filters it carried
        return RedirectResponse(link(dict.fromkeys(filters)), status_code=303)
    query = search_query(request, limit=PAGE_SIZE)
    results = await cached_search(request, query) if query.text.strip() else None

    def chosen(name: str, value: str) -> bool:
        """Whether a facet's value is the one its filter chose, as the filter compares
        them: "DE" is chosen by ``country=de``."""
        return name in filters and same_value(filters[name], value)

    return render(request, "search.html", query=query, results=results, filters=filters, link=link, chosen=chosen,
                  clear_link=link(dict.fromkeys(filters)), facet_names=FACETS, review_states=index_points.REVIEW_STATES,
                  limit=query.limit if here["limit"] else None)


async def story(request: Request) -> Response:
    # about a millisecond of work, but for the stories related to it (below): cheaper on
    # the event loop than handed to a thread
    archive = request.app.state.archives.get()
    who = viewer(request)
    story = archive.story(request.path_params["id"], who)
    segments = archive.segments(story.id, who)
    original = archive.media(story.id, "original", who)
    view = request.query_params.get("view", "both")
    return render(request, "story.html", story=story, segments=segments, original=original,
                  video=original.has_video and _may_hear_original(archive, story.id, who),
                  downloads=story.exportable or may_moderate(who, story.place.community, story.collection),
                  job=job_json(request, archive.job_for_story(story.id, who)), start=start_time(request),
                  themes=tags.story_themes(archive, story.id, who), starts={s.id: s.start for s in segments},
                  index=index_points.points(archive, story.id, who),
                  speakers=corrections.speaker_names(archive, story.id, who),
                  may_correct=corrections.may_correct(story, who),
                  entities=tags.story_entities(archive, story.id, who),
                  **await _related(request, story.id, who),
                  # translations are shown (and offered as a track) only for lines not in English
                  has_english=any(s.text_en and s.language != "en" for s in segments),
                  view=view if view in ("original", "en", "both") else "both")


async def _related(request: Request, story_id: int, who) -> dict:
    """The stories related to one: those closest in meaning ("kindred") and those sharing
    its themes and named things ("similar"), remembered per archive state; found in a
    thread when not remembered, as a search is: at a million segments "others lived
    this too" took a quarter of a second, and on the event loop it held up every other
    request to the process."""
    cache, archive = request.app.state.search_cache, request.app.state.archives.get()
    kindred = cache.peek(("kindred", story_id, who), archive.search_state())
    similar = cache.peek(("similar", story_id, who), archive.generation())
    if kindred is None or similar is None:
        return await anyio.to_thread.run_sync(_find_related, request, story_id, who,
                                              limiter=request.app.state.searching)
    return {"kindred": kindred, "similar": similar}


def _find_related(request: Request, story_id: int, who) -> dict:
    cache, archive = request.app.state.search_cache, request.app.state.archives.get()  # this thread's
    story = archive.story(story_id, who)
    return {"kindred": cache.get(("kindred", story_id, who), archive.search_state(),
                                 lambda: _kindred(archive, story, who)),
            "similar": cache.get(("similar", story_id, who), archive.generation(),
                                 lambda: discover.similar_stories(archive, story_id, who))}


def _kindred(archive, story, who) -> list[dict]:
    """Passages of stories from other places closest in meaning to this one's, with
    their place, language and English (each read through the access policy)."""
    from storyatlas import meaning

    found = []
    for hit in meaning.kindred(archive, story.id, who, limit=12, apart_from=story.place.community,
                               other_languages=KINDRED_OTHER_LANGUAGES, themes_first=True):
        other = archive.story(hit.story_id, who)  # the same place's are left out: "similar stories" shows those
        segment = next((s for s in archive.segments(other.id, who) if s.id == hit.segment_id), None)
        if segment is not None:
            found.append({"story": other, "segment": segment, "beside": hit.beside, "score": hit.score})
        if len(found) == 5:
            break
    return sorted(found, key=lambda k: -k["score"])


def _may_hear_original(archive, story_id: int, who) -> bool:
    """The untouched original holds what a redaction silenced: for admins only then."""
    return who.is_admin or not archive.redactions(story_id, who)


def media(request: Request) -> Response:
    """The listening copy, or the original video for the player; ranges for seeking."""
    return media_file(request, request.path_params["id"], request.path_params["kind"], viewer(request))


def media_file(request: Request, story_id: int, kind: str, who: Viewer) -> Response:
    """``kind`` (listen.webm, video, original) of the story, if ``who`` may have it."""
    archive = request.app.state.archives.get()
    archive.story(story_id, who)
    if kind not in ("listen.webm", "video", "original"):
        raise NotFound(said("no such media"))
    role = "listen" if kind == "listen.webm" else "original"
    item = archive.media(story_id, role, who)
    if kind == "original" and not who.is_admin:
        raise NotFound(said("the untouched original is for the archive's admins"))
    if kind == "video" and not (item.has_video and _may_hear_original(archive, story_id, who)):
        raise NotFound(said("this story has no video to show"))
    path = MediaStore(request.app.state.settings.media_dir).absolute(item.path)
    media_type = "audio/webm" if role == "listen" else video_type(item.path)
    if kind == "original":
        media_type = "application/octet-stream"
    return FileResponse(path, media_type=media_type, headers={"cache-control": "private, max-age=3600"})


def captions(request: Request) -> Response:
    """The player's captions: what the page shows, so not an export (which the
    storyteller may have refused)."""
    archive = request.app.state.archives.get()
    who = viewer(request)
    track = request.query_params.get("track", "original")
    if track not in TRACKS:
        raise NotFound(said("no such track: {tracks}", tracks=", ".join(TRACKS)))
    story = archive.story(request.path_params["id"], who)
    return PlainTextResponse(to_vtt(story, archive.segments(story.id, who), track,
                                    corrections.speaker_names(archive, story.id, who)),
                             media_type="text/vtt; charset=utf-8")


def record(request: Request) -> Response:
    return render(request, "record.html", visibilities=VISIBILITIES, namings=NAMINGS, fields={})


async def upload(request: Request) -> Response:
    if reading(request):
        return render(request, "upload.html", visibilities=VISIBILITIES, namings=NAMINGS, fields={}, results=None,
                      error=None)
    settings = request.app.state.settings
    fields: dict[str, str] = {}
    try:
        refuse_other_sites(request)
        request.app.state.uploads.sweep()  # what uploads abandoned long ago hold is room for this one
        form = await read_multipart(request, settings.media_dir / "tmp" / "uploads", settings.max_file_bytes)
        fields = form.fields
        try:
            refuse_expired_form(request, fields)
            meta = request_metadata(request, fields)
            files = [f for f in form.files if f.filename]
            if not files:
                raise UploadError(said("choose at least one recording to upload"), status=422)
            results = [await accept(request, f.path, f.filename, meta) for f in files]
        finally:
            form.discard()
    except UploadError as e:
        return render(request, "upload.html", status=e.status, visibilities=VISIBILITIES, namings=NAMINGS,
                      fields=fields, results=None, error=reason(e))
    status = 201 if any(r.story_id for r in results) else 422
    return render(request, "upload.html", status=status, visibilities=VISIBILITIES, namings=NAMINGS,
                  fields=fields, results=results, error=None)


routes = [
    Route("/", home),
    Route("/search", search),
    Route("/stories/{id:rowid}", story),
    Route("/media/{id:rowid}/captions.vtt", captions),
    Route("/media/{id:rowid}/{kind}", media),
    Route("/record", record),
    Route("/upload", upload, methods=["GET", "POST"]),
]
