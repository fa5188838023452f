"""Withdrawal: an erased story leaves nothing readable in any file of the archive folder."""

import json
import sqlite3
import threading
from pathlib import Path

import pytest

from storyatlas.archive import Archive, MediaFile, Place, StoryMetadata, Viewer, erasure
from storyatlas.archive.erasure import erase, scrub, sweep_tombstones
from storyatlas.errors import NotFound
from storyatlas.ingest import ingest_file
from storyatlas.jobs import Queue, pipeline, process_job
from tests.conftest import Meanwhile, add_story, index_match, story_file

KEEPER = Viewer.keeper("test keeper")
# invented words that occur nowhere else: in the text, the title, the place, the teller's name
SECRET_WORDS = ("Zwieblowski", "Zwieblowo", "Qwyrtzel", "Qwyrtzelburg", "Krrbnitz")


def _ingest(archive, settings, **meta):
    return ingest_file(archive, story_file("en"), StoryMetadata(**meta), settings, KEEPER)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _containing(folder: Path, needle: str) -> list[str]:
    """The files under ``folder`` whose bytes hold ``needle`` (as written, or in lower case)."""
    found = []
    for path in _files(folder):
        data = path.read_bytes()
        if needle.encode() in data or needle.lower().encode() in data:
            found.append(str(path.relative_to(folder)))
    return found


def _rows_of(archive, story_id: int) -> dict[str, int]:
    """Rows that still name the story, table by table (tombstones, the merges owed, audit
    and the log of stories changed, which hold its number only, aside)."""
    counts = {}
    for (table,) in archive.conn.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'"):
        columns = {r[1] for r in archive.conn.execute(f"PRAGMA table_info({table})")}
        if "story_id" in columns and table not in ("tombstones", "scrubs_owed", "audit", "story_changes"):
            n = archive.conn.execute(f"SELECT count(*) FROM {table} WHERE story_id = ?", (story_id,)).fetchone()[0]
            if n:
                counts[table] = n
    return counts


@pytest.mark.slow
def test_an_erased_story_leaves_nothing_readable_in_the_archive_folder(archive, settings):
    keep = add_story(archive, "Plumbago Lane", "en", [(0, 4, "We met on Plumbago Lane.")], community="Plumbagoville")
    typed = add_story(archive, "Zwieblowski remembers", "en",
                      [(0, 4, "Zwieblowski pumped the cellar.", "Zwieblowski pumped the cellar."),
                       (4, 8, "Then the Krrbnitz came back.")],
                      community="Zwieblowo", region="Krrbnitz Valley", country="PL")
    recorded = _ingest(archive, settings, title="The Qwyrtzel flood", storyteller="Anna Qwyrtzel",
                       description="told in Qwyrtzelburg", place=Place("Qwyrtzelburg", None, "PL"))
    queue = Queue(settings)
    queue.enqueue([recorded.job_id])  # its message stays in queue.db: erasure must take it out
    assert process_job(settings, recorded.job_id, archive=archive).state == "done"
    media = [r[0] for r in archive.conn.execute("SELECT path FROM media WHERE story_id = ?", (recorded.story_id,))]
    (sha,) = archive.conn.execute("SELECT sha256 FROM media WHERE story_id = ? AND role = 'original'",
                                  (recorded.story_id,)).fetchone()
    assert len(media) == 3 and all((settings.media_dir / p).is_file() for p in media)
    assert archive.conn.execute("SELECT count(*) FROM segments WHERE story_id = ?", (recorded.story_id,)).fetchone()[0]
    assert _containing(settings.archive, "Zwieblowski") and _containing(settings.archive, "Qwyrtzel")

    for story_id in (typed, recorded.story_id):
        done = erase(archive, settings.media_dir, story_id, "cli:tester", "withdrawn by the storyteller")
        assert done.story_id == story_id and done.scrubbed
    assert sorted(done.files_removed) == sorted(media) and done.files_kept == ()

    for story_id in (typed, recorded.story_id):
        assert _rows_of(archive, story_id) == {}
        with pytest.raises(NotFound):
            archive.story(story_id, KEEPER)
    assert archive.story(keep, KEEPER).title == "Plumbago Lane"
    assert archive.conn.execute("SELECT count(*) FROM segment_terms WHERE segment_terms MATCH ?",
                                (index_match("zwieblowski"),)).fetchone()[0] == 0
    assert queue.huey.pending_count() == 0
    tombstones = archive.conn.execute("SELECT story_id, files FROM tombstones ORDER BY story_id").fetchall()
    assert [(r[0], json.loads(r[1])) for r in tombstones] == [(typed, []), (recorded.story_id, [])]
    audit = archive.conn.execute("SELECT who, action, story_id, detail FROM audit WHERE action = 'erase' "
                                 "ORDER BY id").fetchall()
    assert [tuple(r) for r in audit] == [("cli:tester", "erase", typed, "withdrawn by the storyteller"),
                                         ("cli:tester", "erase", recorded.story_id, "withdrawn by the storyteller")]
    for word in SECRET_WORDS:  # already while the archive is open, as a server holds it for days
        assert _containing(settings.archive, word) == [], word
    archive.close()
    queue.huey.storage.close()

    assert not any((settings.media_dir / p).exists() for p in media)
    assert not [p for p in settings.media_dir.rglob("*") if sha in p.name], "a folder still names the recording"
    assert _files(settings.media_dir) == []
    names = {p.name for p in _files(settings.archive)}
    assert {"archive.db", "queue.db"} <= names
    for word in SECRET_WORDS:
        assert _containing(settings.archive, word) == [], word
    assert _containing(settings.archive, "Plumbago"), "the scan reads the files that hold stories"

    with Archive(settings.database) as again:
        second = _ingest(again, settings, title="Taken in again")
        assert not second.duplicate and second.story_id > recorded.story_id > typed


