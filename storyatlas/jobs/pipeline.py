"""Processing one story: transcribe, translate, store, tag. Idempotent: running a job again
(after a crash, or twice by mistake) replaces what an earlier run stored."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from storyatlas.archive import Archive, Job, Viewer
from storyatlas.archive.records import Story
from storyatlas.archive.erasure import scrub
from storyatlas.archive.redaction import current_speech
from storyatlas.archive.revisions import machine_speakers
from storyatlas.errors import Conflict, MediaError, NotFound, StoryAtlasError, TranscriptionError, reason, said
from storyatlas.ingest.channels import channel_speakers
from storyatlas.ingest.store import MediaStore
from storyatlas.ingest.voices import available as voices_available, speaker_turns
from storyatlas.settings import Settings
from storyatlas.themes.run import tag_story
from storyatlas.transcribe import (
    Checkpoint, CheckpointCallback, Progress, ProgressCallback, checkpoint_path, discard_checkpoint, load_checkpoint,
    save_checkpoint, transcribe_story,
)
from storyatlas.transcribe.audio_windows import AudioIdentity

log = logging.getLogger(__name__)

JobListener = Callable[[Job, Progress], None]
# the worker processes every story, whoever may later see it
WORKER = Viewer.keeper("worker")
# writing progress to the archive more often than this only slows the work down
_PROGRESS_INTERVAL_S = 0.5


def process_job(settings: Settings, job_id: int, listener: JobListener | None = None,
                archive: Archive | None = None) -> Job:
    """Run one job if it is free to run; return the job as it stands afterwards."""
    own = archive is None
    archive = archive or Archive(settings.database)
    try:
        try:
            if not archive.claim_job(job_id):
                return archive.job(job_id)
        except NotFound:  # a message left in the queue for an erased story
            log.info("job %d is gone: its story was erased", job_id)
            return _erased(job_id, 0)
        job = archive.job(job_id)
        try:
            _run(archive, settings, job, listener)
        except StoryAtlasError as e:
            log.warning("job %d (story %d) failed: %s", job.id, job.story_id, e)
            # the reason alone: the file it names is a path on the server, which the log keeps
            archive.finish_job(job.id, "failed", reason(e))
        except Exception as e:
            log.exception("job %d (story %d) failed unexpectedly", job.id, job.story_id)
            archive.finish_job(job.id, "failed", said("internal error: {kind}: {detail}",
                                                      kind=type(e).__name__, detail=str(e)))
            raise
        finally:
            if listener:
                final = _current(archive, job)
                listener(final, Progress(final.state, final.progress, final.message))
        return _current(archive, job)
    finally:
        if own:
            archive.close()


def _run(archive: Archive, settings: Settings, job: Job, listener: JobListener | None) -> None:
    story = archive.story(job.story_id, WORKER)
    speech = MediaStore(settings.media_dir).absolute(archive.media(story.id, "speech", WORKER).path)
    # what a worker killed mid-way had done: the next run resumes there; removed when the job
    # ends either way (only a process that dies leaves one behind, for the next worker)
    checkpoints = checkpoint_path(settings.archive, story.id)
    last = 0.0

    def progress(p: Progress) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= _PROGRESS_INTERVAL_S or p.fraction >= 1.0:
            last = now
            archive.report_progress(job.id, p.stage, p.fraction, p.message)
        if listener:
            listener(job, p)

    try:
        _transcribe_and_store(archive, settings, job, story, speech, checkpoints, progress)
    except Exception:
        discard_checkpoint(checkpoints)
        raise
    discard_checkpoint(checkpoints)


def _transcribe_and_store(archive: Archive, settings: Settings, job: Job, story: Story, speech: Path,
                          checkpoints: Path, progress: ProgressCallback) -> None:
    transcribed, stored_unredacted = speech, False
    while True:
        try:
            result = transcribe_story(Path(transcribed), settings, story.language_hint, progress,
                                      resume_from=_resumable(checkpoints, Path(transcribed)),
                                      on_checkpoint=_keeper(archive, settings, story.id, transcribed, checkpoints))
        except TranscriptionError:
            # the speech is read a window at a time: erased or redacted meanwhile, its file may be gone
            if _speech_now(archive, settings, story.id) == transcribed:
                raise
            result = None
        if result is not None and result.stats.started_at_s:
            log.info("story %d: resumed at %.0f s", story.id, result.stats.started_at_s)
        now = _speech_now(archive, settings, story.id)
        if now == transcribed and result is not None:
            try:
                archive.save_transcription(story.id, result.transcript, result.translation, result.english)
                if not _speakers_by_channel(archive, settings, story.id):
                    _speakers_by_voice(archive, story.id, Path(transcribed))
                progress(Progress("tagging", 1.0))
                tag_story(archive, story.id, settings.cache)
            except Conflict as e:  # run again after people corrected it: their work stays
                log.warning("story %d: %s", story.id, e)
                archive.finish_job(job.id, "done", reason(e))
                return
            except (sqlite3.IntegrityError, NotFound):
                # erased at that very moment: the foreign keys refused its rows
                if _speech_now(archive, settings, story.id) is not None:
                    raise
            # the check and the save are two transactions: look again
            now = _speech_now(archive, settings, story.id)
            if now == transcribed:
                break
            stored_unredacted = True
        if now is None:
            log.info("story %d was erased while it was processed: nothing of it is kept", story.id)
            return
        # redacted meanwhile: what was heard may hold the words it took out
        log.info("story %d was redacted while it was processed: transcribing the redacted audio", story.id)
        transcribed = now
    if stored_unredacted:  # its words went again, but the index and the log still hold them
        scrub(archive)
    message = None if result.transcript.segments else said(
        "no speech was found in this recording; check that it is the right file"
    )
    archive.finish_job(job.id, "done", message)


def _speakers_by_channel(archive: Archive, settings: Settings, story_id: int) -> bool:
    """A recording with a voice on each channel gets its segments labelled S1, S2, ...
    (one leading channel alone says nothing about who speaks). Whether it had."""
    segments = archive.segments(story_id, WORKER)
    original = MediaStore(settings.media_dir).absolute(archive.media(story_id, "original", WORKER).path)
    try:
        labels = channel_speakers(original, [(s.start, s.end) for s in segments])
    except MediaError as e:
        log.warning("story %d: speakers not labelled by channel: %s", story_id, e)
        return False
    if len({label for label in labels if label}) < 2:
        return False
    with archive.transaction() as c:
        machine_speakers(c, story_id, {s.id: label for s, label in zip(segments, labels) if label})
    return True


_voices_missing_said = False


def _speakers_by_voice(archive: Archive, story_id: int, speech: Path) -> None:
    """Voices sharing a channel: segments labelled S1, S2, ... by voice (the speaker
    encoder of the Resemblyzer wheel, when installed), where two or more are heard."""
    global _voices_missing_said
    if not voices_available():
        if not _voices_missing_said:
            _voices_missing_said = True
            log.info("speakers are not told apart by voice: pip install --no-deps resemblyzer==0.1.4")
        return
    segments = archive.segments(story_id, WORKER)
    if len(segments) < 2:
        return
    try:
        labels = speaker_turns(speech, [(s.start, s.end) for s in segments])
    except MediaError as e:
        log.warning("story %d: speakers not labelled by voice: %s", story_id, e)
        return
    if len({label for label in labels if label}) >= 2:
        with archive.transaction() as c:
            machine_speakers(c, story_id, {s.id: label for s, label in zip(segments, labels) if label})


def _resumable(checkpoints: Path, speech: Path) -> Checkpoint | None:
    """The checkpoint a killed run left, if it was made from this very file: one of the
    audio before a redaction holds the words it cut, and goes."""
    found = load_checkpoint(checkpoints)
    if found is None:
        return None
    try:
        fits = found.audio == AudioIdentity.of(speech)
    except OSError:  # gone already: transcribing it will say so
        fits = False
    if not fits:
        discard_checkpoint(checkpoints)
        return None
    return found


def _keeper(archive: Archive, settings: Settings, story_id: int, speech: Path,
            checkpoints: Path) -> CheckpointCallback:
    def keep(checkpoint: Checkpoint) -> None:
        # erased or redacted meanwhile: nothing heard from the old audio is written down
        if _speech_now(archive, settings, story_id) == speech:
            try:
                save_checkpoint(checkpoints, checkpoint)
            except OSError as e:
                # a checkpoint only saves work should the worker die: a full disk (or a folder
                # that cannot be written) must not fail a transcription that can go on.
                # save_checkpoint removed its partial file; an earlier checkpoint stays, as good
                # a place to resume from as any (only further back)
                log.warning("story %d: checkpoint not written (%s); transcribing on without it", story_id, e)
        else:
            discard_checkpoint(checkpoints)
    return keep


def _speech_now(archive: Archive, settings: Settings, story_id: int) -> Path | None:
    """The story's speech audio as it is now: None once the story is erased; another
    file once it was redacted (the earlier one would bring the cut words back)."""
    relative = current_speech(archive, story_id)
    return None if relative is None else MediaStore(settings.media_dir).absolute(relative)


def _current(archive: Archive, job: Job) -> Job:
    try:
        return archive.job(job.id)
    except NotFound:
        return _erased(job.id, job.story_id)


def _erased(job_id: int, story_id: int) -> Job:
    return Job(job_id, story_id, "failed", "failed", 0.0, said("the story was erased"), 0, None, None)
