"""The archive: the source of truth for stories, media, transcripts and jobs (SQLite, WAL).

One ``Archive`` is one connection; use one per thread.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from storyatlas.archive.db import connect
from storyatlas.archive.records import (
    Job, MediaFile, Place, Segment, Story, StoryMetadata, Word,
)
from storyatlas.errors import NotFound

if TYPE_CHECKING:
    from storyatlas.transcribe.types import Transcript

__all__ = ["Archive", "Job", "MediaFile", "Place", "Segment", "Story", "StoryMetadata", "Word", "visible"]

# a running job whose holder has not been heard of for this long is taken over
LEASE_S = 300.0


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Archive:
    def __init__(self, database: Path) -> None:
        self.path = database
        self.conn = connect(database)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def generation(self) -> int:
        """Changes whenever stories or transcripts change (see migration 0002)."""
        return self.conn.execute("SELECT n FROM generation").fetchone()[0]

    # stories -------------------------------------------------------------

    def create_story(
        self, meta: StoryMetadata, media: Sequence[MediaFile], duration_s: float | None
    ) -> tuple[int, int]:
        """Insert a story, its media and its processing job in one transaction.

        Returns (story id, job id).
        """
        with self.transaction() as c:
            story_id = c.execute(
                """INSERT INTO stories (title, collection, community, region, country, recorded_on,
                   language_hint, storyteller, description, visibility, requested_visibility, duration_s)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (meta.title, meta.collection, meta.place.community, meta.place.region,
                 meta.place.country, meta.recorded_on, meta.language_hint, meta.storyteller,
                 meta.description, meta.visibility, meta.requested_visibility, duration_s),
            ).lastrowid
            for m in media:
                c.execute(
                    """INSERT INTO media (story_id, role, sha256, path, container, codec, has_video,
                       size_bytes, duration_s, original_filename) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (story_id, m.role, m.sha256, m.path, m.container, m.codec, int(m.has_video),
                     m.size_bytes, m.duration_s, m.original_filename),
                )
            job_id = c.execute("INSERT INTO jobs (story_id) VALUES (?)", (story_id,)).lastrowid
        return story_id, job_id

    def story(self, story_id: int, visibility: Sequence[str] | None = None) -> Story:
        """The story, if it exists and (when ``visibility`` is given) may be shown.

        A story that may not be shown is reported exactly like a missing one, so its
        existence does not leak.
        """
        row = self.conn.execute("SELECT * FROM stories WHERE id = ?", (story_id,)).fetchone()
        if row is None or (visibility is not None and row["visibility"] not in visibility):
            raise NotFound(f"there is no story {story_id}: `storyatlas stories` lists them")
        return _story(row)

    def stories(self, limit: int = 100, offset: int = 0, visibility: Sequence[str] | None = None,
                newest_first: bool = False) -> list[Story]:
        where, params = visible(visibility)
        order = "DESC" if newest_first else ""
        rows = self.conn.execute(
            f"SELECT * FROM stories WHERE {where} ORDER BY id {order} LIMIT ? OFFSET ?", (*params, limit, offset)
        ).fetchall()
        return [_story(r) for r in rows]

    def story_for_original(self, sha256: str) -> int | None:
        row = self.conn.execute(
            "SELECT story_id FROM media WHERE role = 'original' AND sha256 = ?", (sha256,)
        ).fetchone()
        return row[0] if row else None

    def media(self, story_id: int, role: str) -> MediaFile:
        row = self.conn.execute(
            "SELECT * FROM media WHERE story_id = ? AND role = ?", (story_id, role)
        ).fetchone()
        if row is None:
            raise NotFound(f"story {story_id} has no {role} media")
        return MediaFile(row["role"], row["sha256"], row["path"], row["container"], row["codec"],
                         bool(row["has_video"]), row["size_bytes"], row["duration_s"],
                         row["original_filename"])

    def awaiting_review(self) -> list[Story]:
        """Stories from the public that a moderator has not yet published or declined."""
        rows = self.conn.execute("SELECT * FROM stories WHERE requested_visibility IS NOT NULL ORDER BY id")
        return [_story(r) for r in rows]

    def review(self, story_id: int, publish: bool) -> Story:
        """Publish a story waiting for review with the visibility its teller asked for,
        or decline it (it stays private, and nobody outside the archive sees it)."""
        with self.transaction() as c:
            row = c.execute("SELECT * FROM stories WHERE id = ? AND requested_visibility IS NOT NULL",
                            (story_id,)).fetchone()
            if row is None:
                raise NotFound(f"story {story_id} is not waiting for review: `storyatlas review` lists those that are")
            c.execute("""UPDATE stories SET visibility = CASE WHEN ? THEN requested_visibility ELSE visibility END,
                         requested_visibility = NULL WHERE id = ?""", (int(publish), story_id))
        return self.story(story_id)

    def count_stories(self, visibility: Sequence[str] | None = None) -> int:
        where, params = visible(visibility)
        return self.conn.execute(f"SELECT count(*) FROM stories WHERE {where}", params).fetchone()[0]

    # transcripts -----------------------------------------------------------

    def save_transcription(
        self,
        story_id: int,
        transcript: Transcript,
        translation: Transcript | None,
        english: Sequence[str | None],
    ) -> None:
        """Replace the story's transcripts and segments in one transaction.

        ``english[i]`` is the English text aligned to ``transcript.segments[i]``.
        Running it twice leaves the same rows as running it once.
        """
        with self.transaction() as c:
            c.execute("DELETE FROM transcripts WHERE story_id = ?", (story_id,))
            c.execute("DELETE FROM segments WHERE story_id = ?", (story_id,))
            transcript_id = self._insert_transcript(c, story_id, transcript)
            if translation is not None:
                self._insert_transcript(c, story_id, translation)
            for idx, seg in enumerate(transcript.segments):
                seg_id = c.execute(
                    """INSERT INTO segments (story_id, transcript_id, idx, start, end, text, text_en,
                       avg_logprob, no_speech_prob) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (story_id, transcript_id, idx, seg.start, seg.end, seg.text, english[idx],
                     seg.avg_logprob, seg.no_speech_prob),
                ).lastrowid
                c.executemany(
                    "INSERT INTO words (segment_id, idx, start, end, word, probability) VALUES (?, ?, ?, ?, ?, ?)",
                    [(seg_id, i, w.start, w.end, w.word, w.probability) for i, w in enumerate(seg.words)],
                )
            c.execute(
                """UPDATE stories SET language = ?, language_probability = ?, duration_s = ?,
                   updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?""",
                (transcript.language, transcript.language_probability, transcript.duration_s, story_id),
            )

    @staticmethod
    def _insert_transcript(c: sqlite3.Connection, story_id: int, t: Transcript) -> int:
        return c.execute(
            """INSERT INTO transcripts (story_id, task, language, language_probability, model,
               options, versions, machine_translation) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            (story_id, t.task, t.language, t.language_probability, t.model,
             json.dumps(t.options, sort_keys=True), json.dumps(t.versions, sort_keys=True),
             int(t.task == "translate")),
        ).lastrowid

    def segments(self, story_id: int, with_words: bool = False) -> list[Segment]:
        rows = self.conn.execute(
            "SELECT id, idx, start, end, text, text_en FROM segments WHERE story_id = ? ORDER BY idx",
            (story_id,),
        ).fetchall()
        words: dict[int, list[Word]] = {}
        if with_words:
            for w in self.conn.execute(
                """SELECT w.segment_id, w.start, w.end, w.word, w.probability FROM words w
                   JOIN segments s ON s.id = w.segment_id WHERE s.story_id = ?
                   ORDER BY w.segment_id, w.idx""", (story_id,),
            ):
                words.setdefault(w[0], []).append(Word(w[1], w[2], w[3], w[4]))
        return [Segment(r["id"], r["idx"], r["start"], r["end"], r["text"], r["text_en"],
                        tuple(words.get(r["id"], ()))) for r in rows]

    def transcripts(self, story_id: int) -> list[dict]:
        rows = self.conn.execute(
            "SELECT * FROM transcripts WHERE story_id = ? ORDER BY task", (story_id,)
        ).fetchall()
        return [dict(r) | {"options": json.loads(r["options"]), "versions": json.loads(r["versions"])}
                for r in rows]

    # jobs --------------------------------------------------------------------

    def job(self, job_id: int) -> Job:
        row = self.conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise NotFound(f"there is no job {job_id}")
        return _job(row)

    def job_for_story(self, story_id: int) -> Job | None:
        row = self.conn.execute(
            "SELECT * FROM jobs WHERE story_id = ? ORDER BY id DESC LIMIT 1", (story_id,)
        ).fetchone()
        return _job(row) if row else None

    def claim_job(self, job_id: int, worker: str | None = None) -> bool:
        """Take a queued job, or one whose holder is gone. False if someone else has it."""
        job = self.job(job_id)
        if job.state in ("done", "failed"):
            return False
        if job.state == "running" and not self._holder_gone(job):
            return False
        cur = self.conn.execute(
            """UPDATE jobs SET state = 'running', worker = ?, heartbeat_at = ?,
               attempts = attempts + 1, stage = 'starting', message = NULL
               WHERE id = ? AND state = ? AND coalesce(worker, '') = ?""",
            (worker or worker_id(), time.time(), job_id, job.state, job.worker or ""),
        )
        return cur.rowcount == 1

    def report_progress(self, job_id: int, stage: str, progress: float, message: str | None = None) -> None:
        self.conn.execute(
            "UPDATE jobs SET stage = ?, progress = ?, message = ?, heartbeat_at = ? WHERE id = ?",
            (stage, progress, message, time.time(), job_id),
        )

    def finish_job(self, job_id: int, state: str, message: str | None = None) -> None:
        self.conn.execute(
            """UPDATE jobs SET state = ?, stage = ?, progress = CASE WHEN ? = 'done' THEN 1 ELSE progress END,
               message = ?, finished_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?""",
            (state, state, state, message, job_id),
        )

    def unfinished_jobs(self) -> list[Job]:
        """Jobs to (re)start: queued ones, and running ones whose worker is gone."""
        rows = self.conn.execute(
            "SELECT * FROM jobs WHERE state IN ('queued', 'running') ORDER BY id"
        ).fetchall()
        jobs = [_job(r) for r in rows]
        return [j for j in jobs if j.state == "queued" or self._holder_gone(j)]

    @staticmethod
    def _holder_gone(job: Job) -> bool:
        if job.heartbeat_at is not None and time.time() - job.heartbeat_at > LEASE_S:
            return True
        host, _, pid = (job.worker or "").rpartition(":")
        # on this machine we can tell for sure whether the holder still lives
        return host == socket.gethostname() and pid.isdigit() and not _pid_alive(int(pid))


def visible(visibility: Sequence[str] | None, table: str = "") -> tuple[str, tuple]:
    """The SQL condition (and its parameters) that keeps the stories a viewer may see;
    ``table`` is the alias of ``stories`` in the query. None: every story."""
    if visibility is None:
        return "1", ()
    column = f"{table}.visibility" if table else "visibility"
    return f"{column} IN ({','.join('?' * len(visibility))})", tuple(visibility)


def _story(row: sqlite3.Row) -> Story:
    return Story(
        id=row["id"], title=row["title"], collection=row["collection"],
        place=Place(row["community"], row["region"], row["country"]),
        recorded_on=row["recorded_on"], language_hint=row["language_hint"],
        language=row["language"], language_probability=row["language_probability"],
        storyteller=row["storyteller"], description=row["description"],
        visibility=row["visibility"], duration_s=row["duration_s"], created_at=row["created_at"],
        requested_visibility=row["requested_visibility"],
    )


def _job(row: sqlite3.Row) -> Job:
    return Job(row["id"], row["story_id"], row["state"], row["stage"], row["progress"],
               row["message"], row["attempts"], row["worker"], row["heartbeat_at"])
