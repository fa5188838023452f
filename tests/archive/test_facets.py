"""Facets counted from the arrays held in memory (storyatlas/archive/facets.py): as reading
each story would count them, and kept so through every kind of change by reading only the
changed stories again (the log of migration 0018)."""

import json
from collections import Counter

import numpy as np
import pytest

from storyatlas.archive import facets
from storyatlas.archive.erasure import erase
from storyatlas.archive.facets import facet_counts
from storyatlas.search import FACETS
from tests.conftest import add_story


def _facets_read_story_by_story(archive, ids):
    """The facets as a reader would count them, one story at a time: the most common
    values first, then by value; a story under every language spoken in it."""
    counts = {name: Counter() for name in FACETS}
    for story in ids:
        row = archive.conn.execute(
            """SELECT coalesce(languages, json_array(language)), country, region, community, collection,
                      substr(recorded_on, 1, 4), review_state FROM stories WHERE id = ?""", (story,)).fetchone()
        if row is None:
            continue
        counts["language"].update(v for v in dict.fromkeys(json.loads(row[0])) if v)
        for name, value in zip(("country", "region", "community", "collection", "year", "review_state"), row[1:]):
            if value:
                counts[name][value] += 1
        counts["theme"].update(r[0] for r in archive.conn.execute(
            "SELECT theme_id FROM story_themes WHERE story_id = ?", (story,)))
    return {name: sorted(c.items(), key=lambda v: (-v[1], v[0]))[:20] for name, c in counts.items()}


@pytest.fixture
def stories(archive):
    once = add_story(archive, "Once", "en", [(0.0, 2.0, "The flood came.")])
    often = add_story(archive, "Often", "en", [(0.0, 2.0, "A flood, then another flood.")],
                      community="Linz", country="AT", collection="Floods")
    german = add_story(archive, "Keller", "de", [(0.0, 2.0, "Das Hochwasser kam in den Keller.",
                                                  "The flood came into the cellar.")])
    return {"once": once, "often": often, "german": german}


@pytest.fixture
def reads(monkeypatch):
    """How many times every story's values were read."""
    count = []
    read = facets._Table.read.__func__

    def counted(cls, archive, seq):
        count.append(seq)
        return read(cls, archive, seq)
    monkeypatch.setattr(facets._Table, "read", classmethod(counted))
    facets._tables.clear()
    return count


def _all(archive) -> list[int]:
    return [r[0] for r in archive.conn.execute("SELECT id FROM stories")] + [999]


@pytest.mark.parametrize("few", [500, 0], ids=["from each story's values", "over every story"])
def test_facets_from_arrays_count_as_reading_each_story_does(archive, stories, monkeypatch, few):
    monkeypatch.setattr(facets, "_FEW", few)
    add_story(archive, "Two tongues", "pl", [(0.0, 2.0, "Powódź.", "The flood."), (2.0, 4.0, "Flood!", None, "en")],
              community="Zgorzelec", country="PL")
    archive.conn.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, 'floods', 0.9)",
                         (stories["often"],))
    ids = [r[0] for r in archive.conn.execute("SELECT id FROM stories")]
    by_sql = _facets_read_story_by_story(archive, ids)
    by_arrays = facet_counts(archive, np.array(ids), FACETS)
    assert by_arrays == by_sql
    assert dict(by_arrays["language"]) == {"en": 3, "de": 1, "pl": 1}
    assert facet_counts(archive, np.array([stories["german"], 999]), ["language"]) == {"language": [("de", 1)]}
    # a story given twice (a words hit and a meaning hit) counts once
    assert facet_counts(archive, np.array([stories["german"]] * 3), ["language"]) == {"language": [("de", 1)]}
    # the most common values only, as many as asked
    assert facet_counts(archive, np.array(ids), ["language"], limit=2) == {"language": [("en", 3), ("de", 1)]}