def test_erased_words_leave_no_trace_where_sqlite_keeps_deleted_bytes(settings, monkeypatch):
    """SQLite as its authors ship it leaves deleted rows' bytes in the file's free pages
    until they are reused; the archive turns ``secure_delete`` on, where this machine's
    SQLite (Debian's) has it on already. Here every new connection starts with it off."""
    _as_shipped(monkeypatch)
    with Archive(settings.database) as archive:
        story = add_story(archive, "Qwyrtzel Lane", "en", [(0.0, 4.0, "Zwieblowski kept the keys.")])
        assert _containing(settings.archive, "Zwieblowski")
        erase(archive, settings.media_dir, story, "cli:tester", "withdrawn by the storyteller")
        for word in ("Zwieblowski", "Qwyrtzel"):
            assert _containing(settings.archive, word) == [], word


def test_the_queue_forgets_the_erased_story_s_messages_and_keeps_every_other(settings, monkeypatch):
    _as_shipped(monkeypatch)  # huey's connection and the erasure's too: the erasure turns it on itself
    with Archive(settings.database) as archive:
        erased, kept = (add_story(archive, title, "en", [(0.0, 4.0, "We met on Plumbago Lane.")])
                        for title in ("Gone", "Kept"))
        jobs = {sid: archive.conn.execute("SELECT id FROM jobs WHERE story_id = ?", (sid,)).fetchone()[0]
                for sid in (erased, kept)}
        queue = Queue(settings)
        queue.enqueue([jobs[erased]])
        (message,) = queue.huey.storage.enqueued_items()
        queue.huey.add_schedule(queue.huey.deserialize_task(message))  # a retry waiting for its time
        queue.enqueue([jobs[kept]])
        queue.retag()

        erase(archive, settings.media_dir, erased, "cli:tester", "withdrawn by the storyteller")

        assert [(t.name, t.args) for t in queue.huey.pending()] == [("process_story", (jobs[kept],)), ("retag", ())]
        assert queue.huey.scheduled_count() == 0
        for path in settings.archive.glob("queue.db*"):  # huey's connection still open, as a worker's is
            assert message not in path.read_bytes(), path.name
        queue.huey.storage.close()


def _as_shipped(monkeypatch) -> None:
    """Every new connection with ``secure_delete`` off, as SQLite's authors ship it."""
    connect = sqlite3.connect

    def as_shipped(*args, **kwargs):
        conn = connect(*args, **kwargs)
        conn.execute("PRAGMA secure_delete=OFF")
        return conn

    monkeypatch.setattr(sqlite3, "connect", as_shipped)


