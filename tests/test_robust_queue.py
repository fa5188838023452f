"""The queue's file and the theme forms' cache where they cannot be used as they are: a
queue that cannot be opened, or is damaged and cannot be moved aside, is said and left in
place, its jobs kept; word forms that cannot be read back from the cache are made again."""

import json
import logging
import sqlite3

import pytest

from storyatlas import jobs
from storyatlas.errors import StoryAtlasError
from storyatlas.jobs import Queue
from storyatlas.themes.lemmas import _lemmatizer, lemmatizer

DAMAGED = b"not a database at all" * 100


@pytest.mark.slow
def test_a_queue_file_locked_by_another_program_is_said_and_keeps_its_jobs(settings):
    # "database is locked" is no damage: moved aside, the queue's waiting jobs were out of sight
    Queue(settings).enqueue([7])
    holder = sqlite3.connect(settings.queue_file, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoryAtlasError, match="^cannot open the queue's file .*locked.*on a disk with room$"):
            Queue(settings)
    finally:
        holder.close()
    assert not [p for p in settings.archive.iterdir() if ".damaged-" in p.name]
    assert Queue(settings).huey.pending_count() == 1


def _damaged_queue_with_its_way_aside_blocked(settings, monkeypatch, name: str) -> None:
    """A damaged queue file, and where ``name`` would be moved aside a folder with something
    in it: the rename is refused (as on a read-only folder, which root may write)."""
    settings.archive.mkdir(parents=True)
    settings.queue_file.write_bytes(DAMAGED)
    monkeypatch.setattr(jobs, "_aside_suffix", lambda: ".damaged-1")
    (settings.archive / f"{name}.damaged-1").mkdir()
    (settings.archive / f"{name}.damaged-1" / "kept").write_text("here")


def test_a_damaged_queue_file_that_cannot_be_moved_aside_is_said_and_left(settings, monkeypatch):
    _damaged_queue_with_its_way_aside_blocked(settings, monkeypatch, "queue.db")
    with pytest.raises(StoryAtlasError, match="^the queue's file .*queue.db is damaged .*cannot be moved aside"):
        Queue(settings)
    assert settings.queue_file.read_bytes() == DAMAGED


def test_a_damaged_queue_file_stays_while_its_log_cannot_be_moved_aside(settings, monkeypatch):
    # the file moved first and its log left behind, the next start read that log into a new file
    _damaged_queue_with_its_way_aside_blocked(settings, monkeypatch, "queue.db-wal")
    (settings.archive / "queue.db-wal").write_bytes(b"an old log")
    with pytest.raises(StoryAtlasError, match="cannot be moved aside"):
        Queue(settings)
    assert settings.queue_file.read_bytes() == DAMAGED
    assert (settings.archive / "queue.db-wal").read_bytes() == b"an old log"


@pytest.mark.parametrize("error, damaged", [
    (sqlite3.DatabaseError("file is not a database"), True),
    (sqlite3.DatabaseError("database disk image is malformed"), True),
    (sqlite3.OperationalError("database is locked"), False),
    (sqlite3.OperationalError("database or disk is full"), False),
])
def test_only_a_file_sqlite_calls_no_database_or_malformed_is_taken_for_damaged(error, damaged):
    # an error without SQLite's code (one made again by another library) is known by its words
    assert jobs._damaged(error) is damaged


@pytest.mark.slow
@pytest.mark.parametrize("spoil", ["cut short", "a folder"])
def test_word_forms_that_cannot_be_read_from_the_cache_are_made_again(tmp_path, caplog, spoil):
    lemmatizer("de", {"keller"}, tmp_path)
    [kept] = (tmp_path / "lemmas").glob("de-*.json")
    if spoil == "cut short":
        kept.write_text(kept.read_text(encoding="utf-8")[:20], encoding="utf-8")
    else:
        kept.unlink()
        kept.mkdir()
        (kept / "something").write_text("here")
    _lemmatizer.cache_clear()  # as in the next process
    try:
        with caplog.at_level(logging.WARNING, logger="storyatlas.themes.lemmas"):
            assert "kellern" in lemmatizer("de", {"keller"}, tmp_path).index
    finally:
        _lemmatizer.cache_clear()
    assert "cannot read the word forms kept in" in caplog.text
    if spoil == "cut short":  # made again, and kept whole this time
        assert "kellern" in json.loads(kept.read_text(encoding="utf-8"))
