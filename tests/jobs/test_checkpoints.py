"""A story's job keeps a checkpoint after each window, resumes from it after a worker's
death, and leaves none behind once it ends (or once the story's audio changed)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from storyatlas.archive import StoryMetadata, Viewer
from storyatlas.archive.erasure import erase
from storyatlas.errors import TranscriptionError
from storyatlas.ingest import ingest_file
from storyatlas.jobs import pipeline, process_job
from storyatlas.transcribe import (
    Checkpoint, checkpoint_path, load_checkpoint, options_for, save_checkpoint, transcribe_story,
)
from storyatlas.transcribe.audio_windows import AudioIdentity
from tests.transcribe.sounds import build

KEEPER = Viewer.keeper()


class Killed(BaseException):
    """The worker's death, seen from inside: nothing after it runs."""


@pytest.fixture(scope="module")
def long_wav(tmp_path_factory):
    path = tmp_path_factory.mktemp("long") / "long.wav"
    parts = []
    for i in range(8):
        parts += [("en", 0), ("silence" if i % 2 else "noise", 2)]
    build(path, parts)
    return path


@pytest.fixture
def runs(monkeypatch):
    """transcribe_story as the pipeline calls it, with 40 s windows; ``runs.then`` runs
    after each checkpoint the pipeline took; every call's arguments and result are kept."""

    class Runs(list):
        then = None

    calls = Runs()

    def windowed(audio, settings, hint=None, progress=None, *, resume_from=None, on_checkpoint=None):
        def after(checkpoint):
            on_checkpoint(checkpoint)
            if calls.then:
                calls.then(checkpoint)

        call = {"resume_from": resume_from}
        calls.append(call)
        call["result"] = transcribe_story(audio, settings, hint, progress, resume_from=resume_from,
                                          on_checkpoint=after,
                                          options=replace(options_for(settings, hint), window_s=40))
        return call["result"]

    monkeypatch.setattr(pipeline, "transcribe_story", windowed)
    return calls


def _requeue(archive, job_id):
    archive.conn.execute("UPDATE jobs SET state = 'queued', worker = NULL WHERE id = ?", (job_id,))


@pytest.mark.slow
def test_a_worker_killed_mid_story_leaves_a_checkpoint_and_the_next_run_does_only_the_rest(
        archive, settings, long_wav, runs):
    result = ingest_file(archive, long_wav, StoryMetadata(title="Long"), settings, KEEPER)
    path = checkpoint_path(settings.archive, result.story_id)

    def die(_):
        raise Killed

    runs.then = die
    with pytest.raises(Killed):
        process_job(settings, result.job_id, archive=archive)
    saved = load_checkpoint(path)
    assert saved is not None and saved.done_s > 30 and archive.job(result.job_id).state == "running"

    runs.then = None
    _requeue(archive, result.job_id)
    job = process_job(settings, result.job_id, archive=archive)

    assert job.state == "done" and job.attempts == 2
    assert runs[-1]["resume_from"] == saved
    stats = runs[-1]["result"].stats
    assert stats.started_at_s == saved.done_s and stats.audio_s < 150 - 30
    assert not path.exists() and not list(path.parent.iterdir())
    segments = archive.segments(result.story_id, KEEPER)
    assert [s.idx for s in segments] == list(range(len(segments)))
    assert " ".join(s.text for s in segments).lower().count("sandbags") == 8


@pytest.mark.slow
def test_a_checkpoint_of_the_audio_before_a_redaction_is_dropped(archive, settings, long_wav, runs, monkeypatch):
    result = ingest_file(archive, long_wav, StoryMetadata(), settings, KEEPER)
    path = checkpoint_path(settings.archive, result.story_id)
    stale = Checkpoint(AudioIdentity("speech-unredacted.wav", 1, 2), {"model": "tiny.en"}, done=16000 * 60)
    save_checkpoint(path, stale)
    windowed = pipeline.transcribe_story

    def checked(*args, **kwargs):
        # gone before the work starts, not at its end: it holds what the redaction cut
        assert load_checkpoint(path) is None, "the stale checkpoint is still on disk"
        return windowed(*args, **kwargs)
    monkeypatch.setattr(pipeline, "transcribe_story", checked)

    assert process_job(settings, result.job_id, archive=archive).state == "done"
    assert runs[0]["resume_from"] is None and runs[0]["result"].stats.started_at_s == 0
    assert not path.exists()