def test_what_a_crashed_transcription_or_redaction_left_of_the_story_goes_too(archive, settings):
    """A transcription's checkpoint holds the transcript found so far; a redaction killed
    between making its silenced copies and storing them leaves files no media row names."""
    from storyatlas.archive.checkpoints import checkpoint_path

    recorded = _ingest(archive, settings, title="Half done")
    story = recorded.story_id
    saved = checkpoint_path(settings.database.parent, story)
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_text('{"segments": [{"text": "Qwyrtzel said it first."}]}')
    partial = saved.with_name(f"{saved.name}.1234.partial")
    partial.write_text("Qwyrtzel")
    listen = archive.conn.execute("SELECT path FROM media WHERE story_id = ? AND role = 'listen'", (story,)).fetchone()
    left = settings.media_dir / Path(listen[0]).parent / f"listen-story{story}-r1.webm"
    left.write_bytes(b"Qwyrtzel, silenced but never stored")

    done = erase(archive, settings.media_dir, story, "cli:tester", "withdrawn by the storyteller")
    assert not saved.exists() and not partial.exists()
    assert not left.exists() and left.relative_to(settings.media_dir).as_posix() in done.files_removed


def test_a_story_erased_twice_or_never_there_is_not_found(archive, settings):
    story = add_story(archive, "Once", "en", [(0, 2, "Once.")])
    erase(archive, settings.media_dir, story, "cli:tester", "asked")
    with pytest.raises(NotFound):
        erase(archive, settings.media_dir, story, "cli:tester", "asked")
    with pytest.raises(NotFound):
        erase(archive, settings.media_dir, 999, "cli:tester", "asked")
    assert archive.conn.execute("SELECT count(*) FROM audit WHERE action = 'erase'").fetchone()[0] == 1


def test_every_row_that_names_the_story_goes_and_no_other(archive, settings):
    doomed = add_story(archive, "Zwieblowski", "en", [(0, 2, "The Zwieblowski barn."), (2, 4, "A shared barn.")])
    other = add_story(archive, "Other", "en", [(0, 2, "Another shared barn.")])
    seg = {s: [r[0] for r in archive.conn.execute("SELECT id FROM segments WHERE story_id = ? ORDER BY idx", (s,))]
           for s in (doomed, other)}
    c = archive.conn
    c.execute("INSERT INTO consent_changes (story_id, who, field, old, new) VALUES (?, 'x', 'visibility', "
              "'public', 'private')", (doomed,))
    c.execute("INSERT INTO redactions (story_id, start, end, who) VALUES (?, 1, 2, 'x')", (doomed,))
    c.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, 'floods', 1)", (doomed,))
    c.execute("INSERT INTO theme_evidence (story_id, theme_id, segment_id, trigger, side) VALUES "
              "(?, 'floods', ?, 'barn', 'original')", (doomed, seg[doomed][0]))
    c.execute("INSERT INTO entities (story_id, segment_id, kind, text) VALUES (?, ?, 'person', 'Zwieblowski')",
              (doomed, seg[doomed][0]))
    c.executemany("INSERT INTO phrases (story_id, segment_id, phrase) VALUES (?, ?, ?)",
                  [(doomed, seg[doomed][0], "zwieblowski barn"), (doomed, seg[doomed][1], "shared barn"),
                   (other, seg[other][0], "shared barn")])
    c.executemany("INSERT INTO theme_suggestions (phrase, status) VALUES (?, ?)",
                  [("zwieblowski barn", "dismissed"), ("shared barn", "accepted"), ("unrelated", "dismissed")])
    before = _rows_of(archive, other)

    done = erase(archive, settings.media_dir, doomed, "cli:tester", "asked")

    assert _rows_of(archive, doomed) == {} and _rows_of(archive, other) == before
    # evidence, entity, 2 phrases, 2 segments, media, transcript, job, theme, consent change,
    # redaction, the story, and the suggestion only it said
    assert done.rows == 1 + 1 + 2 + 2 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1
    assert {r[0] for r in c.execute("SELECT phrase FROM theme_suggestions")} == {"shared barn", "unrelated"}
    assert c.execute("SELECT count(*) FROM segment_terms WHERE segment_terms MATCH ?", (index_match("barn"),)
                     ).fetchone()[0] == 1


