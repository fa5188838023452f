import sqlite3
import threading
import time
from dataclasses import replace

import pytest

from storyatlas import meaning
from storyatlas.archive import Archive, StoryMetadata, Viewer, tags, word_index
from storyatlas.archive import vectors as meaning_rows
from storyatlas.errors import StoryAtlasError
from storyatlas.ingest import ingest_file
from storyatlas.jobs import Queue, pipeline, process_job
from storyatlas.search import SearchQuery
from storyatlas.search.fts import FTSBackend
from tests.conftest import add_story, story_file, wait_for
from tests.transcribe.sounds import build

KEEPER = Viewer.keeper()  # the archive's own tools (the CLI, the worker)


@pytest.mark.slow
def test_a_queued_story_is_transcribed_stored_and_searchable(archive, settings, timings, monkeypatch):
    result = ingest_file(archive, story_file("en"), StoryMetadata(title="River"), settings, KEEPER)
    seen, written = [], []
    # progress is written to the archive at most every so often, but the end of a stage always
    monkeypatch.setattr(pipeline, "_PROGRESS_INTERVAL_S", 1e12)
    report = archive.report_progress
    monkeypatch.setattr(archive, "report_progress", lambda job, stage, fraction, *rest: (
        written.append((stage, fraction)), report(job, stage, fraction, *rest)))
    job = process_job(settings, result.job_id, listener=lambda j, p: seen.append(p.stage), archive=archive)

    assert job.state == "done" and job.progress == 1.0 and job.attempts == 1
    assert "transcribing" in seen and seen[-1] == "done"
    assert ("tagging", 1.0) in written and all(fraction == 1.0 for _, fraction in written)
    story = archive.story(result.story_id, KEEPER)
    assert story.language == "en" and story.duration_s > 15
    # "We pumped the cellar...": tiny.en may hear "the settler", but "pumped" it gets right
    hits = FTSBackend(archive).search(SearchQuery("pumped", KEEPER)).stories
    assert [h.story_id for h in hits] == [result.story_id]
    moment = hits[0].moments[0]
    assert abs(moment.at - timings["en"][2]["start"]) < 1.5
    assert archive.transcripts(result.story_id, KEEPER)[0]["model"] == "tiny.en"
    # water in the street, a pumped cellar, sandbags
    assert "floods" in [t.theme_id for t in tags.story_themes(archive, result.story_id, KEEPER)]


@pytest.mark.slow
def test_running_a_job_again_replaces_rather_than_duplicates(archive, settings):
    result = ingest_file(archive, story_file("en"), StoryMetadata(), settings, KEEPER)
    process_job(settings, result.job_id, archive=archive)
    before = [(s.start, s.text) for s in archive.segments(result.story_id, KEEPER)]
    archive.conn.execute("UPDATE jobs SET state = 'queued' WHERE id = ?", (result.job_id,))
    process_job(settings, result.job_id, archive=archive)

    assert [(s.start, s.text) for s in archive.segments(result.story_id, KEEPER)] == before
    assert archive.conn.execute("SELECT count(*) FROM transcripts").fetchone()[0] == 1
    assert archive.conn.execute("SELECT count(*) FROM segment_terms").fetchone()[0] == len(before)


@pytest.mark.slow
def test_a_finished_job_is_not_run_again(archive, settings, monkeypatch):
    result = ingest_file(archive, story_file("en"), StoryMetadata(), settings, KEEPER)
    process_job(settings, result.job_id, archive=archive)

    def transcribe_again(*_, **__):
        raise AssertionError("a finished story was transcribed again")
    monkeypatch.setattr(pipeline, "transcribe_story", transcribe_again)
    again = process_job(settings, result.job_id, archive=archive)
    assert (again.state, again.attempts) == ("done", 1)


def test_a_job_whose_story_was_erased_is_said_so_and_the_archive_it_opened_is_closed(archive, settings, monkeypatch):
    opened = []

    class Opened(Archive):
        def __init__(self, *args):
            super().__init__(*args)
            opened.append(self)
    monkeypatch.setattr(pipeline, "Archive", Opened)
    job = process_job(settings, 404)  # a message left in the queue for an erased story
    assert (job.id, job.state, job.message) == (404, "failed", "the story was erased")
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        opened[0].conn.execute("SELECT 1")


