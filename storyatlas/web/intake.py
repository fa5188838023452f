"""Turning uploaded files and form fields into stories: shared by the API and the pages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from python_multipart.multipart import parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request

from storyatlas.archive import Place, StoryMetadata, Viewer
from storyatlas.archive.consent import NAMINGS, VISIBILITIES, Consent, new_teller_link
from storyatlas.archive.policy import may_moderate
from storyatlas.errors import ConsentError, MediaError, UploadError, reason, said
from storyatlas.ingest import ingest_file
from storyatlas.web.accounts import viewer
from storyatlas.web.i18n import Translator, request_language
from storyatlas.web.uploads import NEW_LINK

__all__ = ["NAMINGS", "VISIBILITIES", "Accepted", "accept", "finish", "metadata_from", "request_metadata"]

FINISH_FIELDS, FINISH_FIELD_BYTES = 20, 64 * 1024
_FORMS = (b"multipart/form-data", b"application/x-www-form-urlencoded")


def metadata_from(fields: dict[str, str], who: Viewer) -> StoryMetadata:
    """Validated story metadata and consent from form fields; blank fields mean "not given".

    A story sent by anyone but a moderator of its community stays private until a
    moderator publishes it with the visibility asked for here.
    """
    def get(name: str) -> str | None:
        value = " ".join((fields.get(name) or "").split())
        return value[:500] or None

    try:
        consent = Consent(get("visibility") or "public", get("embargo_until") or None,
                          get("storyteller_naming") or "full",
                          (fields.get("exportable") or "no").lower() in ("yes", "on", "true", "1")).validated()
    except ConsentError as e:
        raise UploadError(reason(e), status=422) from None
    visibility = consent.visibility or "public"
    place = Place.parse(get("place"))
    # published at once only by a moderator of its community: a collection is whatever the
    # sender types, and naming one they moderate must not publish into another community
    # without its moderators' review
    moderator = may_moderate(who, place.community, None if place.community else get("collection"))
    meta = StoryMetadata(
        title=get("title"), collection=get("collection"), place=place,
        recorded_on=get("recorded_on"), language_hint=get("language"),
        storyteller=get("storyteller"), description=(fields.get("description") or "").strip()[:5000] or None,
        visibility=visibility if moderator else "private",
        requested_visibility=None if moderator or visibility == "private" else visibility,
        embargo_until=consent.embargo_until, storyteller_naming=consent.storyteller_naming or "full",
        exportable=bool(consent.exportable),
    )
    try:
        return meta.validated()
    except MediaError as e:
        raise UploadError(reason(e), status=422) from None


def request_metadata(request: Request, fields: dict[str, str]) -> StoryMetadata:
    return metadata_from(fields, viewer(request))


@dataclass(frozen=True)
class Accepted:
    filename: str
    story_id: int | None = None
    job_state: str | None = None
    duplicate: bool = False
    error: str | None = None
    receipt: str | None = None
    """The storyteller's private link token (shown once): follows processing, and opens
    ``link``, where they see the story, change their consent or withdraw it."""
    link: str | None = None
    awaiting_review: bool | None = None
    """True while a moderator has still to publish it."""
    notice: str | None = None
    """Taken in, but with something the sender should know (less decoded than the file says)."""

    def as_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


async def accept(request: Request, path: Path, filename: str, meta: StoryMetadata) -> Accepted:
    """Ingest one uploaded file (in a worker thread) and queue its processing. The file is
    left where it is, for the caller to remove: when taking it in failed for a passing
    reason (a database busy for a moment), a resumable upload stays to be finished again."""
    state = request.app.state
    who = viewer(request)
    # a file part named "" (an empty file input, a script): its scratch name would mean nothing
    filename = filename or "recording"

    def work() -> Accepted:
        archive = state.archives.get()
        try:
            result = ingest_file(archive, path, meta, state.settings, who, original_name=filename)
        except MediaError as e:
            # the temp name means nothing to the person: name their file instead
            return Accepted(filename, error=f"{filename}: {Translator(request_language(request)).error(e)}")
        if result.job_id is not None:
            state.queue.enqueue([result.job_id])
        if result.duplicate:  # a story the sender may see already: say which
            job = archive.job_for_story(result.story_id, who)
            return Accepted(filename, result.story_id, job.state if job else None, duplicate=True)
        notice = Translator(request_language(request)).said(result.notice) if result.notice else None
        return Accepted(filename, result.story_id, "queued", receipt=result.teller_token,
                        link=f"/mine/{result.teller_token}",
                        awaiting_review=meta.requested_visibility is not None or None, notice=notice)

    return await run_in_threadpool(work)


async def finish_form(request: Request) -> dict[str, str]:
    """The fields sent with a resumable upload's finish: a form, or nothing at all. Any
    other body (JSON...) would have its fields silently dropped, the story's consent
    among them, so it is refused."""
    content_type, params = parse_options_header(request.headers.get("content-type"))
    if content_type not in _FORMS or (content_type == _FORMS[0] and b"boundary" not in params):
        refused = UploadError(said("send the form as multipart/form-data"), status=415)
        if content_type:
            raise refused
        async for chunk in request.stream():
            if chunk:  # said at its first byte: a body of no kind is not read whole
                raise refused
        return {}
    try:
        form = await request.form(max_files=0, max_fields=FINISH_FIELDS, max_part_size=FINISH_FIELD_BYTES)
    except HTTPException as e:  # Starlette's refusal, in its own English
        raise UploadError(said("the form that finishes an upload holds at most {fields} fields of at most "
                               "{size} KB each, and no file (the recording goes in the pieces); send it again "
                               "within those", fields=FINISH_FIELDS, size=FINISH_FIELD_BYTES // 1024),
                          status=413) from e
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def finish(request: Request, upload_id: str) -> tuple[int, dict]:
    """Finish a resumable upload with the request's form: the status and JSON to answer
    with; for a finish sent again once it is done, the same (with a new private link)."""
    uploads = request.app.state.uploads
    uploads.sweep(every=60)
    kept = uploads.answer(upload_id)
    if kept is not None:  # its answer was lost on the way: the same again, not "start it again"
        return await _with_new_link(request, kept)
    fields = await finish_form(request)
    meta = request_metadata(request, fields)

    async def take_in(path: Path) -> tuple[int, dict]:
        accepted = await accept(request, path, fields.get("filename") or "recording.webm", meta)
        return 201 if accepted.story_id else 422, accepted.as_json()

    return await _with_new_link(request, await uploads.finish(upload_id, take_in))


async def _with_new_link(request: Request, answer: tuple[int, dict]) -> tuple[int, dict]:
    """A kept answer given again: its story's teller gets a new private link, the first
    one (lost with the answer that held it, or not) opening nothing more."""
    status, body = answer
    if not body.pop(NEW_LINK, False):
        return answer
    token = await run_in_threadpool(new_teller_link, request.app.state.archives.get(), body["story_id"])
    if token is not None:  # None: withdrawn meanwhile, nothing to open
        body |= {"receipt": token, "link": f"/mine/{token}"}
    return status, body
