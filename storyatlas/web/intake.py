"""Turning uploaded files and form fields into stories: shared by the API and the pages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from storyatlas.archive import Place, StoryMetadata, Viewer
from storyatlas.archive.consent import NAMINGS, VISIBILITIES, Consent
from storyatlas.archive.policy import may_moderate
from storyatlas.errors import ConsentError, MediaError, UploadError, reason
from storyatlas.ingest import ingest_file
from storyatlas.web.accounts import viewer
from storyatlas.web.i18n import Translator, request_language


__all__ = ["NAMINGS", "VISIBILITIES", "Accepted", "accept", "metadata_from", "request_metadata"]


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
    moderator = may_moderate(who, place.community, get("collection"))
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
    """Ingest one uploaded file (in a worker thread) and queue its processing."""
    state = request.app.state
    who = viewer(request)

    def work() -> Accepted:
        archive = state.archives.get()
        try:
            result = ingest_file(archive, path, meta, state.settings, who, original_name=filename)
        except MediaError as e:
            # the temp name means nothing to the person: name their file instead
            return Accepted(filename, error=f"{filename}: {Translator(request_language(request)).error(e)}")
        finally:
            path.unlink(missing_ok=True)
        if result.job_id is not None:
            state.queue.enqueue([result.job_id])
        if result.duplicate:  # a story the sender may see already: say which
            job = archive.job_for_story(result.story_id, who)
            return Accepted(filename, result.story_id, job.state if job else None, duplicate=True)
        notice = Translator(request_language(request)).said(result.notice) if result.notice else None
        return Accepted(filename, result.story_id, "queued", receipt=result.teller_token,
                        link=f"/mine/{result.teller_token}", awaiting_review=meta.requested_visibility is not None or None,
                        notice=notice)

    return await run_in_threadpool(work)