@pytest.mark.parametrize("few", [500, 0], ids=["from each story's values", "over every story"])
def test_every_change_is_followed_without_reading_every_story(archive, settings, stories, reads, monkeypatch, few):
    monkeypatch.setattr(facets, "_FEW", few)
    facet_counts(archive, np.array(_all(archive)), FACETS)
    assert len(reads) == 1
    c = archive.conn
    changes = [
        lambda: add_story(archive, "New", "pl", [(0.0, 2.0, "Powódź.", "The flood.")], community="Zgorzelec",
                          country="PL", recorded_on="1997-07"),
        lambda: c.execute("""UPDATE stories SET country = 'FR', region = 'Alsace', community = 'Strasbourg',
                             collection = 'Rivers', recorded_on = '1983', review_state = 'reviewed'
                             WHERE id = ?""", (stories["once"],)),
        lambda: c.execute("""UPDATE stories SET languages = '["de", "pl"]' WHERE id = ?""", (stories["german"],)),
        lambda: c.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, 'floods', 0.9), "
                          "(?, 'family', 0.5)", (stories["often"], stories["german"])),
        lambda: c.execute("UPDATE story_themes SET theme_id = 'work' WHERE story_id = ?", (stories["german"],)),
        lambda: c.execute("DELETE FROM story_themes WHERE story_id = ? AND theme_id = 'floods'", (stories["often"],)),
        lambda: erase(archive, settings.media_dir, stories["often"], "cli:test", "withdrawn"),
    ]
    for change in changes:
        before = facet_counts(archive, np.array(_all(archive)), FACETS)
        change()
        after = facet_counts(archive, np.array(_all(archive)), FACETS)
        assert after == _facets_read_story_by_story(archive, _all(archive)) and after != before
    assert len(reads) == 1, "every story's values were read again after a change"
    facets._tables.clear()
    assert facet_counts(archive, np.array(_all(archive)), FACETS) == after  # as a full read gives


def test_a_change_no_facet_shows_is_not_logged(archive, stories):
    def last():
        return archive.conn.execute("SELECT max(seq) FROM story_changes").fetchone()[0]
    before = last()
    archive.conn.execute("UPDATE stories SET title = 'Renamed', description = 'x' WHERE id = ?", (stories["once"],))
    assert last() == before


def test_a_process_behind_the_pruned_log_reads_every_story_again(archive, stories, reads):
    facet_counts(archive, np.array(_all(archive)), FACETS)
    c = archive.conn
    # 11,000 changes to one story's community (the log keeps the last 10,000)
    c.execute("""WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 11000)
                 INSERT INTO story_changes (story_id) SELECT ? FROM n""", (stories["once"],))
    c.execute("UPDATE stories SET community = 'Porto' WHERE id = ?", (stories["once"],))
    assert c.execute("SELECT count(*) FROM story_changes").fetchone()[0] <= 11_000
    assert facet_counts(archive, np.array(_all(archive)), ["community"]) == {"community": [("Linz", 1), ("Porto", 1)]}
    assert len(reads) == 2


def test_a_server_reads_every_storys_values_as_it_starts(archive, settings, stories, reads):
    import time

    from starlette.testclient import TestClient

    from storyatlas.web.app import create_app

    with TestClient(create_app(settings)):
        deadline = time.monotonic() + 60
        while not reads and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(reads) == 1  # no search asked
        facet_counts(archive, np.array(_all(archive)), FACETS)
        assert len(reads) == 1


def test_an_empty_value_is_no_facet_value(archive, stories):
    archive.conn.execute("UPDATE stories SET collection = '', country = '' WHERE id = ?", (stories["often"],))
    found = facet_counts(archive, np.array(_all(archive)), ["collection", "country"])
    assert found == {"collection": [], "country": []}


def test_an_archive_put_back_from_a_backup_is_counted_as_it_is_now(archive, stories, tmp_path):
    import sqlite3

    backup = sqlite3.connect(tmp_path / "backup.db")
    archive.conn.backup(backup)
    before = facet_counts(archive, np.array(_all(archive)), ["community"])
    archive.conn.execute("UPDATE stories SET community = 'Porto' WHERE id = ?", (stories["once"],))
    assert facet_counts(archive, np.array(_all(archive)), ["community"]) != before
    backup.backup(archive.conn)  # the copy put back: its log of changes ends before what is held
    assert facet_counts(archive, np.array(_all(archive)), ["community"]) == before


def test_what_a_transaction_rolled_back_counted_is_not_kept(archive, stories):
    ids = np.array(_all(archive))
    facet_counts(archive, ids, FACETS)
    with pytest.raises(RuntimeError), archive.transaction() as c:
        c.execute("UPDATE stories SET community = 'Porto' WHERE id = ?", (stories["once"],))
        assert dict(facet_counts(archive, ids, ["community"], keep=False)["community"])["Porto"] == 1
        raise RuntimeError("rolled back")
    # the next change takes the number the rolled-back one had in the log
    archive.conn.execute("UPDATE stories SET community = 'Graz' WHERE id = ?", (stories["often"],))
    assert facet_counts(archive, ids, FACETS) == _facets_read_story_by_story(archive, _all(archive))
