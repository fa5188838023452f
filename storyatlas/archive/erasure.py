"""Withdrawal: erasing a story from the archive, the media store and the search index,
so that nothing readable of it is left in any file of the archive folder.

The rows go in one transaction that also writes a tombstone (the story's number and the
files still to remove) and an audit entry; the files are removed after the commit, and
a crash in between leaves a tombstone that ``sweep_tombstones`` finishes at the next
start of the web app or the worker. SQLite keeps deleted content in free space, in old
FTS5 index segments and in the write-ahead log, so every connection runs with
``secure_delete`` (see ``db.connect``) and each erasure ends with ``scrub``.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from storyatlas.archive import Archive, media_folder, word_index
from storyatlas.archive.audit import record
from storyatlas.archive.checkpoints import discard_story_checkpoint
from storyatlas.errors import NotFound, said

log = logging.getLogger(__name__)

# tables that record what happened to a story rather than the story itself
# the words index's marks of stories to make again are its own: the story's delete trigger
# clears the story's (migration 0014), and they are not rows the story had. The log of
# vector changes (ids only, migration 0016) is what tells a search process to drop the
# story's vectors from memory: without it they stayed there until all were read again.
# The log of stories changed (ids only, 0018) does the same for their facet values.
_KEPT = {"tombstones", "audit", "story_terms_stale", "vector_changes", "story_changes"}


@dataclass(frozen=True)
class Erasure:
    """What an erasure removed."""

    story_id: int
    rows: int
    """Rows deleted from the archive, the story's included."""
    files_removed: tuple[str, ...]
    files_kept: tuple[str, ...]
    """Files of the story that another story's media still uses (a shared recording)."""
    scrubbed: bool
    """Whether the write-ahead logs could be emptied at once (other readers may delay it)."""


def erase(archive: Archive, media_dir: Path, story_id: int, who: str, reason: str) -> Erasure:
    """Erase the story: its rows (every table that refers to it or to its segments), its
    search index entries and its media files, leaving a tombstone and an audit entry
    (who, the story's number, ``reason``). Raises NotFound when there is no such story.

    The deletion is one transaction, so it cannot half-succeed; the files go after the
    commit, except those another story's media still uses.
    """
    with archive.transaction() as c:
        if c.execute("SELECT 1 FROM stories WHERE id = ?", (story_id,)).fetchone() is None:
            raise NotFound(said("there is no story {story}: `storyatlas stories` lists them", story=story_id))
        files = _story_files(c, media_dir, story_id)
        job_ids = [r[0] for r in c.execute("SELECT id FROM jobs WHERE story_id = ?", (story_id,))]
        rows = _delete_rows(c, story_id)
        c.execute("INSERT OR REPLACE INTO tombstones (story_id, files) VALUES (?, ?)",
                  (story_id, json.dumps(files)))
        c.execute("INSERT INTO scrubs_owed (story_id, why) VALUES (?, 'erase')", (story_id,))
        record(c, who, "erase", story_id, reason)
    log.info("erased story %d (%d rows)", story_id, rows)
    forget_queued(archive.path.with_name("queue.db"), job_ids)
    removed, kept = _remove_files(archive, media_dir, story_id)
    scrubbed = scrub(archive)
    return Erasure(story_id, rows, removed, kept, scrubbed)


def sweep_tombstones(archive: Archive, media_dir: Path) -> int:
    """Finish the erasures and redactions a crash cut short after their commit (the
    erased files, and the search index's merge that takes their words out); call it when
    the web app or a worker starts. Returns how many files were removed."""
    pending = [r[0] for r in archive.conn.execute("SELECT story_id FROM tombstones WHERE files <> '[]'")]
    removed = 0
    for story_id in pending:
        gone, _ = _remove_files(archive, media_dir, story_id)
        removed += len(gone)
    if pending:
        log.info("finished erasing stories %s (%d files)", pending, removed)
    if archive.conn.execute("SELECT 1 FROM scrubs_owed LIMIT 1").fetchone():
        scrub(archive)
    return removed


def scrub(archive: Archive) -> bool:
    """Leave no deleted words readable in the database files: merge the search index
    (its old segments still hold deleted entries), then strike the merges erasures and
    redactions owed (``scrubs_owed``), and empty the write-ahead log. False when the merge
    must wait for the next start (another writer held the archive) or other connections
    kept the log from being emptied now."""
    owed = archive.conn.execute("SELECT max(id) FROM scrubs_owed").fetchone()[0]
    try:
        word_index.optimize(archive.conn, ("index_points_fts", *word_index.TABLES))
    except sqlite3.OperationalError as e:  # what was taken out is out of every answer already
        log.warning("the search index could not be merged now (%s): the words taken out stay in its old "
                    "b-trees until the next start of the web app or a worker merges it", e)
        return False
    if owed is not None:  # one committed after the merge began owes its own
        archive.conn.execute("DELETE FROM scrubs_owed WHERE id <= ?", (owed,))
    return checkpoint(archive.conn)


def checkpoint(conn: sqlite3.Connection) -> bool:
    """Copy the write-ahead log into the database and truncate it to nothing; False
    when a reader kept it busy (then it is emptied at a later checkpoint)."""
    busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        log.warning("a write-ahead log is in use by another connection; "
                    "it will be emptied at a later checkpoint")
    return not busy