def _power_cut(media_dir, relative):
    raise OSError("power cut")


def _worker_starts(settings) -> None:
    stop = threading.Event()
    stop.set()
    Queue(settings).run_until(stop)


def _server_starts(settings) -> None:
    from storyatlas.web.app import create_app

    create_app(settings)


@pytest.mark.parametrize("start", [_worker_starts, _server_starts], ids=["worker", "server"])
def test_a_crash_after_the_commit_leaves_files_that_the_next_start_removes(archive, settings, monkeypatch, start):
    result = _ingest(archive, settings, title="Crash")
    media = [r[0] for r in archive.conn.execute("SELECT path FROM media WHERE story_id = ?", (result.story_id,))]

    monkeypatch.setattr(erasure, "_unlink", _power_cut)
    with pytest.raises(OSError, match="power cut"):
        erase(archive, settings.media_dir, result.story_id, "cli:tester", "asked")
    monkeypatch.undo()
    assert _rows_of(archive, result.story_id) == {}
    assert all((settings.media_dir / p).is_file() for p in media)
    listed = json.loads(archive.conn.execute("SELECT files FROM tombstones").fetchone()[0])
    assert sorted(listed) == sorted(media)
    archive.close()

    start(settings)

    assert not any((settings.media_dir / p).exists() for p in media)
    with Archive(settings.database) as a:
        assert a.conn.execute("SELECT files FROM tombstones").fetchone()[0] == "[]"
        assert sweep_tombstones(a, settings.media_dir) == 0


def test_a_crash_after_the_commit_is_finished_in_a_running_archive_and_leaves_no_words(archive, settings,
                                                                                       monkeypatch):
    result = _ingest(archive, settings, title="The Qwyrtzel flood", storyteller="Anna Qwyrtzel")
    media = [r[0] for r in archive.conn.execute("SELECT path FROM media WHERE story_id = ?", (result.story_id,))]
    monkeypatch.setattr(erasure, "_unlink", _power_cut)
    with pytest.raises(OSError, match="power cut"):
        erase(archive, settings.media_dir, result.story_id, "cli:tester", "asked")
    monkeypatch.undo()
    assert _containing(settings.archive, "Qwyrtzel")  # the log still holds the rows as they were

    assert sweep_tombstones(archive, settings.media_dir) == len(media) == 3
    assert _files(settings.media_dir) == []
    assert _containing(settings.archive, "Qwyrtzel") == []  # while the archive is still open


def test_a_crash_before_the_index_is_merged_is_finished_at_the_next_start(archive, settings, monkeypatch):
    # the merge is the slow part (seconds at scale), and a writer holding the archive past
    # the busy timeout stops it too: the words stayed in the index's old segments for good
    story = add_story(archive, "Plumbago Lane", "en", [(0, 4, "Zwieblowski pumped the cellar.",
                                                        "Zwieblowski pumped the cellar.")])
    erasure.checkpoint(archive.conn)
    monkeypatch.setattr(erasure.word_index, "optimize", lambda *args: _power_cut(None, None))
    with pytest.raises(OSError, match="power cut"):
        erase(archive, settings.media_dir, story, "cli:tester", "asked")
    monkeypatch.undo()
    assert _rows_of(archive, story) == {}

    sweep_tombstones(archive, settings.media_dir)  # as the web app or a worker starts
    assert archive.conn.execute("SELECT files FROM tombstones").fetchone()[0] == "[]"
    assert _containing(settings.archive, "Zwieblowski") == []


def test_a_redactions_merge_a_busy_archive_put_off_is_made_at_the_next_start(archive, settings, monkeypatch):
    import sqlite3

    from storyatlas.archive.redaction import plan_redaction, record_redaction

    story = add_story(archive, "Plumbago Lane", "en", [(0, 4, "Zwieblowski pumped the cellar.",
                                                        "Zwieblowski pumped the cellar.")], timed=True)
    erasure.checkpoint(archive.conn)
    record_redaction(archive, plan_redaction(archive, story, 0.0, 1.0), {}, "cli:tester")

    def locked(*args):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(erasure.word_index, "optimize", locked)
    assert scrub(archive) is False  # said, not raised: the redaction is made
    monkeypatch.undo()
    assert [tuple(r) for r in archive.conn.execute("SELECT story_id, why FROM scrubs_owed")] == [(story, "redact")]
    assert _containing(settings.archive, "Zwieblowski") != []  # in the index's old b-trees

    sweep_tombstones(archive, settings.media_dir)  # as the web app or a worker starts
    assert archive.conn.execute("SELECT count(*) FROM scrubs_owed").fetchone()[0] == 0
    assert _containing(settings.archive, "Zwieblowski") == []


