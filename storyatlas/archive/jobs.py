"""The archive's side of processing: the jobs table is the truth about what is done."""

from __future__ import annotations

import os
import socket
import sqlite3
import time

from storyatlas.archive import audit
from storyatlas.archive.policy import Viewer
from storyatlas.archive.records import Job
from storyatlas.errors import NotFound, StoryAtlasError, said, said_as_json, said_from_json

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


class JobsMixin:
    """Job methods of ``Archive`` (kept apart so each module stays small)."""

    conn: sqlite3.Connection

    def job(self, job_id: int) -> Job:
        row = self.conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise NotFound(said("there is no job {job}", job=job_id))
        return _job(row)

    def job_for_story(self, story_id: int, viewer: Viewer) -> Job | None:
        """The story's latest job, for a viewer who may see the story (else NotFound)."""
        self.story(story_id, viewer)  # type: ignore[attr-defined]
        row = self.conn.execute(
            "SELECT * FROM jobs WHERE story_id = ? ORDER BY id DESC LIMIT 1", (story_id,)
        ).fetchone()
        return _job(row) if row else None

    def claim_job(self, job_id: int, worker: str | None = None) -> bool:
        """Take a queued job, or one whose holder is gone. False if someone else has it."""
        job = self.job(job_id)
        if job.state in ("done", "failed"):
            return False
        if job.state == "running" and not holder_gone(job.worker, job.heartbeat_at):
            return False
        cur = self.conn.execute(
            """UPDATE jobs SET state = 'running', worker = ?, heartbeat_at = ?,
               attempts = attempts + 1, stage = 'starting', message = NULL, message_said = NULL
               WHERE id = ? AND state = ? AND coalesce(worker, '') = ?""",
            (worker or worker_id(), time.time(), job_id, job.state, job.worker or ""),
        )
        return cur.rowcount == 1

    def report_progress(self, job_id: int, stage: str, progress: float, message: str | None = None) -> None:
        self.conn.execute(
            "UPDATE jobs SET stage = ?, progress = ?, message = ?, message_said = ?, heartbeat_at = ? WHERE id = ?",
            (stage, progress, message, said_as_json(message), time.time(), job_id),
        )

    def finish_job(self, job_id: int, state: str, message: str | None = None) -> None:
        """``message`` (why it failed, or what to know) is best made with ``errors.said``:
        the web then says it in the reader's language."""
        self.conn.execute(
            """UPDATE jobs SET state = ?, stage = ?, progress = CASE WHEN ? = 'done' THEN 1 ELSE progress END,
               message = ?, message_said = ?, finished_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?""",
            (state, state, state, message, said_as_json(message), job_id),
        )

    def retry(self, story_id: int, viewer: Viewer) -> int:
        """A new job for a story whose processing failed (its model was missing, the disk
        full...), for one of its moderators; the failed job is kept, with its reason.
        Returns the new job's id, to be queued. What people corrected meanwhile stays: a
        transcription saved over corrections is refused."""
        self.story_to_moderate(story_id, viewer)  # type: ignore[attr-defined]
        with self.transaction() as c:  # type: ignore[attr-defined]
            # looked at in the writing transaction: two moderators at once make one job
            last = c.execute("SELECT id, state FROM jobs WHERE story_id = ? ORDER BY id DESC LIMIT 1",
                             (story_id,)).fetchone()
            if last is None or last[1] != "failed":
                raise StoryAtlasError(said("story {story} has not failed: only a failed story is processed again",
                                           story=story_id))
            new = c.execute("INSERT INTO jobs (story_id) VALUES (?)", (story_id,)).lastrowid
            audit.record(c, viewer, "processing retried", story_id, said("job {job} after job {failed}, which failed",
                                                                          job=new, failed=last[0]))
        return new

    def unfinished_jobs(self) -> list[Job]:
        """Jobs to (re)start: queued ones, and running ones whose worker is gone."""
        rows = self.conn.execute(
            "SELECT * FROM jobs WHERE state IN ('queued', 'running') ORDER BY id"
        ).fetchall()
        jobs = [_job(r) for r in rows]
        return [j for j in jobs if j.state == "queued" or holder_gone(j.worker, j.heartbeat_at)]


def holder_gone(worker: str | None, heard_at: float | None) -> bool:
    """Whether the holder (``worker_id``) of a job or lock, last heard of at
    ``heard_at``, is gone: silent past the lease, or dead on this machine."""
    if heard_at is not None and time.time() - heard_at > LEASE_S:
        return True
    host, _, pid = (worker or "").rpartition(":")
    # on this machine we can tell for sure whether the holder still lives
    return host == socket.gethostname() and pid.isdecimal() and not _pid_alive(int(pid))


def _job(row: sqlite3.Row) -> Job:
    return Job(row["id"], row["story_id"], row["state"], row["stage"], row["progress"],
               said_from_json(row["message"], row["message_said"]), row["attempts"], row["worker"], row["heartbeat_at"])