def forget_queued(queue_file: Path, job_ids: list[int]) -> None:
    """Delete the queue's messages for these jobs from the huey SQLite queue beside the
    archive, and empty its write-ahead log. They hold only job numbers, but an erased
    story should leave no trace there either."""
    if not job_ids or not queue_file.exists():
        return
    from huey.serializer import Serializer

    serializer, wanted, doomed = Serializer(), set(job_ids), []
    conn = sqlite3.connect(queue_file, timeout=5, isolation_level=None)
    try:
        conn.execute("PRAGMA secure_delete=ON")
        for table in ("task", "schedule"):
            try:
                rows = conn.execute(f"SELECT id, data FROM {table}").fetchall()
            except sqlite3.OperationalError:  # a queue that never held a task
                continue
            for row_id, data in rows:
                try:
                    message = serializer.deserialize(data)
                except Exception:  # a message this version cannot read is left to huey
                    continue
                # huey names a task after its module: "storyatlas.jobs.process_story"
                name = str(getattr(message, "name", "")).rpartition(".")[2]
                if name == "process_story" and tuple(message.args)[:1] and message.args[0] in wanted:
                    doomed.append((table, row_id))
        for table, row_id in doomed:
            conn.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,))
        if doomed:
            checkpoint(conn)
    except sqlite3.Error as e:
        log.warning("could not remove the erased story's messages from %s: %s", queue_file, e)
    finally:
        conn.close()


def _story_files(c: sqlite3.Connection, media_dir: Path, story_id: int) -> list[str]:
    """The story's media files, and any per-story derivative a crashed redaction left
    unreferenced (they are named after the story, beside the recording's own)."""
    files = [r[0] for r in c.execute("SELECT path FROM media WHERE story_id = ? ORDER BY id", (story_id,))]
    for folder in sorted({Path(p).parent for p in files}):
        for found in sorted((media_dir / folder).glob(f"*-story{story_id}-*")):
            relative = found.relative_to(media_dir).as_posix()
            if relative not in files:
                files.append(relative)
    return files


def _delete_rows(c: sqlite3.Connection, story_id: int) -> int:
    """Delete, explicitly rather than by cascade (so every trigger fires, the search
    index's among them, and a table added later is not forgotten), every row of every
    table that refers to the story or to one of its segments, then the story."""
    tables = [r[0] for r in c.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'")]
    columns = {t: {r[1] for r in c.execute(f"PRAGMA table_info({_quoted(t)})")} for t in tables}
    segments = "SELECT id FROM segments WHERE story_id = ?"
    said = [r[0] for r in c.execute("SELECT DISTINCT phrase FROM phrases WHERE story_id = ?", (story_id,))]
    deleted = 0
    for table in tables:
        if "segment_id" in columns[table] and table not in _KEPT:
            deleted += c.execute(f"DELETE FROM {_quoted(table)} WHERE segment_id IN ({segments})",
                                 (story_id,)).rowcount
    # segments before transcripts (which would take them by cascade, with no trigger run)
    order = sorted(tables, key=lambda t: t != "segments")
    for table in order:
        if "story_id" in columns[table] and table not in _KEPT and table != "stories":
            deleted += c.execute(f"DELETE FROM {_quoted(table)} WHERE story_id = ?", (story_id,)).rowcount
    deleted += c.execute("DELETE FROM stories WHERE id = ?", (story_id,)).rowcount
    # a suggested theme is a phrase a story said: the moderators' verdict on one that only
    # this story said would keep its words
    for phrase in said:
        deleted += c.execute("DELETE FROM theme_suggestions WHERE phrase = ? AND NOT EXISTS "
                             "(SELECT 1 FROM phrases WHERE phrase = ?)", (phrase, phrase)).rowcount
    return deleted


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _remove_files(archive: Archive, media_dir: Path, story_id: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Remove the files a tombstone lists, except those a story's media still uses,
    then empty its list. Returns (removed, kept)."""
    row = archive.conn.execute("SELECT files FROM tombstones WHERE story_id = ?", (story_id,)).fetchone()
    files = json.loads(row[0]) if row else []
    removed, kept = [], []
    with media_folder.lock(media_dir):  # the same recording may be sent again meanwhile
        for relative in files:
            if archive.media_in_use(relative):
                kept.append(relative)
                continue
            if (media_dir / relative).exists():
                _unlink(media_dir, relative)
                removed.append(relative)
    archive.conn.execute("UPDATE tombstones SET files = '[]' WHERE story_id = ?", (story_id,))
    discard_story_checkpoint(archive.path, story_id)
    return tuple(removed), tuple(kept)


def _unlink(media_dir: Path, relative: str) -> None:
    target = media_dir / relative
    # a read-only original goes like any file (unlinking asks only its folder's permission);
    # missing_ok: the web app and a worker sweeping at the same start
    target.unlink(missing_ok=True)
    # the folders are named after the recording's SHA-256: an empty one still says it was here
    folder = target.parent
    while folder != media_dir and media_dir in folder.parents:
        try:
            folder.rmdir()
        except OSError:  # not empty: another recording lives there
            break
        folder = folder.parent
