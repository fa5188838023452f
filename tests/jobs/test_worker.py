"""Workers as separate processes, the way `storyatlas worker` runs."""

import os
import signal
import subprocess
import sys

import pytest

from storyatlas.archive import Archive, Viewer
from tests.conftest import ffmpeg, story_file, wait_for


def _cli(*args, settings):
    return [sys.executable, "-m", "storyatlas", *args, "--archive", str(settings.archive)]


@pytest.mark.slow
def test_a_killed_workers_story_is_finished_by_the_next_worker(settings, tmp_path):
    long_story = tmp_path / "long.ogg"  # three minutes, so the worker is surely mid-way when killed
    ffmpeg("-stream_loop", "9", "-i", str(story_file("en")), "-c", "copy", str(long_story))
    env = {**os.environ, "STORYATLAS_CACHE": str(settings.cache)}
    subprocess.run(_cli("ingest", str(long_story), "--no-wait", settings=settings), check=True, env=env)
    archive = Archive(settings.database)
    job = archive.job_for_story(1, Viewer.keeper())
    assert job.state == "queued"

    first = subprocess.Popen(_cli("worker", "--model", "tiny.en", settings=settings), env=env)
    try:
        wait_for(lambda: archive.job(job.id).state == "running" and archive.job(job.id).progress > 0.05,
                  120, "the first worker to start transcribing")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert archive.job(job.id).state == "running"  # the dead worker still "holds" it

    second = subprocess.Popen(_cli("worker", "--model", "tiny.en", settings=settings), env=env)
    try:
        wait_for(lambda: archive.job(job.id).state == "done", 180, "the next worker to finish the story")
        # and found by meaning: the worker makes the story's vectors after it
        said = len(archive.segments(1, Viewer.keeper()))
        wait_for(lambda: archive.conn.execute("SELECT count(*) FROM segment_vectors WHERE story_id = 1")
                  .fetchone()[0] == said, 120, "the worker to make the story's vectors")
    finally:
        second.terminate()
        second.wait(30)

    finished = archive.job(job.id)
    assert finished.attempts == 2
    counts = {t: archive.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("stories", "media", "transcripts", "jobs")}
    assert counts == {"stories": 1, "media": 3, "transcripts": 1, "jobs": 1}
    segments = archive.segments(1, Viewer.keeper())
    assert [s.idx for s in segments] == list(range(len(segments))) and segments[-1].end > 150
    archive.close()
