"""The correction editor in the browser: /stories/ID/edit, for the people who may correct
a story's transcript (volunteers, and the moderators of its community).

With JavaScript (static/editor.js) the page edits through the JSON API
(``/api/stories/ID/...``, each edit naming the revision it started from). Without it,
each segment is a plain form posted here, saved with ``corrections.set_text`` and the
same ``base``: a stale one answers the page again (409) with who saved first and the
text that was sent, so nothing is overwritten silently.
"""

from __future__ import annotations

import datetime
import re
from urllib.parse import quote

from babel.dates import format_time
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from storyatlas.archive import Story, Viewer, corrections
from storyatlas.archive.revisions import MACHINE
from storyatlas.archive.worklist import REVIEW_STATES, work_list
from storyatlas.errors import AccessDenied, Conflict, CorrectionError, reason, said
from storyatlas.web import i18n, reading, row_id
from storyatlas.web.accounts import viewer
from storyatlas.web.api import job_json, transcript_json
from storyatlas.web.pages import render, start_time
from storyatlas.web.security import read_form

# the words the script shows, in the reader's language (it reads them from the page)
SCRIPT_STRINGS = (
    "editor.saved", "editor.saving", "editor.unchanged", "editor.not_saved", "editor.conflict",
    "editor.segment_text", "editor.no_speaker", "editor.new_speaker", "editor.split_where", "editor.last",
    "editor.split_done", "editor.merge_done", "editor.empty", "editor.named", "editor.matches",
    "editor.replaced", "editor.revision", "editor.compare", "editor.restore", "editor.restored",
    "editor.changes", "editor.no_changes", "editor.no_revisions", "editor.before", "editor.after",
    "editor.time", "editor.reloaded", "editor.speed_now", "editor.machine", "editor.current",
    "editor.role.interviewer", "editor.role.storyteller", "editor.role.other", "story.jump",
)
_LABEL = re.compile(r"^S(\d+)$")


def _editor_of(request: Request, story_id: int) -> tuple[Viewer, Story] | Response:
    """Who may correct the story, or where an anonymous visitor goes: a story out of
    sight is the 404 of one that does not exist; a visitor not signed in is sent to sign
    in (and back); anyone else who may not correct it is refused."""
    who = viewer(request)
    story = request.app.state.archives.get().story(story_id, who)  # NotFound for a story out of sight
    if not who.signed_in:
        if reading(request):
            return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
        raise AccessDenied(said("sign in as a volunteer or a moderator to correct transcripts, at /login"))
    if not corrections.may_correct(story, who):
        raise AccessDenied(said("only volunteers and the moderators of this story's community "
                                "correct its transcript"))
    return who, story


def speaker_choices(t: corrections.Transcript) -> list[str]:
    """The labels a segment's speaker may be set to: those in use or named, and one new."""
    labels = {s.speaker for s in t.segments if s.speaker} | {s.label for s in t.speakers}
    numbers = [int(m.group(1)) for m in map(_LABEL.match, labels) if m]
    fresh = f"S{max(numbers, default=0) + 1}"
    return [*sorted(labels, key=lambda x: (0, int(x[1:])) if _LABEL.match(x) else (1, x)), fresh]


def _clock_time(iso: str, translator: i18n.Translator) -> str:
    """A revision's time (stored in UTC) as the reader's locale writes a time of day."""
    try:
        when = datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return iso
    return f"{format_time(when, 'short', tzinfo=datetime.timezone.utc, locale=translator.locale)} UTC"


def _page(request: Request, story: Story, who: Viewer, status: int = 200, **context) -> Response:
    archive = request.app.state.archives.get()
    t = corrections.transcript(archive, story.id, who)
    translator = i18n.Translator(i18n.request_language(request))
    revisions = corrections.revisions(archive, story.id, who)
    spoken = {s.language for s in t.segments if s.language} | {story.language or "und"}
    return render(request, "editor.html", status=status, story=story, segments=t.segments,
                  speakers={s.label: s for s in t.speakers}, choices=speaker_choices(t), revision=t.revision,
                  roles=corrections.SPEAKER_ROLES, revisions=revisions, start=start_time(request),
                  revision_time=lambda iso: _clock_time(iso, translator), machine=MACHINE,
                  job=None if t.segments else job_json(request, archive.job_for_story(story.id, who)),
                  data={"transcript": transcript_json(t), "machine": MACHINE, "lang": translator.lang,
                        "language_names": {code: translator.language_name(code) for code in spoken},
                        "strings": {k: translator(k) for k in SCRIPT_STRINGS}},
                  **{"kept": {}, "conflict": None, "error": None, "saved": None, "unchanged": False, **context})