def test_a_file_another_process_removed_first_is_no_error(archive, settings, monkeypatch):
    # the web app and a worker both finish an erasure at the same start
    result = _ingest(archive, settings, title="Twice swept")
    unlink = Path.unlink

    def removed_meanwhile(path, missing_ok=False):
        if settings.media_dir in path.parents and path.exists():
            unlink(path)  # the other process, just before this one
        return unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", removed_meanwhile)
    done = erase(archive, settings.media_dir, result.story_id, "cli:tester", "asked")
    assert len(done.files_removed) == 3 and _files(settings.media_dir) == []
    assert archive.conn.execute("SELECT files FROM tombstones").fetchone()[0] == "[]"


def test_a_recording_another_story_shares_stays_until_its_last_story_goes(archive, settings):
    first = _ingest(archive, settings, title="First")
    rows = archive.conn.execute("SELECT * FROM media WHERE story_id = ? ORDER BY id", (first.story_id,)).fetchall()
    shared = [MediaFile(r["role"], r["sha256"], r["path"], r["container"], r["codec"], bool(r["has_video"]),
                        r["size_bytes"], r["duration_s"], r["original_filename"]) for r in rows]
    second, _ = archive.create_story(StoryMetadata(title="Second"), shared, 17.0)
    paths = [m.path for m in shared]

    done = erase(archive, settings.media_dir, first.story_id, "cli:tester", "asked")
    assert done.files_removed == () and sorted(done.files_kept) == sorted(paths)
    assert all((settings.media_dir / p).is_file() for p in paths)

    done = erase(archive, settings.media_dir, second, "cli:tester", "asked")
    assert sorted(done.files_removed) == sorted(paths)
    assert _files(settings.media_dir) == []


def _erasing_meanwhile(settings, story_id):
    with Archive(settings.database) as other:
        return erase(other, settings.media_dir, story_id, "cli:tester", "withdrawn during processing")


@pytest.mark.slow
def test_erasing_while_the_story_is_transcribed_leaves_nothing(archive, settings, monkeypatch):
    result = _ingest(archive, settings, title="Zwieblowski in progress")
    transcribe = pipeline.transcribe_story

    def transcribe_then_erase(*args, **kwargs):
        out = transcribe(*args, **kwargs)
        _erasing_meanwhile(settings, result.story_id)
        return out

    monkeypatch.setattr(pipeline, "transcribe_story", transcribe_then_erase)
    job = process_job(settings, result.job_id, archive=archive)

    assert job.state == "failed" and "erased" in job.message
    assert _rows_of(archive, result.story_id) == {}
    assert archive.conn.execute("SELECT count(*) FROM segments").fetchone()[0] == 0
    assert archive.conn.execute("SELECT count(*) FROM words").fetchone()[0] == 0
    assert archive.conn.execute("SELECT count(*) FROM transcripts").fetchone()[0] == 0
    assert _files(settings.media_dir) == []


def test_erasing_just_before_the_transcript_is_stored_is_refused_by_the_foreign_keys(archive, settings, monkeypatch):
    result = _ingest(archive, settings, title="Zwieblowski at the last moment")
    speech_now = pipeline._speech_now
    calls = []

    def stale_then_erase(archive_, settings_, story_id):
        calls.append(story_id)
        path = speech_now(archive_, settings_, story_id)
        if len(calls) == 1:  # the story is still there when asked, and erased right after
            _erasing_meanwhile(settings, story_id)
        return path

    monkeypatch.setattr(pipeline, "_speech_now", stale_then_erase)
    job = process_job(settings, result.job_id, archive=archive)

    assert len(calls) == 3 and job.state == "failed" and "erased" in job.message
    assert _rows_of(archive, result.story_id) == {}
    assert archive.conn.execute("SELECT count(*) FROM segments").fetchone()[0] == 0
    assert archive.conn.execute("SELECT count(*) FROM transcripts").fetchone()[0] == 0


