"""The job queue: huey (SqliteHuey beside the archive) carries job ids; the archive's
jobs table is the truth about what is done, so a lost message or a killed worker
costs a retry, never a story."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from huey import SqliteHuey, crontab

from storyatlas.archive import Archive, Job, word_index
from storyatlas.archive.db import make_folder_of
from storyatlas.archive.erasure import sweep_tombstones
from storyatlas.errors import StoryAtlasError, said
from storyatlas.ingest.store import clean_scratch
from storyatlas.jobs.exclusive import Exclusive
from storyatlas.jobs.pipeline import JobListener, process_job
from storyatlas.settings import Settings
from storyatlas.transcribe.types import Progress

log = logging.getLogger(__name__)
T = TypeVar("T")

MEANING_ROUND = 1024
"""Vectors a worker makes before it looks at its queue again (about 20 s on 2 cores)."""

__all__ = ["Queue", "process_job"]


class Queue:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        make_folder_of(settings.database)  # the same folder, said as db.connect says it
        # no results kept: nothing reads them (the jobs table is the truth), and kept they
        # piled up in the queue's file, a row for every task ever run
        self.huey = _sqlite_huey(settings.queue_file)

        @self.huey.task(name="process_story")
        def process_story(job_id: int) -> str:
            state = process_job(self.settings, job_id).state
            if state == "done":
                # after the job, not in it: words search has the story at once
                index_meaning()
                merge_words()
            return state

        meaning_rounds = Exclusive(self.huey, "index_meaning")

        @self.huey.task(name="index_meaning")
        def index_meaning() -> int:
            """A round of the missing vectors, the rest queued again behind what was queued
            meanwhile: new stories do not wait for a large archive's backlog. One worker
            at a time: a round asked for while another runs is queued when that one ends."""
            from storyatlas import meaning

            with Archive(self.settings.database) as archive:
                ran = meaning_rounds.run(lambda: meaning.index(archive, limit=MEANING_ROUND))
            if ran is None:
                return 0
            written, asked = ran
            if written >= MEANING_ROUND or asked:
                index_meaning()
            return written

        @self.huey.task(name="merge_words")
        def merge_words() -> int:
            with Archive(self.settings.database) as archive:
                return word_index.merge(archive.conn)

        @self.huey.periodic_task(crontab(minute="*"), name="recover_abandoned")
        def recover_abandoned() -> None:
            with Archive(self.settings.database) as archive:
                self._every_minute(archive)

        @self.huey.task(name="retag")
        def retag_stories() -> int:
            from storyatlas.jobs.english import refresh_english
            from storyatlas.themes.run import retag

            with Archive(self.settings.database) as archive:
                # corrected text: its English first, which the themes read too
                refresh_english(archive, self.settings)
                index_meaning.call_local()
                return retag(archive, self.settings.cache)

        self._task = process_story
        self._meaning_rounds = meaning_rounds
        self._index_meaning = index_meaning
        self._merge_words = merge_words
        self.retag = retag_stories

    def enqueue(self, job_ids: Iterable[int]) -> None:
        for job_id in job_ids:
            self._task(job_id)

    def index_meaning(self) -> None:
        """Queue the making of the vectors that are missing (a redacted line's, say)."""
        self._index_meaning()

    def index_meaning_here(self, archive: Archive,
                           progress: Callable[[int, int], None] | None = None) -> int | None:
        """Make every missing vector in this process (`storyatlas reindex`, `ingest`),
        unless a worker is making them: then None, and that worker makes these too."""
        from storyatlas import meaning

        written = 0
        while True:
            # round by round, each under the lock anew: a lock held longer than a job's
            # lease is taken for its holder's, gone (hours, for a million segments)
            ran = self._meaning_rounds.run(lambda: meaning.index(archive, progress, limit=MEANING_ROUND))
            if ran is None:
                return None
            written += ran[0]
            if ran[0] < MEANING_ROUND and not ran[1]:
                return written

    def recover(self, archive: Archive, include_queued: bool = True) -> list[int]:
        """Queue again the jobs whose worker died, and (at a worker's start) the queued
        ones, whose message may have been lost before it reached the queue."""
        jobs = [j.id for j in archive.unfinished_jobs() if include_queued or j.state == "running"]
        if jobs:
            log.info("re-queueing unfinished jobs %s", jobs)
            self.enqueue(jobs)
        return jobs

    def work(self, workers: int = 1) -> None:
        """Run a huey consumer until interrupted (the `storyatlas worker` command)."""
        clean_scratch(self.settings.media_dir)  # what a crash left half-done, unless a server is at work
        with Archive(self.settings.database) as archive:
            sweep_tombstones(archive, self.settings.media_dir)  # an erasure cut short by a crash
            self.recover(archive)
        consumer = self.huey.create_consumer(workers=workers, periodic=True, initial_delay=0.1,
                                             max_delay=2.0)
        consumer.run()

    def drain(self, archive: Archive, wait_for: Iterable[int], listener: JobListener | None = None,
              poll_s: float = 0.5) -> list[Job]:
        """Work in this process until the given jobs have finished, then return them.

        Takes messages from the queue in order (so it helps with other work queued
        before its own); a job another worker holds is waited for.
        """
        wait_for = list(wait_for)
        pending = set(wait_for)
        while pending:
            task = self.huey.dequeue()
            if task is not None:
                _logged(lambda: self._run(task, archive, listener))  # its job says it failed; on to the next
            else:
                for job_id in sorted(pending):
                    job = _logged(lambda: self._process(job_id, archive, listener)) or archive.job(job_id)
                    if job.state == "running" and listener:
                        listener(job, Progress(job.stage or job.state, job.progress, job.message))
                if any(archive.job(j).state == "running" for j in pending):
                    time.sleep(poll_s)
            pending = {j for j in pending if archive.job(j).state in ("queued", "running")}
        return [archive.job(j) for j in wait_for]

    def run_until(self, stop: threading.Event, poll_s: float = 0.5, recover_every_s: float = 60) -> None:
        """A worker loop for a thread inside another program (the web server)."""
        with Archive(self.settings.database) as archive:
            # each step on its own: a step that fails (the archive locked past its timeout
            # by another process) is logged, and the worker goes on; a thread that ended
            # left the server taking uploads that nothing would process
            _logged(lambda: sweep_tombstones(archive, self.settings.media_dir))  # an erasure cut short by a crash
            _logged(lambda: self.recover(archive))
            # vectors missing since before this worker made them for its stories, or cut
            # short by a stop: made after the jobs waiting (nothing to do costs one query,
            # about half a second at a million segments); the words index likewise merged
            _logged(self.index_meaning)
            _logged(self._merge_words)
            last_recovery = time.monotonic()
            while not stop.is_set():
                task = _logged(self.huey.dequeue)
                if task is not None:
                    _logged(lambda: self._run(task, archive, None))
                    continue
                stop.wait(poll_s)
                if time.monotonic() - last_recovery > recover_every_s:
                    _logged(lambda: self._every_minute(archive))
                    last_recovery = time.monotonic()

    def _every_minute(self, archive: Archive) -> None:
        """A worker's round, in `storyatlas worker` (a periodic task) and in the server's:
        a worker that died while others run is noticed within a minute, not at the next
        start; and what edits wrote to the words index is merged (FTS5 leaves it to us)."""
        self.recover(archive, include_queued=False)
        word_index.merge(archive.conn)

    def _run(self, task, archive: Archive, listener: JobListener | None) -> None:
        if task.name == "process_story":
            self._process(task.args[0], archive, listener)
        else:
            self.huey.execute(task)

    def _process(self, job_id: int, archive: Archive, listener: JobListener | None) -> Job:
        """What the ``process_story`` task does, with this archive and listener: its
        vectors too, or a story processed here (the server's worker, ``drain``) was never
        found by meaning."""
        job = process_job(self.settings, job_id, listener, archive)
        if job.state == "done":
            self._index_meaning.call_local()
            self._merge_words.call_local()
        return job


def _logged(step: Callable[[], T]) -> T | None:
    """The step's result, or None once what it raised is logged: a worker goes on."""
    try:
        return step()
    except Exception:
        log.exception("a worker's step failed; it goes on")
        return None


def _sqlite_huey(path: Path) -> SqliteHuey:
    """The queue's file; a damaged one is moved aside for a new one. It holds only job
    numbers (the archive's jobs table is the truth), and a worker's start queues again
    every job not done."""
    try:
        return SqliteHuey(name="storyatlas", filename=str(path), results=False)
    except sqlite3.DatabaseError as e:
        if not _damaged(e):
            # a full or read-only disk, a file it may not write: the file may be sound, its jobs waiting
            raise StoryAtlasError(_cannot_open_queue(path, e)) from None
        _move_aside(path, e)
    try:
        return SqliteHuey(name="storyatlas", filename=str(path), results=False)
    except sqlite3.DatabaseError as e:
        raise StoryAtlasError(_cannot_open_queue(path, e)) from None


# SQLite's own words where a Python without sqlite_errorname (or a wrapper) leaves only them
_DAMAGED_WORDS = ("file is not a database", "database disk image is malformed")


def _damaged(e: sqlite3.DatabaseError) -> bool:
    """Whether the file is no database, or a damaged one: only then is it moved aside."""
    name = getattr(e, "sqlite_errorname", None) or ""
    return name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")) or any(w in str(e) for w in _DAMAGED_WORDS)


def _cannot_open_queue(path: Path, e: sqlite3.DatabaseError) -> str:
    return said("cannot open the queue's file {path} ({detail}): check that this user may read and write it and "
                "its folder, on a disk with room", path=str(path), detail=str(e))


def _aside_suffix() -> str:
    return f".damaged-{int(time.time())}"


def _move_aside(path: Path, e: sqlite3.DatabaseError) -> None:
    aside = _aside_suffix()
    # its write-ahead log first: one left behind would be read into the new file as if its own
    for part in (path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm"), path):
        try:
            if part.exists():
                part.rename(part.with_name(part.name + aside))
        except OSError as moving:
            raise StoryAtlasError(said(
                "the queue's file {path} is damaged ({detail}) and cannot be moved aside ({moving}): move or remove "
                "it (it holds only job numbers; a worker's start queues again every job not done), or check that "
                "this user may write its folder", path=str(path), detail=str(e),
                moving=moving.strerror or str(moving))) from None
    log.warning("the queue's file %s is damaged (%s): moved to %s%s, a new one made", path, e, path, aside)
