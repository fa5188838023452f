import os
import sqlite3
import subprocess
import sys
import time

import pytest

from storyatlas.archive import Archive, MediaFile, StoryMetadata, Viewer, worker_id
from storyatlas.archive.db import SCHEMA_VERSION
from storyatlas.archive.jobs import LEASE_S, holder_gone
from storyatlas.errors import NotFound, StoryAtlasError
from tests.conftest import add_story


def test_a_new_archive_is_at_the_latest_schema_in_wal_mode(archive):
    assert archive.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert archive.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_archive_from_a_newer_version_is_not_touched(settings):
    with Archive(settings.database) as a:
        a.conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(StoryAtlasError, match="upgrade storyatlas"):
        Archive(settings.database)


def test_a_file_that_is_not_an_archive_gets_a_clear_error(tmp_path):
    bogus = tmp_path / "archive.db"
    bogus.write_text("hello" * 1000)
    with pytest.raises(StoryAtlasError, match="cannot open the archive database"):
        Archive(bogus)


def test_story_and_job_are_created_together_or_not_at_all(archive):
    good = MediaFile("original", "a" * 64, "originals/a.ogg", "ogg", "opus", False, 10, 1.0, "a.ogg")
    story_id, job_id = archive.create_story(StoryMetadata(title="one"), [good], 1.0)
    assert archive.job(job_id).story_id == story_id and archive.job(job_id).state == "queued"

    # one recording may now back several stories, but a story has one original: the
    # second original clashes after the story row was written, and all of it is undone
    clash = MediaFile("original", "b" * 64, "originals/b.ogg", "ogg", "opus", False, 10, 1.0, "b.ogg")
    with pytest.raises(sqlite3.IntegrityError):
        archive.create_story(StoryMetadata(title="two"), [clash, clash], 1.0)
    assert archive.count_stories(Viewer.keeper()) == 1
    assert archive.conn.execute("SELECT count(*) FROM jobs").fetchone()[0] == 1


def test_a_transaction_stopped_by_an_interrupt_keeps_nothing_and_the_archive_goes_on(archive):
    with pytest.raises(KeyboardInterrupt):
        with archive.transaction() as c:
            c.execute("UPDATE generation SET n = n + 100")
            raise KeyboardInterrupt  # Ctrl-C in the middle of a write
    assert not archive.conn.in_transaction and archive.generation() < 100
    add_story(archive, "after", "en", [(0.0, 1.0, "Still here.")])  # a new transaction starts


def test_an_error_after_which_sqlite_rolled_back_itself_is_the_error_the_caller_sees(archive):
    # what a damaged index does to a write, made happen here by a trigger
    archive.conn.execute("CREATE TEMP TRIGGER refuse BEFORE UPDATE ON generation BEGIN "
                         "SELECT RAISE(ROLLBACK, 'database disk image is malformed'); END")
    with pytest.raises(sqlite3.IntegrityError, match="malformed"):
        with archive.transaction() as c:
            c.execute("UPDATE generation SET n = n + 1")
    assert not archive.conn.in_transaction


def test_missing_story_is_not_found(archive):
    with pytest.raises(NotFound, match="no story 7"):
        archive.story(7, Viewer.keeper())


def test_a_job_is_claimed_once(archive, settings):
    story_id = add_story(archive, "s", "en", [(0, 1, "hi")])
    _, job_id = archive.create_story(StoryMetadata(title="t"), [], 1.0)
    other = Archive(settings.database)
    assert archive.claim_job(job_id)
    assert not other.claim_job(job_id)
    assert archive.job(job_id).worker == worker_id() and archive.job(job_id).attempts == 1
    assert not archive.claim_job(archive.job_for_story(story_id, Viewer.keeper()).id)  # done: nothing to do
    other.close()


def test_of_two_workers_that_saw_a_job_queued_only_one_claims_it(archive, settings, monkeypatch):
    _, job_id = archive.create_story(StoryMetadata(title="t"), [], 1.0)
    other = Archive(settings.database)
    seen = other.job(job_id)  # both read it queued...
    assert archive.claim_job(job_id, worker="here:1")
    monkeypatch.setattr(other, "job", lambda _: seen)  # ...and the other claims it as it read it
    assert not other.claim_job(job_id, worker="there:2")
    assert (archive.job(job_id).worker, archive.job(job_id).attempts) == ("here:1", 1)
    other.close()


def test_a_failed_job_is_not_taken_again(archive):
    _, job_id = archive.create_story(StoryMetadata(title="t"), [], 1.0)
    archive.finish_job(job_id, "failed", "not a recording")
    assert not archive.claim_job(job_id) and archive.job(job_id).state == "failed"


