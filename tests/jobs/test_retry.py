"""A story whose processing failed, processed again once what made it fail is mended:
by its moderators, from the command line (the page: tests/web/test_retry_page.py); the
failed job kept."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from storyatlas.archive import Place, StoryMetadata, Viewer, audit
from storyatlas.cli import cli
from storyatlas.errors import AccessDenied, ModelError, StoryAtlasError, said
from storyatlas.ingest import ingest_file
from storyatlas.ingest.store import MediaStore
from storyatlas.jobs import Queue, pipeline, process_job
from tests.conftest import story_file

KEEPER = Viewer.keeper("cli:test")


@pytest.fixture
def failed(archive, settings, monkeypatch) -> int:
    """A story in Zgorzelec whose processing failed: its model could not be loaded."""
    def missing(*_, **__):
        raise ModelError(said("the speech model is not installed"))

    with monkeypatch.context() as m:
        m.setattr(pipeline, "transcribe_story", missing)
        result = ingest_file(archive, story_file("en"), StoryMetadata(place=Place("Zgorzelec", None, "PL")),
                             settings, KEEPER)
        assert process_job(settings, result.job_id, archive=archive).state == "failed"
    return result.story_id


@pytest.mark.slow
def test_a_failed_story_is_processed_again_and_its_failure_kept(archive, settings, failed):
    first = archive.job_for_story(failed, KEEPER)
    job_id = archive.retry(failed, KEEPER)
    assert job_id != first.id and archive.job(job_id).state == "queued"
    done = process_job(settings, job_id, archive=archive)
    assert done.state == "done" and archive.segments(failed, KEEPER)
    assert archive.job(first.id).state == "failed" and "not installed" in archive.job(first.id).message
    assert audit.entries(archive, KEEPER, 1, 0)[0].action == "processing retried"
    # done now: nothing to retry
    with pytest.raises(StoryAtlasError, match=f"story {failed} has not failed"):
        archive.retry(failed, KEEPER)


@pytest.mark.slow
def test_a_story_whose_speech_audio_went_missing_is_processed_again_once_it_is_put_back(archive, settings):
    """The message says what the keeper must do, and doing it works; it is shown to everyone
    who may see the story, so the file's place on the server stays in the log."""
    result = ingest_file(archive, story_file("en"), StoryMetadata(), settings, KEEPER)
    speech = MediaStore(settings.media_dir).absolute(archive.media(result.story_id, "speech", KEEPER).path)
    kept = speech.rename(speech.with_name("aside.wav"))
    failed = process_job(settings, result.job_id, archive=archive)
    assert failed.state == "failed" and str(settings.archive) not in failed.message
    assert failed.message.startswith("the story's speech audio is missing from the media store: put it back from a "
                                     "backup") and failed.message.endswith("then run `storyatlas retry` on the story")
    kept.rename(speech)  # from the backup
    again = process_job(settings, archive.retry(result.story_id, KEEPER), archive=archive)
    assert again.state == "done" and archive.segments(result.story_id, KEEPER)


def test_only_its_moderators_retry_a_story(archive, failed):
    for who in (Viewer("Vera", frozenset({"volunteer"})), Viewer("Mo", moderates=frozenset({"Görlitz"}))):
        with pytest.raises(AccessDenied, match="only the moderators of this story's community"):
            archive.retry(failed, who)
    assert archive.job_for_story(failed, KEEPER).state == "failed"
    assert archive.retry(failed, Viewer("Zofia", moderates=frozenset({"Zgorzelec"})))
    assert archive.job_for_story(failed, KEEPER).state == "queued"


def test_the_command_line_queues_a_failed_story_again(archive, settings, failed, monkeypatch):
    monkeypatch.setenv("STORYATLAS_ARCHIVE", str(settings.archive))
    out = CliRunner().invoke(cli, ["retry", str(failed)])
    assert out.exit_code == 0 and f"story #{failed} queued again" in out.output
    assert archive.job_for_story(failed, KEEPER).state == "queued"
    assert Queue(settings).huey.pending_count() == 1  # a worker already running takes it too
    again = CliRunner().invoke(cli, ["retry", str(failed)])
    assert again.exit_code == 1 and "has not failed: only a failed story is processed again" in again.output
