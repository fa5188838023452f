"""A long read of the words index in parts read at once (storyatlas/search/parts.py):
the same moments as one read, and never moments of an archive state the searcher's
transaction does not see."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from storyatlas.archive import Archive, Viewer, word_index
from storyatlas.search import SearchQuery, parts, ranked
from storyatlas.search.fts import FTSBackend
from tests.conftest import add_story

PHRASE = '("en_the en_flood")'
ROOT = Path(__file__).resolve().parents[2]


def _state(archive):
    return archive.identity(), archive.generation()


@pytest.fixture
def split(monkeypatch):
    """Every read split, however small the archive; returns how many parts other threads read."""
    monkeypatch.setattr(parts, "SPLIT_FROM", 0)
    read = []
    elsewhere = parts._read_elsewhere

    def counted(*args):
        found = elsewhere(*args)
        read.append(found is not None)
        return found

    monkeypatch.setattr(parts, "_read_elsewhere", counted)
    return read


@pytest.fixture
def stories(archive):
    ids = []
    for i in range(9):
        said = [(0.0, 2.0, "The flood came at night."), (2.0, 4.0, "We slept."),
                (4.0, 6.0, "After the flood, the mud." if i % 2 else "A flood without the article.")]
        ids.append(add_story(archive, f"Story {i}", "en", said[: 1 + i % 3]))
    return ids


def test_a_read_in_parts_finds_the_moments_one_read_finds(archive, stories, split):
    c = archive.conn
    whole = ranked.rowids(c, PHRASE, "segment_terms")
    assert len(whole) >= 9
    for n in (2, 3, 4):
        c.execute("BEGIN")
        try:
            found = parts.rowids(c, str(archive.path), _state(archive), PHRASE, parts=n)
        finally:
            c.execute("COMMIT")
        assert found.tolist() == whole.tolist()
    assert any(split), "no part was read by another thread"


def test_a_read_in_parts_of_an_empty_index_finds_nothing(archive, split):
    c = archive.conn
    c.execute("BEGIN")
    try:
        assert parts.rowids(c, str(archive.path), _state(archive), PHRASE, parts=2).tolist() == []
    finally:
        c.execute("COMMIT")


def test_the_parts_read_elsewhere_hold_no_transaction_open_after(archive, stories, split):
    # a read transaction left open would keep the archive's write-ahead log from ever
    # being checkpointed into the file
    c = archive.conn
    for _ in range(3):  # the connection the reading thread keeps is used again
        c.execute("BEGIN")
        try:
            parts.rowids(c, str(archive.path), _state(archive), PHRASE, parts=2)
        finally:
            c.execute("COMMIT")
    assert split == [True] * 3
    busy, _, _ = archive.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0


def test_a_phrase_search_in_parts_ranks_as_one_read_does(archive, stories, monkeypatch):
    query = SearchQuery('"the flood"', Viewer.keeper(), meaning=False)
    monkeypatch.setattr(parts, "SPLIT_FROM", 10**9)
    one = FTSBackend(archive).search(query)
    monkeypatch.setattr(parts, "SPLIT_FROM", 0)
    monkeypatch.setattr(parts, "available_cores", lambda: 3)
    read = []
    monkeypatch.setattr(parts, "_read_elsewhere", lambda *a, _read=parts._read_elsewhere: read.append(a) or _read(*a))
    split = FTSBackend(archive).search(query)
    assert len(read) == 2  # two of three parts read by other threads
    assert [(h.story_id, [m.segment_id for m in h.moments]) for h in split.stories] == \
           [(h.story_id, [m.segment_id for m in h.moments]) for h in one.stories]
    assert split.total_stories == one.total_stories == 9


def test_a_search_read_in_parts_shows_no_story_the_viewer_may_not_see(archive, stories, split):
    hidden = add_story(archive, "Hidden", "en", [(0.0, 2.0, "Only the flood knows.")], visibility="private")
    keeper, anonymous = (FTSBackend(archive).search(SearchQuery('"the flood"', viewer, meaning=False))
                         for viewer in (Viewer.keeper(), Viewer()))
    assert any(split)  # the private story's range was read by another thread
    assert hidden in [h.story_id for h in keeper.stories]
    assert hidden not in [h.story_id for h in anonymous.stories]
    assert anonymous.total_stories == keeper.total_stories - 1 == 9


def test_a_part_from_a_state_the_searcher_does_not_see_is_read_again_on_its_connection(archive, settings,
                                                                                        stories, split):
    c = archive.conn
    c.execute("BEGIN")
    try:
        state = _state(archive)
        seen = ranked.rowids(c, PHRASE, "segment_terms")
        with Archive(settings.database) as other:  # a story saved while the search reads
            later = add_story(other, "Later", "en", [(0.0, 2.0, "Then the flood again.")])
        found = parts.rowids(c, str(archive.path), state, PHRASE, parts=2)
    finally:
        c.execute("COMMIT")
    assert split == [False]  # the other thread saw the new state and gave its part back
    assert found.tolist() == seen.tolist() and later not in (found >> 32).tolist()


def test_a_part_is_never_taken_from_another_archive(archive, stories, split):
    c = archive.conn
    c.execute("BEGIN")
    try:
        found = parts.rowids(c, str(archive.path), ("another archive", archive.generation()), PHRASE, parts=2)
    finally:
        c.execute("COMMIT")
    assert split == [False] and found.tolist() == ranked.rowids(c, PHRASE, "segment_terms").tolist()


def test_inside_a_callers_transaction_every_part_is_read_on_its_connection(archive, stories, split):
    last = stories[-1]
    query = SearchQuery('"the flood"', Viewer.keeper(), meaning=False)
    before = {h.story_id: len(h.moments) for h in FTSBackend(archive).search(query).stories}
    split.clear()
    with archive.transaction() as c:  # what it writes, only its own connection sees
        transcript = c.execute("SELECT id FROM transcripts WHERE story_id = ?", (last,)).fetchone()[0]
        word_index.insert_segments(c, [(last, transcript, 10, 20.0, 22.0, "And the flood once more.", None,
                                        None, None, "en", 0)])
        during = {h.story_id: len(h.moments) for h in FTSBackend(archive).search(query).stories}
    assert split == []
    assert during[last] == before[last] + 1


_FORKED = """
import os, sys
from pathlib import Path
from storyatlas.archive import Archive
from storyatlas.search import parts

parts.SPLIT_FROM = 0


def read():
    with Archive(Path(sys.argv[1])) as archive:
        archive.conn.execute("BEGIN")
        state = (archive.identity(), archive.generation())
        return len(parts.rowids(archive.conn, str(archive.path), state, sys.argv[2], parts=2))


read()  # the pool's thread starts
child = os.fork()
if child == 0:  # the same read, in a process that has none of its parent's threads
    os._exit(0 if read() >= 9 else 1)
sys.exit(os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this system")
def test_a_process_forked_after_a_search_still_reads_in_parts(archive, stories):
    # in a process of its own: one with pytest's other threads may be forked holding a lock
    started = subprocess.Popen([sys.executable, "-c", _FORKED, str(archive.path), PHRASE], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _, errors = started.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(started.pid, signal.SIGKILL)  # the forked child too
        started.communicate()
        pytest.fail("the forked process never read its parts")
    assert started.returncode == 0, errors
