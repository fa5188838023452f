"""Looking after one story: its moderators' page (consent, its history, redactions,
index points, review state, erasure for admins) and the storyteller's own page, opened by the private link they
got when they sent it (see the story in any state, change consent, withdraw)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from storyatlas.archive import Story, Viewer, consent, index_points, tags
from storyatlas.archive.erasure import erase
from storyatlas.archive.records import IndexPoint
from storyatlas.archive.redaction import parse_clock
from storyatlas.errors import AccessDenied, NotFound, StoryAtlasError, reason, said
from storyatlas.ingest import recording_notice
from storyatlas.ingest.redact import redact
from storyatlas.text import clock_tenths
from storyatlas.themes import store
from storyatlas.web import row_id
from storyatlas.web.accounts import viewer
from storyatlas.web.i18n import Translator, request_language
from storyatlas.web.intake import NAMINGS, VISIBILITIES
from storyatlas.web.pages import media_file, render
from storyatlas.web.security import read_form


def _consent_from(fields: dict[str, str]) -> consent.Consent:
    return consent.Consent(fields.get("visibility") or None, (fields.get("embargo_until") or "").strip(),
                           fields.get("storyteller_naming") or None,
                           fields.get("exportable", "no") in ("yes", "on"))


def _page(request: Request, template: str, story_id: int, who: Viewer, status: int = 200, **context) -> Response:
    archive = request.app.state.archives.get()
    story = archive.story(story_id, who)
    notice = recording_notice(archive, story_id, who)
    return render(request, template, status=status, story=story, who=who,
                  notice=Translator(request_language(request)).said(notice) if notice else None,
                  segments=archive.segments(story_id, who), job=archive.job_for_story(story_id, who),
                  redactions=archive.redactions(story_id, who), history=consent.changes(archive, story_id, who),
                  visibilities=VISIBILITIES, namings=NAMINGS, asked=_asked(archive, story), **context)


def _index_point_from(fields: dict[str, str]) -> IndexPoint:
    """An index point from the moderators' form: themes are checkboxes named ``theme:ID``
    (each its own field, as the form reader keeps one value per name)."""
    return IndexPoint(parse_clock(fields.get("at", "")), fields.get("title", ""),
                      synopsis=fields.get("synopsis", ""), keywords=tuple(fields.get("keywords", "").split(",")),
                      themes=tuple(k[6:] for k, v in fields.items() if k.startswith("theme:") and v),
                      place=fields.get("place", ""))


def _asked(archive, story: Story) -> str:
    """Who the teller asked may hear it (while waiting) or who may now."""
    return story.requested_visibility or story.visibility


def _moderator_of(request: Request, story_id: int) -> Viewer:
    who = viewer(request)
    request.app.state.archives.get().story_to_moderate(story_id, who)
    return who


# Both pages do their work in a worker thread, on that thread's own connection
# (``Archives``). On the event loop, a change waited there for any other writer (up to the
# connection's 30 s; an erasure's merge holds the archive 2.8-4.2 s at a million segments), and
# every request to the server waited with it. A redaction or an erasure handed the loop's
# connection shared its transaction with the requests served meanwhile.


async def story_page(request: Request) -> Response:
    """A moderator's page for one story: consent, redaction, index points, processing a
    failed story again and (admins) erasure."""
    story_id = request.path_params["id"]
    who = _moderator_of(request, story_id)
    fields = await read_form(request) if request.method == "POST" else None
    return await run_in_threadpool(_moderate, request, story_id, who, fields)


def _moderate(request: Request, story_id: int, who: Viewer, fields: dict[str, str] | None) -> Response:
    message = error = None
    t = Translator(request_language(request))
    archive = request.app.state.archives.get()
    if fields is not None:
        action = fields.get("action")
        media_dir = request.app.state.settings.media_dir
        try:
            if action == "consent":
                changed = consent.change(archive, story_id, _consent_from(fields), who)
                message = t("keep.done_consent", count=len(changed)) if changed else t("keep.done_nothing")
            elif action == "redact":
                start, end = parse_clock(fields.get("start", "")), parse_clock(fields.get("end", ""))
                done = redact(archive, media_dir, story_id, start, end, who)
                request.app.state.queue.index_meaning()  # what is left of a cut line, found by meaning again
                message = t("keep.done_redacted", start=fields["start"], end=fields["end"],
                            count=done.segments_changed)
                if done.index_points:
                    message += " " + t("keep.redacted_index_points",
                                       times=", ".join(clock_tenths(at) for at in done.index_points))
            elif action == "index":
                store.vocabulary(archive)  # a new archive knows its themes once the vocabulary is seeded
                point = index_points.add(archive, story_id, _index_point_from(fields), who)
                message = t("keep.done_index_added", seconds=f"{point.time:.0f}")
            elif action == "index_remove":
                point_id = row_id(fields.get("point"))
                if point_id is None:
                    raise NotFound(said("no such index point"))
                index_points.remove(archive, point_id, who, story_id=story_id)
                message = t("keep.done_index_removed")
            elif action == "retry":
                request.app.state.queue.enqueue([archive.retry(story_id, who)])
                message = t("keep.done_retried")
            elif action == "review_state":
                story = index_points.set_review_state(archive, story_id, fields.get("review_state", ""), who)
                message = t("keep.done_review_state", state=t("review." + story.review_state))
            elif action == "erase":
                if not who.is_admin:
                    raise AccessDenied(said("only admins erase stories"))
                why = " ".join(fields.get("reason", "").split()) or "erased by an admin"
                erase(archive, media_dir, story_id, who.label(), why)
                return render(request, "erased.html", story_id=story_id)
        except StoryAtlasError as e:
            if isinstance(e, AccessDenied):
                raise
            error = reason(e)
    # an index point refused keeps what was typed in its form, to be mended and sent again
    typed = fields if error and fields and fields.get("action") == "index" else {}
    return _page(request, "moderate_story.html", story_id, who, status=422 if error else 200,
                 message=message, error=error, typed=typed, index=index_points.points(archive, story_id, who),
                 theme_ids=[r["id"] for r in tags.theme_rows(archive)], review_states=index_points.REVIEW_STATES)


async def teller_page(request: Request) -> Response:
    """The storyteller's own page: no account, only the link they were given."""
    who = consent.teller_viewer(request.app.state.archives.get(), request.path_params["token"])
    fields = await read_form(request) if request.method == "POST" else None
    return await run_in_threadpool(_tell, request, who, fields)