@pytest.mark.slow
def test_a_failed_job_leaves_no_checkpoint(archive, settings, long_wav, runs):
    result = ingest_file(archive, long_wav, StoryMetadata(), settings, KEEPER)
    path = checkpoint_path(settings.archive, result.story_id)

    def fail(_):
        assert path.exists()  # the pipeline took it
        raise TranscriptionError("the speech model failed")

    runs.then = fail
    job = process_job(settings, result.job_id, archive=archive)
    assert job.state == "failed" and not path.exists()


@pytest.mark.slow
def test_a_checkpoint_the_disk_has_no_room_for_leaves_the_story_to_be_transcribed(archive, settings, long_wav, runs,
                                                                                  monkeypatch, caplog):
    """A checkpoint only saves work should the worker die: a full disk while it is written
    (here at its flush, with half of it on the disk) loses it, not the story."""
    import errno
    import os

    from storyatlas.transcribe import checkpoint

    class FullDisk:
        def __getattr__(self, name):
            return getattr(os, name)

        @staticmethod
        def fsync(fd):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint, "os", FullDisk())
    result = ingest_file(archive, long_wav, StoryMetadata(), settings, KEEPER)
    path = checkpoint_path(settings.archive, result.story_id)
    left = []
    runs.then = lambda _: left.append(sorted(p.name for p in path.parent.iterdir()))
    job = process_job(settings, result.job_id, archive=archive)
    assert job.state == "done" and job.message is None and len(archive.segments(result.story_id, KEEPER)) > 4
    assert left and all(names == [] for names in left)  # neither a checkpoint nor half of one
    assert "checkpoint not written" in caplog.text


@pytest.mark.slow
def test_nothing_is_written_down_for_a_story_erased_while_it_is_transcribed(archive, settings, long_wav,
                                                                            monkeypatch):
    result = ingest_file(archive, long_wav, StoryMetadata(), settings, KEEPER)
    path = checkpoint_path(settings.archive, result.story_id)

    def erased_meanwhile(audio, s, hint=None, progress=None, *, resume_from=None, on_checkpoint=None):
        def erase_then_checkpoint(checkpoint):  # the erasure comes just before the first checkpoint
            erase(archive, settings.media_dir, result.story_id, "cli:tester", "withdrawn")
            on_checkpoint(checkpoint)
            assert not path.exists()
        return transcribe_story(audio, s, hint, progress, resume_from=resume_from,
                                on_checkpoint=erase_then_checkpoint,
                                options=replace(options_for(s, hint), window_s=40))

    monkeypatch.setattr(pipeline, "transcribe_story", erased_meanwhile)
    job = process_job(settings, result.job_id, archive=archive)
    # its speech file went with it: the next window cannot be read, and that is no failure of the model
    assert job.state == "failed" and job.message == "the story was erased"
    assert list((settings.archive / "checkpoints").glob("*")) == []


@pytest.mark.slow
def test_erasure_and_redaction_remove_a_checkpoint_a_killed_worker_left(archive, settings, long_wav, runs,
                                                                          tmp_path):
    from storyatlas.ingest.redact import redact

    def die(_):
        raise Killed

    runs.then = die
    other = tmp_path / "other.wav"
    build(other, [("silence", 1)] + [("en", 0), ("silence", 2)] * 6)
    stories = []
    for title, wav in (("Erased", long_wav), ("Redacted", other)):
        result = ingest_file(archive, wav, StoryMetadata(title=title), settings, KEEPER)
        with pytest.raises(Killed):
            process_job(settings, result.job_id, archive=archive)
        path = checkpoint_path(settings.archive, result.story_id)
        assert "sandbags" in path.read_text().lower()  # it holds what was heard
        stories.append((result.story_id, path))

    (erased, erased_path), (redacted, redacted_path) = stories
    erase(archive, settings.media_dir, erased, "cli:tester", "withdrawn")
    assert not erased_path.exists() and redacted_path.exists()
    redact(archive, settings.media_dir, redacted, 1.0, 2.0, Viewer.keeper("cli:tester"))
    assert not redacted_path.exists()