def test_an_unexpected_error_fails_the_job_and_reaches_the_worker(archive, settings, monkeypatch):
    def broken(*_, **__):
        raise RuntimeError("the model file is truncated")
    monkeypatch.setattr(pipeline, "transcribe_story", broken)
    result = ingest_file(archive, story_file("en"), StoryMetadata(), settings, KEEPER)
    with pytest.raises(RuntimeError, match="truncated"):  # the queue logs it with its traceback
        process_job(settings, result.job_id, archive=archive)
    job = archive.job(result.job_id)
    assert (job.state, job.message) == ("failed", "internal error: RuntimeError: the model file is truncated")


def test_a_failing_job_is_marked_failed_with_its_reason(archive, settings):
    result = ingest_file(archive, story_file("de"), StoryMetadata(language_hint="de"), settings, KEEPER)
    job = process_job(settings, result.job_id, archive=archive)  # tiny.en cannot do German
    assert job.state == "failed" and "--model base" in job.message


def test_a_recording_of_noise_alone_is_done_and_says_no_speech_was_found(archive, settings, tmp_path):
    noise = tmp_path / "wrong-file.wav"
    build(noise, [("noise", 8), ("hum", 4)])  # a kitchen left recording, not silent
    result = ingest_file(archive, noise, StoryMetadata(), settings, KEEPER)
    job = process_job(settings, result.job_id, archive=archive)
    assert (job.state, job.message) == ("done", "no speech was found in this recording; check that it is the right "
                                                "file")
    assert archive.segments(result.story_id, KEEPER) == []


@pytest.mark.slow
def test_drain_processes_queued_jobs_through_huey(archive, settings, monkeypatch):
    monkeypatch.setattr(word_index, "MERGE_ABOVE", 1)
    queue = Queue(settings)
    jobs = [ingest_file(archive, story_file(lang), StoryMetadata(language_hint="en"), settings, KEEPER).job_id
            for lang in ("en", "fr")]
    queue.enqueue(jobs)
    finished = queue.drain(archive, jobs)
    assert [j.state for j in finished] == ["done", "done"]
    assert queue.huey.pending_count() == 0
    made, segments = meaning_rows.counts(archive, meaning.model())
    assert made == segments > 0  # found by meaning too
    assert _btrees(archive) == [1, 1]  # the words index merged after the stories


@pytest.mark.slow
def test_the_servers_worker_makes_a_storys_meaning_vectors(archive, settings):
    """The server's worker thread (`storyatlas serve`, `scripts/run`) runs a story's
    task itself, not through huey's consumer: its stories must be found by meaning too."""
    queue = Queue(settings)
    result = ingest_file(archive, story_file("en"), StoryMetadata(title="River"), settings, KEEPER)
    queue.enqueue([result.job_id])
    _work_until(queue, lambda: archive.job(result.job_id).state not in ("queued", "running"))
    assert archive.job(result.job_id).state == "done"
    made, segments = meaning_rows.counts(archive, meaning.model())
    assert made == segments > 0
    # "In the spring the water came into our street in the night": no word of the query
    found = meaning.nearest(archive, "inundação", KEEPER)
    assert result.story_id in {hit.story_id for hit in found}

    # an archive whose worker processed stories without making their vectors: made at its start
    archive.conn.execute("DELETE FROM segment_vectors")
    _work_until(queue, lambda: meaning_rows.counts(archive, meaning.model())[0] == segments)
    assert meaning_rows.counts(archive, meaning.model()) == (segments, segments)


def test_a_backlog_of_vectors_is_made_a_round_at_a_time(archive, settings, monkeypatch):
    """A worker making an old archive's missing vectors looks at its queue between rounds,
    so a new story is not held up behind them."""
    import storyatlas.jobs

    monkeypatch.setattr(meaning, "BATCH", 2)
    monkeypatch.setattr(storyatlas.jobs, "MEANING_ROUND", 2)
    for title in ("one", "two", "three"):
        add_story(archive, title, "en", [(0.0, 2.0, f"The {title} flood."), (2.0, 4.0, "We left the house.")])
    queue = Queue(settings)

    assert queue._index_meaning.call_local() == 2
    assert meaning_rows.counts(archive, meaning.model()) == (2, 6)
    assert queue.huey.pending_count() == 1  # the rest, behind what was queued
    rounds = 0
    while (task := queue.huey.dequeue()) is not None:
        queue.huey.execute(task)
        rounds += 1
    assert meaning_rows.counts(archive, meaning.model()) == (6, 6)
    assert rounds == 3  # two rounds of two, then one that finds nothing left


