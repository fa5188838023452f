"""The vectors a search process holds follow the archive by reading what changed, not
every vector again (storyatlas/meaning/memory.py): the same hits as a full read, a
redacted or erased passage never found again, and too many changes read again in the
background."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from storyatlas import meaning
from storyatlas.archive import Viewer, corrections
from storyatlas.archive import vectors as rows
from storyatlas.archive.erasure import erase
from storyatlas.archive.redaction import plan_redaction, record_redaction
from storyatlas.meaning import lists, memory
from tests.conftest import add_story

KEEPER = Viewer.keeper("cli:test")
FLOOD_DE = [(0.0, 4.0, "Nach 1963 baute man den Damm, und die Überschwemmungen jedes Frühjahr hörten auf."),
            (4.0, 8.0, "Meine Mutter arbeitete in der Bäckerei am Markt.")]
BREAD_EN = [(0.0, 4.0, "My grandmother baked bread every Sunday."), (4.0, 8.0, "We sold it at the market.")]
FLOOD_PL = [(0.0, 4.0, "Powódź zniszczyła naszą piwnicę i cały ogród."),
            (4.0, 8.0, "Chodziliśmy do szkoły autobusem każdego ranka.")]


@pytest.fixture
def reads(monkeypatch):
    """How many times every vector was read."""
    real, count = rows.all_vectors, [0]

    def all_vectors(*args, **kwargs):
        count[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(rows, "all_vectors", all_vectors)
    meaning._memory.forget()
    yield count
    meaning._memory.wait()
    meaning._memory.forget()


@pytest.fixture(params=["exactly", "by lists"])
def held(request, monkeypatch):
    """Vectors held as one matrix, or cut into lists (every list probed: the same hits)."""
    if request.param == "by lists":
        monkeypatch.setattr(lists, "EXACT_UP_TO", 0)
        monkeypatch.setattr(lists, "PROBES", 64)
    return request.param


def _hits(archive, query):
    return [(h.segment_id, round(h.score, 5)) for h in meaning.nearest(archive, query, KEEPER, min_score=-9)]


def _fully_read(archive, query):
    meaning._memory.forget()
    return _hits(archive, query)


@pytest.mark.slow
def test_a_new_story_a_correction_a_redaction_and_an_erasure_are_read_without_every_vector(archive, reads, held):
    de = add_story(archive, "Damm", "de", FLOOD_DE)
    add_story(archive, "Bread", "en", BREAD_EN)
    meaning.index(archive)
    assert _hits(archive, "flood") and reads[0] == 1

    pl = add_story(archive, "Powódź", "pl", FLOOD_PL)
    meaning.index(archive)
    found = _hits(archive, "flood")
    assert reads[0] == 1  # the new story's vectors only
    texts = {s.id: s.text for story in archive.stories(KEEPER) for s in archive.segments(story.id, KEEPER)}
    assert texts[found[0][0]] in (FLOOD_DE[0][2], FLOOD_PL[0][2])
    assert found == _fully_read(archive, "flood") and reads[0] == 2

    bread = archive.segments(de, KEEPER)[1]
    corrections.set_text(archive, de, bread.id, "Our street was under water for a week.", KEEPER, base=None)
    meaning.index(archive)
    assert _hits(archive, "under water")[0][0] == bread.id and reads[0] == 2
    assert _hits(archive, "flood") == _fully_read(archive, "flood") and reads[0] == 3

    # both before any vector is made again: the held ones of those lines must not be found
    cut = archive.segments(de, KEEPER)[0].id
    withdrawn = {s.id for s in archive.segments(pl, KEEPER)}
    assert {cut} | withdrawn <= {i for i, _ in _hits(archive, "flood")}
    record_redaction(archive, plan_redaction(archive, de, 0.0, 4.0), {}, "cli:test")
    erase(archive, archive.path.parent / "media", pl, "cli:test", "withdrawn")
    left = _hits(archive, "flood")
    assert reads[0] == 3
    assert not ({cut} | withdrawn) & {i for i, _ in left}
    held = meaning._memory.blocks(archive, meaning.searched())[0]
    assert not held.matrix[np.isin(held.ids, list({cut} | withdrawn))].any()  # gone from memory too
    assert left == _fully_read(archive, "flood")


@pytest.mark.slow
def test_a_line_made_again_after_the_vectors_were_read_hides_no_other(archive, reads, held):
    de = add_story(archive, "Damm", "de", FLOOD_DE)
    add_story(archive, "Bread", "en", BREAD_EN)
    meaning.index(archive)
    first = archive.segments(de, KEEPER)[0]
    corrections.set_text(archive, de, first.id, "Our street was under water for a week.", KEEPER, base=None)
    _hits(archive, "bakery")  # every vector read, the corrected line without one
    meaning.index(archive)  # a change of a line the held vectors do not have, its id before theirs
    answered = _hits(archive, "bakery")
    assert reads[0] == 1 and len(answered) == 4
    assert answered == _fully_read(archive, "bakery")


def _four_changed_since_read(archive) -> None:
    """One story's vectors read into memory, then two more stories' four written."""
    add_story(archive, "Damm", "de", FLOOD_DE)
    meaning.index(archive)
    _hits(archive, "flood")
    add_story(archive, "Bread", "en", BREAD_EN)
    add_story(archive, "Powódź", "pl", FLOOD_PL)
    meaning.index(archive)


@pytest.mark.slow
def test_too_many_changes_are_read_again_in_the_background(archive, reads, monkeypatch):
    monkeypatch.setattr(memory, "REBUILD_AFTER", 2)
    _four_changed_since_read(archive)
    answered = _hits(archive, "flood")  # at once, from what is held and the four changed
    meaning._memory.wait()
    assert reads[0] == 2
    assert len(meaning._memory.blocks(archive, meaning.searched())) == 1  # all of them held again
    assert _hits(archive, "flood") == answered == _fully_read(archive, "flood")


def test_a_change_written_while_every_vector_is_read_is_read_after(archive, reads, monkeypatch):
    add_story(archive, "Bread", "en", BREAD_EN)
    meaning.index(archive)
    counted, meanwhile = rows.all_vectors, []

    def all_vectors(*args, **kwargs):
        read = counted(*args, **kwargs)
        if not meanwhile:  # the worker writes a story's vectors just after they were read
            meanwhile.append(add_story(archive, "Powódź", "pl", FLOOD_PL))
            meaning.index(archive)
        return read

    monkeypatch.setattr(rows, "all_vectors", all_vectors)
    _hits(archive, "flood")
    found = meaning.nearest(archive, "flood", KEEPER, min_score=-9)
    assert meanwhile[0] in {h.story_id for h in found} and reads[0] == 1


@pytest.mark.slow
def test_every_vector_is_read_again_by_one_thread_at_a_time(archive, reads, monkeypatch):
    _four_changed_since_read(archive)
    monkeypatch.setattr(memory, "REBUILD_AFTER", 4)
    _hits(archive, "flood")  # four changed: as many as are searched beside the held ones
    meaning._memory.wait()
    assert reads[0] == 1

    counted, release = rows.all_vectors, threading.Event()

    def slow(*args, **kwargs):
        if threading.current_thread().name == "meaning-vectors":
            release.wait(30)
        return counted(*args, **kwargs)

    monkeypatch.setattr(rows, "all_vectors", slow)
    for title in ("Again", "Once more"):  # each search finds more than four changed
        add_story(archive, title, "en", BREAD_EN)
        meaning.index(archive)
        _hits(archive, "flood")
    release.set()
    for thread in threading.enumerate():
        if thread.name == "meaning-vectors":
            thread.join()
    assert reads[0] == 2
    assert _hits(archive, "flood") == _fully_read(archive, "flood")


@pytest.mark.slow
def test_a_process_behind_what_the_log_still_holds_reads_every_vector_again(archive, reads):
    add_story(archive, "Damm", "de", FLOOD_DE)
    meaning.index(archive)
    _hits(archive, "flood")
    add_story(archive, "Powódź", "pl", FLOOD_PL)
    meaning.index(archive)
    with archive.transaction() as c:
        rows.prune_changes(c, keep=0)
    found = _hits(archive, "flood")
    assert reads[0] == 2
    assert {archive.segments(s.id, KEEPER)[0].id for s in archive.stories(KEEPER)} <= {i for i, _ in found}


def test_making_vectors_keeps_the_log_of_changes_to_its_length(archive):
    add_story(archive, "Damm", "de", FLOOD_DE)
    # the log as years of changes leave it
    archive.conn.execute("""WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                            INSERT INTO vector_changes (segment_id) SELECT 0 FROM n""", (rows.KEEP_CHANGES,))
    assert meaning.index(archive) == 2
    assert archive.conn.execute("SELECT count(*) FROM vector_changes").fetchone()[0] == rows.KEEP_CHANGES
    assert tuple(rows.changes_at(archive)) == (rows.KEEP_CHANGES + 2, 2)  # the last change, the last pruned


def test_a_server_reads_the_vectors_as_it_starts(archive, settings, reads):
    import time

    from starlette.testclient import TestClient

    from storyatlas.web.app import create_app

    add_story(archive, "Damm", "de", FLOOD_DE)
    meaning.index(archive)
    with TestClient(create_app(settings)):
        deadline = time.monotonic() + 60
        while reads[0] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert reads[0] == 1  # no search asked
        assert _hits(archive, "flood") and reads[0] == 1


@pytest.mark.slow
def test_segments_that_take_an_erased_storys_ids_are_found_as_themselves(archive, reads):
    add_story(archive, "Bread", "en", BREAD_EN)
    pl = add_story(archive, "Powódź", "pl", FLOOD_PL)
    meaning.index(archive)
    assert _hits(archive, "flood")
    erased = {s.id for s in archive.segments(pl, KEEPER)}
    erase(archive, archive.path.parent / "media", pl, "cli:test", "withdrawn")
    # numbers are not given twice (ids_given), unless the archive was restored over one it could not read
    archive.conn.execute("UPDATE ids_given SET last = 0")
    again = add_story(archive, "Damm", "de", FLOOD_DE)
    assert erased == {s.id for s in archive.segments(again, KEEPER)}  # the highest ids, taken again
    meaning.index(archive)
    found = meaning.nearest(archive, "flood", KEEPER, min_score=-9)
    assert reads[0] == 1
    assert {h.segment_id: h.story_id for h in found if h.segment_id in erased} == dict.fromkeys(erased, again)
    assert [(h.segment_id, round(h.score, 5)) for h in found] == _fully_read(archive, "flood")


def test_a_storys_passages_are_each_compared_with_a_share_of_the_lists():
    rng = np.random.default_rng(3)
    matrix = rng.standard_normal((2000, 16)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    order, found = lists.build(matrix)
    block = memory.Block(np.arange(2000)[order], np.zeros(2000, np.int64), matrix[order], np.zeros(2000), found)
    assert len(found.centroids) == 44
    every = np.ones(1, bool)  # the one story, allowed
    for share, each in ((0.05, 2), (0.2, 9)):
        probed = block.seen(matrix[:3], every, share)
        assert [sum(q in who for _, who in probed) for q in range(3)] == [each] * 3, share
    # compared with every list, each passage is compared with every row once
    [(at, who)] = block.seen(matrix[:3], every, 1.0)
    assert at.tolist() == list(range(2000)) and who.tolist() == [0, 1, 2]
    exact = memory.Block(np.arange(2000), np.zeros(2000, np.int64), matrix, np.zeros(2000))
    assert [(at, who.tolist()) for at, who in exact.seen(matrix[:3], every, 0.05)] == [(slice(0, 2000), [0, 1, 2])]
