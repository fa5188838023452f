"""A meaning round runs in one worker at a time (storyatlas/jobs/exclusive.py): two
processes' workers on one archive would encode the same segments twice."""

import socket
import subprocess
import sys
import time

from storyatlas import meaning
from storyatlas.archive import vectors as meaning_rows
from storyatlas.archive.jobs import LEASE_S, worker_id
from storyatlas.jobs import Queue
from tests.conftest import add_story

LOCK = "index_meaning.lock"


def _two_lines(archive) -> None:
    add_story(archive, "One", "en", [(0.0, 2.0, "The flood came."), (2.0, 4.0, "We left the house.")])


def test_a_round_asked_for_while_another_runs_follows_it(archive, settings, monkeypatch):
    first, second = Queue(settings), Queue(settings)  # two server processes' workers
    _two_lines(archive)
    real, asked = meaning.index, []

    def index(archive, progress=None, limit=None):
        if not asked:  # the second worker's story is done meanwhile
            asked.append(None)
            asked[0] = second._index_meaning.call_local()
        return real(archive, progress, limit)

    monkeypatch.setattr(meaning, "index", index)
    assert first._index_meaning.call_local() == 2
    assert asked == [0]  # it encoded nothing: the first was at it
    assert meaning_rows.counts(archive, meaning.model()) == (2, 2)
    # what it asked for is queued when the first ends, and done by whoever takes it
    assert first.huey.pending_count() == 1
    assert first.huey.execute(first.huey.dequeue()) == 0
    assert first.huey.pending_count() == 0


def test_a_lock_held_by_a_live_worker_is_left_and_a_dead_ones_taken_over(archive, settings, monkeypatch):
    queue = Queue(settings)
    _two_lines(archive)
    real, holders = meaning.index, []

    def index(archive, progress=None, limit=None):
        holders.append(queue.huey.get(LOCK, peek=True))
        return real(archive, progress, limit)

    monkeypatch.setattr(meaning, "index", index)
    queue.huey.put_if_empty(LOCK, f"{worker_id()} {time.time()}")
    assert queue._index_meaning.call_local() == 0
    assert meaning_rows.counts(archive, meaning.model()) == (0, 2)

    queue.huey.delete(LOCK)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    queue.huey.put_if_empty(LOCK, f"{socket.gethostname()}:{int(gone.stdout)} {time.time()}")
    assert queue._index_meaning.call_local() == 2
    assert holders[-1].startswith(f"{worker_id()} ")  # taken over: held by this worker while it works

    # a holder not heard of for longer than a job's lease is taken over too (another machine's)
    archive.conn.execute("DELETE FROM segment_vectors")
    queue.huey.put_if_empty(LOCK, f"elsewhere:1 {time.time() - LEASE_S - 1}")
    assert queue._index_meaning.call_local() == 2
    assert queue.huey.get(LOCK, peek=True) is None  # let go after the round


def test_reindex_leaves_the_vectors_to_the_worker_making_them(archive, settings, monkeypatch):
    from click.testing import CliRunner

    from storyatlas.cli import cli

    monkeypatch.setenv("STORYATLAS_ARCHIVE", str(settings.archive))
    queue = Queue(settings)
    _two_lines(archive)
    queue.huey.put_if_empty(LOCK, f"{worker_id()} {time.time()}")  # a server's worker, at it
    out = CliRunner().invoke(cli, ["reindex"], catch_exceptions=False).output
    assert "a worker is making them" in out
    assert meaning_rows.counts(archive, meaning.model()) == (0, 2)
    assert queue.huey.get("index_meaning.asked", peek=True)  # so it makes a round for these when done

    queue.huey.delete(LOCK)
    out = CliRunner().invoke(cli, ["reindex"], catch_exceptions=False).output
    assert "made 2 meaning vectors" in out
    assert meaning_rows.counts(archive, meaning.model()) == (2, 2)
    assert queue.huey.get(LOCK, peek=True) is None


def test_the_vectors_made_here_report_their_progress_and_hold_the_lock_round_by_round(
        archive, settings, monkeypatch):
    import storyatlas.jobs

    _two_lines(archive)
    add_story(archive, "Two", "en", [(0.0, 2.0, "The river rose."), (2.0, 4.0, "We came back.")])
    queue = Queue(settings)
    monkeypatch.setattr(meaning, "BATCH", 1)
    monkeypatch.setattr(storyatlas.jobs, "MEANING_ROUND", 2)
    real, locks = meaning.index, []

    def index(archive, progress=None, limit=None):
        locks.append(queue.huey.get(LOCK, peek=True))
        time.sleep(0.01)
        return real(archive, progress, limit)

    monkeypatch.setattr(meaning, "index", index)
    seen = []
    assert queue.index_meaning_here(archive, lambda done, total: seen.append((done, total))) == 4
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    # taken anew for each round: a lock older than a job's lease would be taken over
    assert len(locks) == 3 and len(set(locks)) == 3 and None not in locks
    assert queue.huey.get(LOCK, peek=True) is None