def test_the_servers_worker_merges_the_words_index_at_its_start(archive, settings, monkeypatch):
    """An archive whose stories were written before the worker merged the words index
    (or by a worker stopped before it did) is merged when a worker starts."""
    monkeypatch.setattr(word_index, "MERGE_ABOVE", 1)
    for title in ("one", "two", "three"):
        add_story(archive, title, "en", [(0.0, 2.0, f"The {title} flood.")])
    assert _btrees(archive) == [3, 3]
    queue = Queue(settings)
    _work_until(queue, lambda: _btrees(archive) == [1, 1] and not queue.huey.pending_count())
    assert _btrees(archive) == [1, 1]
    assert queue.huey.storage.result_store_size() == 0  # its tasks left nothing in the queue's file
    found = FTSBackend(archive).search(SearchQuery("flood", KEEPER, meaning=False))
    assert found.total_stories == 3


def _btrees(archive) -> list[int]:
    return [word_index.btrees(archive.conn, t) for t in word_index.TABLES]


def _work_until(queue: Queue, done, within_s: float = 120) -> None:
    stop = threading.Event()
    worker = threading.Thread(target=queue.run_until, args=(stop, 0.05))
    worker.start()
    try:
        deadline = time.monotonic() + within_s
        while not done() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        worker.join(timeout=within_s)  # the task it is at (the vectors) ends first