def _tell(request: Request, who: Viewer, fields: dict[str, str] | None) -> Response:
    story_id = next(iter(who.tells))
    message = error = None
    t = Translator(request_language(request))
    archive = request.app.state.archives.get()
    if fields is not None:
        try:
            if fields.get("action") == "withdraw":
                if fields.get("confirm") != "yes":
                    raise StoryAtlasError(said("tick the box to confirm that the story should be removed for good"))
                erase(archive, request.app.state.settings.media_dir, story_id, who.label(),
                      "withdrawn by the storyteller")
                return render(request, "erased.html", story_id=None)
            changed = consent.change(archive, story_id, _consent_from(fields), who)
            message = t("keep.done_saved") if changed else t("keep.done_nothing")
        except StoryAtlasError as e:
            error = reason(e)
    return _page(request, "teller.html", story_id, who, status=422 if error else 200, message=message,
                 error=error, token=request.path_params["token"])


def teller_listening(request: Request) -> Response:
    """The story's listening copy, for its teller by their link: a story waiting for review
    (as every story from the public does) is out of everyone else's hearing, so the page's
    player cannot ask /media/ for it."""
    who = consent.teller_viewer(request.app.state.archives.get(), request.path_params["token"])
    return media_file(request, next(iter(who.tells)), "listen.webm", who)


routes = [
    Route("/moderate/stories/{id:rowid}", story_page, methods=["GET", "POST"]),
    Route("/mine/{token}", teller_page, methods=["GET", "POST"]),
    Route("/mine/{token}/listen.webm", teller_listening),
]
