"""Processing one story: transcribe, translate, store, tag. Idempotent: running a job again
(after a crash, or twice by mistake) replaces what an earlier run stored."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from storyatlas.archive import Archive, Job
from storyatlas.errors import StoryAtlasError
from storyatlas.ingest.store import MediaStore
from storyatlas.settings import Settings
from storyatlas.themes.run import tag_story
from storyatlas.transcribe import Progress, transcribe_story

log = logging.getLogger(__name__)

JobListener = Callable[[Job, Progress], None]
# writing progress to the archive more often than this only slows the work down
_PROGRESS_INTERVAL_S = 0.5


def process_job(settings: Settings, job_id: int, listener: JobListener | None = None,
                archive: Archive | None = None) -> Job:
    """Run one job if it is free to run; return the job as it stands afterwards."""
    own = archive is None
    archive = archive or Archive(settings.database)
    try:
        if not archive.claim_job(job_id):
            return archive.job(job_id)
        job = archive.job(job_id)
        try:
            _run(archive, settings, job, listener)
        except StoryAtlasError as e:
            log.warning("job %d (story %d) failed: %s", job.id, job.story_id, e)
            archive.finish_job(job.id, "failed", str(e))
        except Exception as e:
            log.exception("job %d (story %d) failed unexpectedly", job.id, job.story_id)
            archive.finish_job(job.id, "failed", f"internal error: {type(e).__name__}: {e}")
            raise
        finally:
            if listener:
                final = archive.job(job.id)
                listener(final, Progress(final.state, final.progress, final.message))
        return archive.job(job_id)
    finally:
        if own:
            archive.close()


def _run(archive: Archive, settings: Settings, job: Job, listener: JobListener | None) -> None:
    story = archive.story(job.story_id)
    speech = MediaStore(settings.media_dir).absolute(archive.media(story.id, "speech").path)
    last = 0.0

    def progress(p: Progress) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= _PROGRESS_INTERVAL_S or p.fraction >= 1.0:
            last = now
            archive.report_progress(job.id, p.stage, p.fraction, p.message)
        if listener:
            listener(job, p)

    result = transcribe_story(Path(speech), settings, story.language_hint, progress)
    archive.save_transcription(story.id, result.transcript, result.translation, result.english)
    progress(Progress("tagging", 1.0))
    tag_story(archive, story.id, settings.cache)
    message = None if result.transcript.segments else (
        "no speech was found in this recording; check that it is the right file"
    )
    archive.finish_job(job.id, "done", message)