async def edit(request: Request) -> Response:
    story_id = request.path_params["id"]
    found = _editor_of(request, story_id)
    if isinstance(found, Response):
        return found
    who, story = found
    fields = await read_form(request) if request.method == "POST" else None
    # in a worker thread on its own connection: a correction waits there for any other
    # process writing, and on the event loop every request to the server waited with it
    return await run_in_threadpool(_edit, request, story, who, fields)


def _edit(request: Request, story: Story, who: Viewer, fields: dict[str, str] | None) -> Response:
    if fields is None:
        return _page(request, story, who, saved=row_id(request.query_params.get("saved")),
                     unchanged=request.query_params.get("unchanged") == "1")
    # a segment's form, sent without JavaScript
    archive = request.app.state.archives.get()
    story_id = story.id
    segment_id, base, text = row_id(fields.get("segment")), row_id(fields.get("base")), fields.get("text", "")
    if segment_id is None or base is None:
        return _page(request, story, who, status=422,
                     error=said("the form lost its segment or revision: reload the page"))
    segment = next((s for s in archive.segments(story_id, who) if s.id == segment_id), None)
    try:
        corrections.checked_text(text)  # refused before a speaker is saved with it
        done = corrections.Saved(base, 0)
        speaker = fields.get("speaker")
        if speaker is not None and segment is not None and (speaker or None) != segment.speaker:
            done = corrections.set_speaker(archive, story_id, segment_id, speaker, who, base=base)
        saved = corrections.set_text(archive, story_id, segment_id, text, who, base=done.revision)
    except Conflict as e:
        latest = next(iter(corrections.revisions(archive, story_id, who)), None)
        if (latest.number if latest else 0) == done.revision:
            # no newer revision: the segment went while the page was open (the story was transcribed
            # again): the typed text stays in view, as the segment it was typed in is not there
            return _page(request, story, who, status=409, conflict={"text": text}, error=said(
                "that segment is no longer in the transcript (it was merged, split or transcribed again): your "
                "text is kept below, to add where it belongs"))
        if latest is None:  # a revision the form could not have loaded: nothing was saved yet
            return _page(request, story, who, status=409, error=reason(e), kept={segment_id: text})
        return _page(request, story, who, status=409, conflict={
            "who": latest.who, "number": latest.number, "at": latest.at, "text": text, "segment": segment_id})
    except CorrectionError as e:
        return _page(request, story, who, status=422, error=reason(e), kept={segment_id: text})
    if saved.changed:
        request.app.state.queue.retag()  # the worker tags the corrected story again
    # a form sent as it came saves no revision: "Saved: revision 0" would name one that is not there
    said_back = f"saved={saved.revision}" if saved.changed or done.changed else "unchanged=1"
    return RedirectResponse(f"/stories/{story_id}/edit?{said_back}#seg-{segment_id}", status_code=303)


async def work(request: Request) -> Response:
    """The stories a volunteer may correct: by review state, or those they saved."""
    who = viewer(request)
    if not who.signed_in:
        return RedirectResponse("/login?next=/work", status_code=303)
    state = request.query_params.get("state") or None
    if state not in (None, *REVIEW_STATES):
        state = None
    mine = request.query_params.get("mine") == "1"
    items = work_list(request.app.state.archives.get(), who, state, mine)
    return render(request, "work.html", items=items, state=state, mine=mine, states=REVIEW_STATES)


routes = [
    Route("/stories/{id:rowid}/edit", edit, methods=["GET", "POST"]),
    Route("/work", work),
]