def test_the_number_of_an_erased_story_is_never_given_again(archive, settings):
    first = add_story(archive, "First", "en", [(0, 2, "One.")])
    newest = add_story(archive, "Newest", "en", [(0, 2, "Two.")])
    erase(archive, settings.media_dir, newest, "cli:tester", "asked")

    after = add_story(archive, "After", "en", [(0, 2, "Three.")])

    assert after == newest + 1
    assert [r[0] for r in archive.conn.execute("SELECT id FROM stories ORDER BY id")] == [first, after]
    assert archive.story(after, KEEPER).title == "After"
    assert _rows_of(archive, newest) == {}


def test_a_reader_in_the_middle_of_a_read_keeps_the_log_for_later_and_is_said(archive, settings, caplog):
    add_story(archive, "Held", "en", [(0, 2, "Hello.")])
    reader = sqlite3.connect(settings.database, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM stories").fetchone()
    add_story(archive, "After", "en", [(0, 2, "Goodbye.")])  # written to the log while it reads
    hasty = sqlite3.connect(settings.database, timeout=0, isolation_level=None)  # waits for no reader
    try:
        assert erasure.checkpoint(hasty) is False
        assert "emptied at a later checkpoint" in caplog.text
    finally:
        reader.close()
    assert erasure.checkpoint(hasty) is True
    assert Path(f"{settings.database}-wal").stat().st_size == 0
    hasty.close()


def _story_files_there(archive, settings, story_id) -> dict[str, bool]:
    return {role: (settings.media_dir / path).is_file() for role, path in archive.conn.execute(
        "SELECT role, path FROM media WHERE story_id = ?", (story_id,))}


def test_the_same_recording_sent_again_while_its_story_is_erased_keeps_its_files(archive, settings, monkeypatch):
    """An anonymous sender may not see the private story, so the same recording becomes a
    story of its own. Its files are in place, its rows not yet written, when an admin's
    erasure of the old story comes: that erasure must not take the files the new story
    is about to name."""
    old = _ingest(archive, settings, title="Sent first", visibility="private")
    other = Meanwhile(monkeypatch)
    create_story, erasing = Archive.create_story, []

    def erased_meanwhile(self, *args, **kwargs):
        erasing.append(other.start(lambda: _erasing_meanwhile(settings, old.story_id)))
        return create_story(self, *args, **kwargs)

    monkeypatch.setattr(Archive, "create_story", erased_meanwhile)
    again = ingest_file(archive, story_file("en"), StoryMetadata(title="Sent again"), settings, Viewer.anonymous())
    erasing[0].join()

    assert again.story_id != old.story_id and not again.duplicate
    assert _rows_of(archive, old.story_id) == {}
    assert _story_files_there(archive, settings, again.story_id) == {"original": True, "speech": True, "listen": True}
    assert sorted(other.result[0].files_kept) == sorted(
        r[0] for r in archive.conn.execute("SELECT path FROM media WHERE story_id = ?", (again.story_id,)))


def test_the_same_recording_sent_while_the_erasure_removes_its_files_gets_them_anew(archive, settings, monkeypatch):
    """The other order: the erasure has found that no story names the original and is
    about to remove it when the same recording arrives."""
    old = _ingest(archive, settings, title="Sent first")
    other = Meanwhile(monkeypatch)
    unlink, sent = erasure._unlink, []

    def send_again():
        with Archive(settings.database) as another:
            return _ingest(another, settings, title="Sent again")

    def sent_meanwhile(media_dir, relative):
        if not sent:
            sent.append(other.start(send_again))
        unlink(media_dir, relative)

    monkeypatch.setattr(erasure, "_unlink", sent_meanwhile)
    done = erase(archive, settings.media_dir, old.story_id, "cli:tester", "withdrawn")
    sent[0].join()
    again = other.result[0]

    assert again.story_id != old.story_id and not again.duplicate
    assert _story_files_there(archive, settings, again.story_id) == {"original": True, "speech": True, "listen": True}
    assert len(done.files_removed) == 3  # and put in place again after