@pytest.mark.slow
def test_the_servers_worker_goes_on_when_one_of_its_steps_fails(archive, settings, monkeypatch):
    """The archive locked past its timeout by another process, at the worker's start and in
    its rounds: the step is logged and the thread goes on (it ended, and the server took
    uploads that nothing processed)."""
    import sqlite3

    def locked(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    queue = Queue(settings)
    monkeypatch.setattr(queue, "recover", locked)
    monkeypatch.setattr(queue, "_every_minute", locked)
    monkeypatch.setattr(word_index, "merge", locked)
    stop = threading.Event()
    worker = threading.Thread(target=queue.run_until, args=(stop, 0.05, 0.1))
    worker.start()
    try:
        time.sleep(0.5)  # rounds that failed
        result = ingest_file(archive, story_file("en"), StoryMetadata(title="River"), settings, KEEPER)
        queue.enqueue([result.job_id])
        deadline = time.monotonic() + 120
        while archive.job(result.job_id).state in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert worker.is_alive() and archive.job(result.job_id).state == "done"
    finally:
        stop.set()
        worker.join(timeout=60)


@pytest.mark.slow
def test_one_storys_unexpected_failure_leaves_the_others_of_a_batch_processed(archive, settings, monkeypatch):
    from storyatlas.jobs import pipeline

    transcribe, calls = pipeline.transcribe_story, []

    def first_fails(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        return transcribe(*args, **kwargs)

    monkeypatch.setattr(pipeline, "transcribe_story", first_fails)
    queue = Queue(settings)
    jobs = [ingest_file(archive, story_file(lang), StoryMetadata(language_hint="en"), settings, KEEPER).job_id
            for lang in ("en", "fr")]
    queue.enqueue(jobs)
    assert [j.state for j in queue.drain(archive, jobs)] == ["failed", "done"]


def test_a_damaged_queue_file_is_moved_aside_for_a_new_one(settings):
    settings.archive.mkdir(parents=True, exist_ok=True)
    settings.queue_file.write_bytes(b"not a database at all" * 100)
    queue = Queue(settings)
    queue.enqueue([7])
    assert queue.huey.pending_count() == 1
    [aside] = [p for p in settings.queue_file.parent.iterdir() if ".damaged-" in p.name]
    assert aside.read_bytes().startswith(b"not a database")


def test_a_queue_file_that_cannot_be_opened_is_left_where_it_is_and_said(settings):
    # only a file that is no database, or a damaged one, is moved aside: one that cannot be
    # opened here (a full disk, no permission; here a folder) was renamed, its jobs out of sight
    settings.queue_file.mkdir(parents=True)
    (settings.queue_file / "kept").write_text("here")
    with pytest.raises(StoryAtlasError, match="^cannot open the queue's file .*on a disk with room$"):
        Queue(settings)
    assert (settings.queue_file / "kept").read_text() == "here"
    assert not [p for p in settings.archive.iterdir() if ".damaged-" in p.name]


def test_a_queue_whose_folder_cannot_be_made_says_so(settings, tmp_path):
    (tmp_path / "file").write_text("not a folder")
    settings = replace(settings, archive=tmp_path / "file" / "archive")
    with pytest.raises(StoryAtlasError, match="^cannot make the folder of the archive database .*/archive.db "):
        Queue(settings)


def test_every_minute_the_worker_merges_what_edits_wrote(archive, settings, monkeypatch):
    """FTS5 leaves merging to the worker (migration 0019): b-trees written by edits, with
    no story processed after them, are merged by the worker's round once a minute, in the
    server's worker and in `storyatlas worker` (its periodic task) alike."""
    from datetime import datetime

    monkeypatch.setattr(word_index, "MERGE_ABOVE", 1)
    queue = Queue(settings)
    stop = threading.Event()
    worker = threading.Thread(target=queue.run_until, args=(stop, 0.05, 0.3))
    worker.start()
    try:
        time.sleep(0.5)  # past the merge at its start
        for title in ("one", "two", "three"):
            add_story(archive, title, "en", [(0.0, 2.0, f"The {title} flood.")])
        assert _btrees(archive) == [3, 3]
        deadline = time.monotonic() + 30
        while _btrees(archive) != [1, 1] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _btrees(archive) == [1, 1]
    finally:
        stop.set()
        worker.join(timeout=60)

    add_story(archive, "four", "en", [(0.0, 2.0, "The fourth flood.")])
    add_story(archive, "five", "en", [(0.0, 2.0, "The fifth flood.")])
    [periodic] = [t for t in queue.huey.read_periodic(datetime.now()) if t.name == "recover_abandoned"]
    queue.huey.execute(periodic)
    assert _btrees(archive) == [1, 1]
    assert FTSBackend(archive).search(SearchQuery("flood", KEEPER, meaning=False)).total_stories == 5


def test_recovery_requeues_abandoned_jobs_and_at_start_the_queued_ones(archive, settings):
    import subprocess
    import sys

    from storyatlas.archive import worker_id

    queue = Queue(settings)
    abandoned = ingest_file(archive, story_file("en"), StoryMetadata(), settings, KEEPER).job_id
    waiting = ingest_file(archive, story_file("fr"), StoryMetadata(), settings, KEEPER).job_id
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    archive.claim_job(abandoned, worker=f"{worker_id().rpartition(':')[0]}:{dead.pid}")

    assert queue.recover(archive, include_queued=False) == [abandoned]
    assert queue.recover(archive) == [abandoned, waiting]
    assert queue.huey.pending_count() == 3


@pytest.mark.slow
def test_the_servers_worker_takes_up_within_its_round_a_job_whose_worker_died(archive, settings):
    """A worker killed while the server's runs: its story is picked up at the server's next
    round (every minute; here every 0.2 s), not at the next start."""
    import subprocess
    import sys

    from storyatlas.archive import worker_id

    queue = Queue(settings)
    stop = threading.Event()
    server = threading.Thread(target=queue.run_until, args=(stop, 0.05, 0.2))
    server.start()
    try:
        time.sleep(0.5)
        wait_for(lambda: queue.huey.pending_count() == 0, 60, "the worker's start", every_s=0.05)  # and its recovery
        job = ingest_file(archive, story_file("en"), StoryMetadata(), settings, KEEPER).job_id
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        assert archive.claim_job(job, worker=f"{worker_id().rpartition(':')[0]}:{dead.pid}")
        wait_for(lambda: archive.job(job).state == "done", 120, "the dead worker's story", every_s=0.05)
    finally:
        stop.set()
        server.join(120)
    assert archive.job(job).attempts == 2


def test_drain_waits_for_a_job_another_worker_holds(archive, settings):
    """`storyatlas ingest` waits for its stories; one a worker took first is waited for, not
    reported while still running."""
    result = ingest_file(archive, story_file("en"), StoryMetadata(), settings, KEEPER)
    assert archive.claim_job(result.job_id, worker="elsewhere:1")  # a live worker (its heartbeat is now)
    returned = []

    def drain() -> None:
        with Archive(settings.database) as own:  # a connection of its own, as in its process
            returned.append(Queue(settings).drain(own, [result.job_id], poll_s=0.05))

    waiting = threading.Thread(target=drain)
    waiting.start()
    waiting.join(1.0)
    assert waiting.is_alive() and not returned
    archive.finish_job(result.job_id, "done")
    waiting.join(10)
    assert [j.state for j in returned[0]] == ["done"]


def test_the_servers_worker_makes_the_vectors_missing_when_it_starts(archive, settings):
    """Stories whose vectors a stopped worker never made (or made before an upgrade's new
    model) are found by meaning once a server starts, with no new story to set it going."""
    add_story(archive, "Die Flut", "de", [(0.0, 4.0, "Im Frühling kam das Wasser.", "In spring the water came.")])
    assert meaning_rows.counts(archive, meaning.model())[0] == 0
    _work_until(Queue(settings), lambda: meaning_rows.counts(archive, meaning.model())[0] == 1, within_s=60)
    assert meaning_rows.counts(archive, meaning.model()) == (1, 1)
