"""Turning uploaded files and form fields into stories: shared by the API and the pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from storyatlas.archive import Place, StoryMetadata
from storyatlas.errors import MediaError, UploadError
from storyatlas.ingest import ingest_file
from storyatlas.web.security import is_moderator, receipt

VISIBILITIES = ("public", "community", "researchers", "private")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


def metadata_from(fields: dict[str, str], moderator: bool = False) -> StoryMetadata:
    """Validated story metadata from form fields; blank fields mean "not given".

    A story sent by anyone but a moderator stays private until a moderator publishes it
    with the visibility asked for here.
    """
    def get(name: str) -> str | None:
        value = " ".join((fields.get(name) or "").split())
        return value[:500] or None

    recorded, language = get("recorded_on"), get("language")
    if recorded and not _DATE.match(recorded):
        raise UploadError("the recording date must look like 2026, 2026-03 or 2026-03-14", status=422)
    if language and not _LANGUAGE.match(language.lower()):
        raise UploadError("the language must be a code such as de, fr or pl", status=422)
    visibility = get("visibility") or "public"
    if visibility not in VISIBILITIES:
        raise UploadError(f"who may hear the story must be one of {', '.join(VISIBILITIES)}", status=422)
    return StoryMetadata(
        title=get("title"), collection=get("collection"), place=Place.parse(get("place")),
        recorded_on=recorded, language_hint=language.lower() if language else None,
        storyteller=get("storyteller"), description=(fields.get("description") or "").strip()[:5000] or None,
        visibility=visibility if moderator else "private",
        requested_visibility=None if moderator or visibility == "private" else visibility,
    )


def request_metadata(request: Request, fields: dict[str, str]) -> StoryMetadata:
    return metadata_from(fields, is_moderator(request.cookies, request.app.state.secret))


@dataclass(frozen=True)
class Accepted:
    filename: str
    story_id: int | None = None
    job_state: str | None = None
    duplicate: bool = False
    error: str | None = None
    receipt: str | None = None
    awaiting_review: bool | None = None
    """True while a moderator has still to publish it."""

    def as_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


async def accept(request: Request, path: Path, filename: str, meta: StoryMetadata) -> Accepted:
    """Ingest one uploaded file (in a worker thread) and queue its processing."""
    state = request.app.state

    def work() -> Accepted:
        archive = state.archives.get()
        try:
            result = ingest_file(archive, path, meta, state.settings, original_name=filename)
        except MediaError as e:
            # the temp name means nothing to the person: name their file instead
            reason = str(e).replace(f"{path}: ", "")
            return Accepted(filename, error=f"{filename}: {reason}")
        finally:
            path.unlink(missing_ok=True)
        if result.job_id is not None:
            state.queue.enqueue([result.job_id])
        job = archive.job_for_story(result.story_id)
        waiting = archive.story(result.story_id).requested_visibility is not None
        return Accepted(filename, result.story_id, job.state if job else None, result.duplicate,
                        receipt=receipt(state.secret, result.story_id), awaiting_review=waiting or None)

    return await run_in_threadpool(work)