def test_progress_keeps_a_job_held_and_the_end_says_how_far_it_got(archive):
    _, job_id = archive.create_story(StoryMetadata(title="t"), [], 1.0)
    archive.claim_job(job_id, worker="elsewhere:1")
    archive.conn.execute("UPDATE jobs SET heartbeat_at = ? WHERE id = ?", (time.time() - LEASE_S - 1, job_id))
    assert [j.id for j in archive.unfinished_jobs()] == [job_id]  # silent past its lease: taken over
    archive.report_progress(job_id, "transcribing", 0.4)
    assert archive.unfinished_jobs() == []  # heard of again
    archive.finish_job(job_id, "failed", "stopped")
    assert archive.job(job_id).progress == 0.4
    _, done = archive.create_story(StoryMetadata(title="u"), [], 1.0)
    archive.report_progress(done, "transcribing", 0.4)
    archive.finish_job(done, "done")
    assert archive.job(done).progress == 1.0


def test_a_worker_on_another_machine_is_not_judged_by_this_machine_s_processes():
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = worker_id().rpartition(":")[0]
    assert holder_gone(f"{host}:{dead.pid}", time.time())
    assert not holder_gone(f"another-{host}:{dead.pid}", time.time())  # its own pid, on its own machine


def test_a_job_whose_worker_died_is_unfinished_and_can_be_taken_over(archive):
    _, job_id = archive.create_story(StoryMetadata(title="t"), [], 1.0)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = worker_id().rpartition(":")[0]
    archive.claim_job(job_id, worker=f"{host}:{dead.pid}")

    assert [j.id for j in archive.unfinished_jobs()] == [job_id]
    assert archive.claim_job(job_id)
    assert archive.job(job_id).attempts == 2


def test_a_job_held_by_a_live_worker_is_left_alone(archive):
    _, job_id = archive.create_story(StoryMetadata(title="t"), [], 1.0)
    host = worker_id().rpartition(":")[0]
    archive.claim_job(job_id, worker=f"{host}:{os.getppid()}")
    assert archive.unfinished_jobs() == []
    assert not archive.claim_job(job_id)


def test_the_generation_moves_with_every_change_that_search_can_see(archive):
    start = archive.generation()
    story_id = add_story(archive, "s", "en", [(0, 1, "hi")])
    after_add = archive.generation()
    archive.conn.execute("UPDATE stories SET visibility = 'private' WHERE id = ?", (story_id,))
    assert start < after_add < archive.generation()


def test_what_is_kept_of_a_story_is_read_only_by_who_may_see_it(archive):
    hidden = add_story(archive, "Private", "en", [(0.0, 1.0, "Only mine.")], visibility="private")
    archive.conn.execute("INSERT INTO redactions (story_id, start, end, who) VALUES (?, 5, 6, 'm'), (?, 1, 2, 'm')",
                         (hidden, hidden))
    assert archive.redactions(hidden, Viewer.keeper()) == [(1.0, 2.0), (5.0, 6.0)]  # in the recording's order
    for read in (lambda v: archive.media(hidden, "original", v), lambda v: archive.redactions(hidden, v),
                 lambda v: archive.transcripts(hidden, v), lambda v: archive.segments(hidden, v)):
        with pytest.raises(NotFound, match=f"there is no story {hidden}"):
            read(Viewer.anonymous())


def test_a_transcription_is_kept_with_its_machine_translation(archive):
    from storyatlas.transcribe.types import Transcript, TranscriptSegment

    story = add_story(archive, "Flut", "de", [(0.0, 1.0, "Alt.")])
    heard = Transcript("transcribe", "de", 0.9, 2.0, (TranscriptSegment(0.0, 2.0, "Das Wasser kam."),), "base")
    english = Transcript("translate", "de", 0.9, 2.0, (TranscriptSegment(0.0, 2.0, "The water came."),), "base")
    archive.save_transcription(story, heard, english, ["The water came."])
    assert [(t["task"], t["machine_translation"]) for t in archive.transcripts(story, Viewer.keeper())] == [
        ("transcribe", 0), ("translate", 1)]


def test_a_storys_languages_are_its_main_one_then_the_most_spoken(archive):
    from storyatlas.archive import spoken_languages
    from storyatlas.transcribe.types import Transcript, TranscriptSegment

    segments = (TranscriptSegment(0.0, 1.0, "Tak.", language="pl"), TranscriptSegment(1.0, 9.0, "Yes.", language="en"),
                TranscriptSegment(9.0, 10.0, "Ja.", language="de"))
    assert spoken_languages(Transcript("transcribe", "de", 0.9, 10.0, segments, "base")) == ["de", "en", "pl"]


def test_an_archive_holding_only_a_private_story_is_not_empty(archive):
    assert archive.is_empty()
    story = archive.create_story(StoryMetadata(title="mine", visibility="private"), [], None)[0]
    assert not archive.is_empty()
    assert archive.story(story, Viewer.keeper()).languages == ()  # not transcribed: no language yet


def test_stories_are_listed_a_page_at_a_time_oldest_or_newest_first(archive):
    ids = [add_story(archive, title, "en", [(0.0, 1.0, "Words.")]) for title in ("one", "two", "three")]
    assert [s.id for s in archive.stories(Viewer.keeper(), limit=2, offset=1)] == ids[1:]
    assert [s.id for s in archive.stories(Viewer.keeper(), limit=2, offset=1, newest_first=True)] == ids[1::-1]
