"""Moderators' pages: stories from the public waiting to be published, the theme
vocabulary (add, edit) and suggested new themes. A moderator sees and reviews only
the stories of the communities they moderate; admins see all. Every change to the
vocabulary re-tags the archive in the worker.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from storyatlas.archive import Viewer, tags
from storyatlas.errors import AccessDenied, NotFound, StoryAtlasError, VocabularyError, reason, said
from storyatlas.themes import emerging, store
from storyatlas.themes.vocabulary import LANGUAGES, Theme
from storyatlas.web import row_id
from storyatlas.web.accounts import viewer
from storyatlas.web.pages import render
from storyatlas.web.security import read_form


def require_moderator(request: Request) -> Viewer:
    who = viewer(request)
    if not who.signed_in:
        raise AccessDenied(said("sign in as a moderator first, at /login"))
    if not who.is_moderator:
        raise AccessDenied(said("you moderate no community: an admin gives that role at /admin/users"))
    return who


def start(request: Request) -> Response:
    if viewer(request).is_moderator:
        return RedirectResponse("/moderate/review", status_code=303)
    return RedirectResponse("/login?next=/moderate/review", status_code=303)


def _theme_from_form(theme_id: str, fields: dict[str, str]) -> Theme:
    label = " ".join(fields.get("label", "").split())
    triggers = {lang: tuple(w.strip().lower() for w in fields.get(f"triggers_{lang}", "").split(",") if w.strip())
                for lang in LANGUAGES}
    labels = {lang: fields[f"label_{lang}"].strip() for lang in LANGUAGES[1:] if fields.get(f"label_{lang}", "").strip()}
    return Theme(theme_id, label, fields.get("description", "").strip(), labels,
                 {lang: words for lang, words in triggers.items() if words})


def _changed(request: Request) -> None:
    request.app.state.queue.retag()  # the worker re-tags every story in the background


def _save(request: Request, theme: Theme | None, fields: dict[str, str]) -> Response | tuple[str, Theme]:
    """Save the posted theme (a new one when ``theme`` is None) and re-tag the archive:
    the saved theme's page, or what to tell the moderator with the theme as posted (the
    form shown again with it: a refusal emptied what had been typed in ten languages)."""
    posted = _theme_from_form(theme.id if theme else fields.get("id", "").strip(), fields)
    try:
        (store.save_theme if theme else store.add_theme)(request.app.state.archives.get(), posted)
    except VocabularyError as e:
        return reason(e), posted
    _changed(request)
    return RedirectResponse(f"/moderate/themes/{posted.id}?saved=1", status_code=303)


# Each page reads its form on the event loop and does the rest in a worker thread, on that
# thread's own connection (``Archives``): a change waits there for any other process
# writing (up to the connection's 30 s; an erasure's merge holds the archive 2.8-4.2 s at
# a million segments), and on the event loop every request to the server waited with it.


async def _in_thread(request: Request, work: Callable[..., Response], *args) -> Response:
    fields = await read_form(request) if request.method == "POST" else None
    return await run_in_threadpool(work, request, *args, fields)


async def themes(request: Request) -> Response:
    return await _in_thread(request, _themes, require_moderator(request))


def _themes(request: Request, who: Viewer, fields: dict[str, str] | None) -> Response:
    archive = request.app.state.archives.get()
    error = posted = None
    if fields is not None:
        saved = _save(request, None, fields)
        if isinstance(saved, Response):
            return saved
        error, posted = saved
    return render(request, "moderate_themes.html", status=422 if error else 200, vocabulary=store.vocabulary(archive),
                  counts=tags.theme_counts(archive, who), error=error, posted=posted, languages_=LANGUAGES)


async def edit_theme(request: Request) -> Response:
    require_moderator(request)
    return await _in_thread(request, _edit_theme)


def _edit_theme(request: Request, fields: dict[str, str] | None) -> Response:
    try:
        theme = store.vocabulary(request.app.state.archives.get()).get(request.path_params["theme"])
    except StoryAtlasError:
        raise NotFound(said("there is no such theme")) from None
    error = posted = None
    if fields is not None:
        saved = _save(request, theme, fields)
        if isinstance(saved, Response):
            return saved
        error, posted = saved
    return render(request, "moderate_theme.html", status=422 if error else 200, theme=theme, error=error,
                  posted=posted, saved=request.query_params.get("saved") == "1", languages_=LANGUAGES)


async def suggestions(request: Request) -> Response:
    return await _in_thread(request, _suggestions, require_moderator(request))


def _suggestions(request: Request, who: Viewer, fields: dict[str, str] | None) -> Response:
    archive = request.app.state.archives.get()
    error = None
    if fields is not None:
        phrase = fields.get("phrase", "")
        if fields.get("action") == "dismiss":
            emerging.dismiss(archive, phrase)
        else:
            theme_id = fields.get("id", "").strip()
            try:
                emerging.accept(archive, phrase, theme_id, fields.get("label") or phrase.capitalize())
            except VocabularyError as e:
                error = said("{phrase!r}: {reason}", phrase=phrase, reason=reason(e))
            else:
                _changed(request)
                return RedirectResponse(f"/moderate/themes/{theme_id}?saved=1", status_code=303)
    return render(request, "moderate_suggestions.html", status=422 if error else 200,
                  suggestions=emerging.suggest(archive, who), error=error)


async def review(request: Request) -> Response:
    """Stories sent by the public: a moderator reads (and hears) each, then publishes it
    with the visibility its teller asked for, or declines it (it stays private)."""
    return await _in_thread(request, _review, require_moderator(request))


def _review(request: Request, who: Viewer, fields: dict[str, str] | None) -> Response:
    archive = request.app.state.archives.get()
    done = error = None
    status = 200
    if fields is not None:
        story_id, action = row_id(fields.get("story")) or 0, fields.get("action")
        try:  # a second moderator, or the same form sent twice, may have been first
            if action not in ("publish", "decline"):  # a form garbled on its way declines nothing
                status, error = 422, said("say whether to publish or decline the story")
            else:
                done = (archive.review(story_id, action == "publish", who), action == "publish")
        except NotFound as e:
            status, error = 404, reason(e)
    waiting = [(s, archive.job_for_story(s.id, who), archive.segments(s.id, who)) for s in archive.awaiting_review(who)]
    return render(request, "moderate_review.html", status=status, waiting=waiting, done=done, error=error)


routes = [
    Route("/moderate", start),
    Route("/moderate/review", review, methods=["GET", "POST"]),
    Route("/moderate/themes", themes, methods=["GET", "POST"]),
    Route("/moderate/themes/{theme}", edit_theme, methods=["GET", "POST"]),
    Route("/moderate/suggestions", suggestions, methods=["GET", "POST"]),
]
