"""The words index's story rows (storyatlas/archive/word_index.py) and what reads them:
rows made in the writer's transaction, stories that say a word most ranked first,
bare-SQL writes still found."""

import sqlite3

import pytest

from storyatlas.archive import Archive, Viewer, db, index_points, word_index
from storyatlas.archive.erasure import erase, scrub
from storyatlas.archive.records import IndexPoint
from storyatlas.errors import SearchError
from storyatlas.search import SearchQuery
from storyatlas.search.fts import FTSBackend
from tests.conftest import add_story

KEEPER = Viewer.keeper()


def _row(archive, story: int) -> str | None:
    found = archive.conn.execute("SELECT terms FROM story_terms WHERE rowid = ?", (story,)).fetchone()
    return found[0] if found else None


def _ids(backend, text, viewer=KEEPER):
    return [h.story_id for h in backend.search(SearchQuery(text, viewer, meaning=False)).stories]


@pytest.fixture
def stories(archive):
    once = add_story(archive, "Once", "en", [(0.0, 2.0, "The flood came.")])
    often = add_story(archive, "Often", "en", [(0.0, 2.0, "A flood, then another flood."),
                                                (2.0, 4.0, "Every spring the flood, the floods."),
                                                (4.0, 6.0, "We lived by the river and its floods.")])
    german = add_story(archive, "Keller", "de", [(0.0, 2.0, "Das Hochwasser kam in den Keller.",
                                                  "The flood came into the cellar.")])
    return {"once": once, "often": often, "german": german}


def test_a_story_row_is_made_in_the_transaction_that_writes_its_segments(archive, stories):
    assert word_index.stale(archive.conn) == []
    row = _row(archive, stories["often"]).split()
    assert row.count("en_flood") == 1  # each term once; how often it is said is in the marks
    # marks for a term said at least 2 and 4 times, not 8
    assert {"en_flood__2", "en_flood__4"} <= set(row) and "en_flood__8" not in row
    # a mark from exactly as many times
    exactly = _row(archive, add_story(archive, "Dams", "en", [(0.0, 2.0, "Dam, dam, dam, dam; river, river.")]))
    assert {"en_dam__2", "en_dam__4", "en_river__2"} <= set(exactly.split()) and "en_river__4" not in exactly
    assert "de_kell" in _row(archive, stories["german"]).split() and "en_cellar" in _row(archive, stories["german"])


def test_the_stories_that_say_a_word_most_come_first(archive, stories):
    backend = FTSBackend(archive)
    assert _ids(backend, "floods") == [stories["often"], stories["once"], stories["german"]]
    # a page further down keeps the order
    second = backend.search(SearchQuery("flood", KEEPER, meaning=False, limit=1, offset=1))
    assert [h.story_id for h in second.stories] == [stories["once"]] and second.total_stories == 3


def test_a_story_written_with_bare_sql_is_found_by_its_moments_until_its_row_is_made(archive, stories):
    story = stories["once"]
    archive.conn.execute("UPDATE segments SET text = 'The dam broke.' WHERE story_id = ?", (story,))
    assert word_index.stale(archive.conn) == [story]
    backend = FTSBackend(archive)
    assert story in _ids(backend, "dam") and story not in _ids(backend, "flood")
    with archive.transaction():
        pass  # the next write transaction makes the row
    assert word_index.stale(archive.conn) == [] and "en_dam" in _row(archive, story).split()
    assert story in _ids(backend, "dam") and story not in _ids(backend, "flood")


def test_an_erased_story_leaves_no_row(archive, settings, stories):
    erase(archive, settings.media_dir, stories["often"], "cli:test", "withdrawn")
    assert _row(archive, stories["often"]) is None
    assert _ids(FTSBackend(archive), "flood") == [stories["once"], stories["german"]]


def test_the_rows_are_made_again_with_the_index(archive, stories):
    archive.conn.execute("DELETE FROM story_terms")
    assert _ids(FTSBackend(archive), "flood") == []
    FTSBackend(archive).rebuild()
    assert set(_ids(FTSBackend(archive), "flood")) == set(stories.values())
    # made whole: one b-tree a table (the three stories were written in three)
    assert [word_index.btrees(archive.conn, t) for t in word_index.TABLES] == [1, 1]


def test_the_index_is_made_again_story_by_story_telling_how_far_it_is(archive, stories, monkeypatch):
    rows = {story: _row(archive, story) for story in stories.values()}
    segments = archive.conn.execute("SELECT count(*) FROM segments").fetchone()[0]
    monkeypatch.setattr(word_index, "REBUILD_BATCH", 1)  # each story a batch of its own
    told = []
    assert FTSBackend(archive).rebuild(lambda done, total: told.append((done, total))) == segments
    assert len(told) == len(stories) and told[-1] == (segments, segments)
    assert [done for done, _ in told] == sorted({done for done, _ in told})
    assert {story: _row(archive, story) for story in stories.values()} == rows
    assert set(_ids(FTSBackend(archive), "flood")) == set(stories.values())


def test_a_line_in_another_language_is_indexed_in_its_own_when_the_index_is_made_again(archive):
    told = add_story(archive, "Dwa języki", "pl", [(0.0, 4.0, "Woda przyszła w nocy."),
                                                   (4.0, 8.0, "Wir standen in den Kellern.", None, "de")])
    assert _ids(FTSBackend(archive), "Keller") == [told]  # the German word's forms, in a Polish story
    FTSBackend(archive).rebuild()
    assert _ids(FTSBackend(archive), "Keller") == [told]


def test_segments_inserted_in_one_statement_keep_their_values_and_are_indexed(archive):
    story = add_story(archive, "Empty", "de", [])
    transcript = archive.conn.execute("SELECT id FROM transcripts WHERE story_id = ?", (story,)).fetchone()[0]
    rows = [(story, transcript, 0, 0.1, 2.345678901, "Das Wasser stand im Keller.", "The water was in the cellar.",
             -0.25, 0.01, "de", 0),
            (story, transcript, 1, 2.4, 5.0, "Wir pumpten.", None, None, None, "de", 1)]
    before = archive.generation()
    with archive.transaction() as c:
        ids = word_index.insert_segments(c, rows)
    assert archive.generation() > before  # once for the story's row: an answer kept before is not served
    assert sorted(ids) == [(story, 0), (story, 1)]
    for k, row in enumerate(rows):  # each id names its own segment, floats and NULLs exactly as given
        stored = archive.conn.execute(
            """SELECT story_id, transcript_id, idx, start, end, text, text_en, avg_logprob, no_speech_prob,
                      language, low_confidence FROM segments WHERE id = ?""", (ids[story, k],)).fetchone()
        assert tuple(stored) == row
    assert "de_kell" in _row(archive, story).split()  # the words index and the story's row, same transaction
    assert _ids(FTSBackend(archive), "Kellern") == [story]


def test_the_words_index_is_merged_into_one_btree_per_table(archive):
    """Each transaction adds a b-tree FTS5 merges only when there are many, and a word is
    looked up in each: past MERGE_ABOVE they are merged, and every search finds the same."""
    for i in range(word_index.MERGE_ABOVE + 2):
        add_story(archive, f"Story {i}", "en", [(0.0, 2.0, f"The flood came in {1950 + i}."),
                                                (2.0, 4.0, "We carried sandbags to the cellar.")])
    tables = word_index.TABLES
    assert [word_index.btrees(archive.conn, t) for t in tables] == [word_index.MERGE_ABOVE + 2] * 2
    backend = FTSBackend(archive)
    queries = ("flood", "cellar", '"the cellar"', "1953", "sandbags -1950", "flood OR 1951")
    before = [_ids(backend, q) for q in queries]

    assert word_index.merge(archive.conn) > 0
    assert [word_index.btrees(archive.conn, t) for t in tables] == [1, 1]
    assert [_ids(backend, q) for q in queries] == before
    assert before[3] == [4] and len(before[0]) == word_index.MERGE_ABOVE + 2

    assert word_index.merge(archive.conn) == 0  # nothing left to merge
    add_story(archive, "Another", "en", [(0.0, 2.0, "The flood reached Zgorzelec.")])
    assert word_index.merge(archive.conn) == 0  # two b-trees: not worth a rewrite yet
    assert _ids(backend, "Zgorzelec") == [word_index.MERGE_ABOVE + 3]


def _btree_pages(archive, table: str) -> dict[int, int]:
    return dict(archive.conn.execute(
        f"SELECT id >> 37, count(*) FROM {table}_data WHERE id >= 1 << 37 GROUP BY id >> 37").fetchall())


def test_a_large_index_is_not_rewritten_for_each_few_small_stories(archive, monkeypatch):
    """Beside a large b-tree (a large archive's), the small ones new stories add are
    merged with each other, and the large one is left as it is (rewriting it took seconds
    at a million segments) until they add up or too many are left."""
    lines = [(i * 2.0, i * 2.0 + 2.0, f"Line {i} of the long story: sandbags{i} and cellar{i % 97}.")
             for i in range(6000)]
    for part in range(3):
        add_story(archive, f"Long {part}", "en", lines[part::3])
    # merged whole a few times, as an archive that grew story by story has been: FTS5 then
    # keeps its largest b-tree on a level of its own (merged once, new ones reach it)
    for k in range(4):
        word_index.optimize(archive.conn)
        add_story(archive, f"Middle {k}", "en", [(0.0, 2.0, f"Told in the middle, number {k}.")])
    word_index.optimize(archive.conn)
    [(largest, pages)] = _btree_pages(archive, "segment_terms").items()
    for i in range(word_index.MERGE_ABOVE + 1):
        add_story(archive, f"Story {i}", "en", [(0.0, 2.0, f"The flood came in {1950 + i}."),
                                                (2.0, 4.0, "We carried sandbags to the cellar.")])
    assert [word_index.btrees(archive.conn, t) for t in word_index.TABLES] == [word_index.MERGE_ABOVE + 2] * 2
    backend = FTSBackend(archive)
    queries = ("flood", "cellar", '"the cellar"', "1953", "sandbags1234", "sandbags -1950", "flood OR 1951")
    before = [_ids(backend, q) for q in queries]

    assert word_index.merge(archive.conn) > 0
    after = _btree_pages(archive, "segment_terms")
    assert after[largest] == pages and len(after) == 2  # the small ones into one, the large one untouched
    assert word_index.btrees(archive.conn, "story_terms") < word_index.MERGE_ABOVE + 2
    assert [_ids(backend, q) for q in queries] == before
    assert before[3] == [11, 1] and before[4] == [2] and len(before[0]) == word_index.MERGE_ABOVE + 1

    monkeypatch.setattr(word_index, "MERGE_ABOVE", 0)  # more b-trees left than are wanted: all into one
    assert word_index.merge(archive.conn) > 0
    assert [word_index.btrees(archive.conn, t) for t in word_index.TABLES] == [1, 1]
    assert largest not in _btree_pages(archive, "segment_terms")
    assert [_ids(backend, q) for q in queries] == before


def test_a_table_is_merged_past_merge_above_b_trees_whole_when_the_small_ones_add_up(archive, monkeypatch):
    merged, real = [], word_index._merge_steps

    def steps(conn, table, pages):
        merged.append((table, pages))
        return real(conn, table, pages)

    monkeypatch.setattr(word_index, "_merge_steps", steps)
    for i in range(word_index.MERGE_ABOVE + 1):
        add_story(archive, f"Story {i}", "en", [(0.0, 2.0, f"The flood came in {1950 + i}.")])
        if i + 1 == word_index.MERGE_ABOVE:
            assert [word_index.btrees(archive.conn, t) for t in word_index.TABLES] == [word_index.MERGE_ABOVE] * 2
            assert word_index.merge(archive.conn) == 0 and merged == []  # as many as allowed
    # five of a size: the others hold more than a tenth of the largest's pages, so all into one at once
    assert word_index.merge(archive.conn) > 0
    assert merged == [(t, -word_index.MERGE_PAGES) for t in word_index.TABLES]
    assert [word_index.btrees(archive.conn, t) for t in word_index.TABLES] == [1, 1]


def test_a_merge_step_that_fails_leaves_no_transaction_open(archive):
    for i in range(word_index.MERGE_ABOVE + 1):
        add_story(archive, f"Story {i}", "en", [(0.0, 2.0, f"The flood came in {1950 + i}.")])

    def refuse(action, table, *_):
        writes = action == sqlite3.SQLITE_INSERT and table == "segment_terms"
        return sqlite3.SQLITE_DENY if writes else sqlite3.SQLITE_OK

    archive.conn.set_authorizer(refuse)
    try:
        with pytest.raises(sqlite3.DatabaseError):
            word_index.merge(archive.conn)
    finally:
        archive.conn.set_authorizer(None)
    assert not archive.conn.in_transaction  # no write lock kept, and the next round can begin
    assert word_index.merge(archive.conn) > 0


def test_the_levels_are_read_from_the_structure_of_either_sqlite():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t_data (id INTEGER PRIMARY KEY, block BLOB)")
    levels = b"\x81\x05" + bytes(4)  # 133 as FTS5's varint, then the rest of the record
    conn.execute("INSERT INTO t_data VALUES (10, ?)", (b"\0\0\0\1" + levels,))
    assert word_index.levels(conn, "t") == 133
    # SQLite 3.43 and later mark the version of a table that may delete from a contentless index
    conn.execute("UPDATE t_data SET block = ?", (b"\0\0\0\1" + b"\xff\0\0\1" + levels,))
    assert word_index.levels(conn, "t") == 133
    conn.execute("DELETE FROM t_data")
    assert word_index.levels(conn, "t") == 0  # nothing written yet


@pytest.mark.slow
@pytest.mark.parametrize("merge", ["optimize", "merge"])
def test_a_table_merged_whole_again_and_again_is_made_again_before_fts5s_level_limit(archive, monkeypatch, merge):
    """SQLite before 3.41 puts each whole merge's b-tree on a new level and, past 2,000
    levels, cannot read the table back ("malformed"): a story given one segment after
    another, merged whole after each (as after an erasure or a redaction, or by the
    worker), reached it at the 1,152nd. The words index is made again from its rows at
    ``LEVELS_LIMIT``."""
    monkeypatch.setattr(word_index, "MERGE_ABOVE", 0)  # the worker's merge: whole each time
    story = add_story(archive, "Flood", "en", [(0.0, 2.0, "The flood came into the cellar.")])
    deepest = 0
    for i in range(1, 1201):
        with archive.transaction() as t:
            word_index.insert_segments(t, [(story, story, i, i * 2.0, i * 2.0 + 2.0, f"We pumped the cellar, day{i}.",
                                            None, None, None, "en", 0)])
        getattr(word_index, merge)(archive.conn)
        deepest = max(deepest, *(word_index.levels(archive.conn, t) for t in word_index.TABLES))
    if sqlite3.sqlite_version_info < (3, 41):
        # as deep as allowed (a merge adds one or two levels), and made again there
        assert word_index.LEVELS_LIMIT <= deepest <= word_index.LEVELS_LIMIT + 1
    else:
        assert deepest <= 65
    for table in word_index.TABLES:
        archive.conn.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")
    backend = FTSBackend(archive)
    assert _ids(backend, "day1200") == _ids(backend, "day1") == _ids(backend, "flood") == [story]


def _automerge(archive) -> list[str | None]:
    return [(archive.conn.execute(f"SELECT v FROM {t}_config WHERE k = 'automerge'").fetchone() or [None])[0]
            for t in word_index.TABLES]


def test_fts5_leaves_merging_to_the_worker_even_after_a_reindex(archive, stories):
    assert _automerge(archive) == [0, 0]  # migration 0019
    FTSBackend(archive).rebuild()  # the tables made again, with their settings
    assert _automerge(archive) == [0, 0]
    assert _ids(FTSBackend(archive), "flood") == [stories["often"], stories["once"], stories["german"]]


@pytest.fixture
def past_the_level_limit(archive):
    """An archive whose segments' index FTS5 can no longer open: a segment added and the
    index merged whole, again and again, with no care for its levels (as before
    2026-12-01) until SQLite 3.40.1 wrote a structure of more levels than it reads."""
    if sqlite3.sqlite_version_info >= (3, 41):
        pytest.skip(f"SQLite {sqlite3.sqlite_version} keeps an FTS5 table's levels within what it reads")
    story = add_story(archive, "Flood", "en", [(0.0, 2.0, "The flood came into the cellar.")])
    with pytest.raises(sqlite3.DatabaseError, match="malformed"):
        for i in range(1, 1500):
            with archive.transaction() as t:
                word_index.insert_segments(t, [(story, story, i, i * 2.0, i * 2.0 + 2.0, f"We pumped it, day{i}.",
                                                None, None, None, "en", 0)])
            for table in word_index.TABLES:
                archive.conn.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
    assert word_index.levels(archive.conn, "segment_terms") > word_index.FTS5_LEVELS
    return story


def _segments_found(archive, text: str) -> int:
    found = FTSBackend(archive).search(SearchQuery(text, KEEPER, meaning=False, moments_per_story=5000)).stories
    return sum(len(h.moments) for h in found)


@pytest.mark.slow
def test_an_index_past_fts5s_level_limit_says_to_reindex_and_reindex_mends_it(archive, past_the_level_limit):
    segments = archive.conn.execute("SELECT count(*) FROM segments").fetchone()[0]
    with Archive(archive.path) as again:  # a new connection: FTS5 cannot even open the table
        with pytest.raises(SearchError, match="run `storyatlas reindex`"):
            FTSBackend(again).search(SearchQuery("cellar", KEEPER, meaning=False))
        assert FTSBackend(again).rebuild() == segments
        assert _segments_found(again, "pumped") == segments - 1
        assert [word_index.levels(again.conn, t) for t in word_index.TABLES] == [1, 1]
        for table in word_index.TABLES:
            again.conn.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")


@pytest.mark.slow
def test_the_workers_merge_mends_an_index_past_fts5s_level_limit(archive, past_the_level_limit):
    segments = archive.conn.execute("SELECT count(*) FROM segments").fetchone()[0]
    with Archive(archive.path) as again:
        word_index.merge(again.conn)  # its rows are whole: the index is made again from them
        assert word_index.levels(again.conn, "segment_terms") < 5
        assert _segments_found(again, "pumped") == segments - 1
        assert _segments_found(again, "cellar") == 1
        again.conn.execute("INSERT INTO segment_terms(segment_terms) VALUES ('integrity-check')")


@pytest.mark.slow
def test_an_archive_upgraded_with_an_index_past_fts5s_level_limit_opens_with_it_mended(archive, past_the_level_limit,
                                                                                     monkeypatch):
    segments = archive.conn.execute("SELECT count(*) FROM segments").fetchone()[0]
    archive.conn.execute("PRAGMA user_version=21")  # before migration 0022, which has the index made again
    # those after 0023 are in it already (``rewind`` cannot take them out: SQLite reads the
    # damaged table to drop a column)
    made = db._migrations()
    monkeypatch.setattr(db, "_migrations", lambda: [m for m in made if m[0] <= 23])
    with Archive(archive.path) as again:  # updating the damaged table in SQL, it could not be opened at all
        assert _segments_found(again, "pumped") == segments - 1
        assert again.conn.execute("SELECT count(*) FROM word_index_remake").fetchone()[0] == 0
        again.conn.execute("INSERT INTO segment_terms(segment_terms) VALUES ('integrity-check')")


def test_the_index_points_index_is_made_again_before_the_level_limit_too(archive, monkeypatch):
    """An erasure or a redaction merges the index points' index whole as well."""
    monkeypatch.setattr(word_index, "LEVELS_LIMIT", 4)
    story = add_story(archive, "Flood", "en", [(0.0, 2.0, "The flood came into the cellar.")])
    deepest = 0
    for i in range(40):
        # FTS5 adds levels once the merged b-tree is more than a page
        synopsis = " ".join(f"told{i}x{k}" for k in range(30))
        index_points.add(archive, story, IndexPoint(i / 20, f"Sandbags{i} at the door", synopsis=synopsis), KEEPER)
        scrub(archive)
        deepest = max(deepest, word_index.levels(archive.conn, "index_points_fts"))
    assert 4 <= deepest <= 5
    archive.conn.execute("INSERT INTO index_points_fts(index_points_fts) VALUES ('integrity-check')")
    found = FTSBackend(archive).search(SearchQuery("sandbags39", KEEPER, meaning=False)).stories
    assert [(h.story_id, [m.why for m in h.moments]) for h in found] == [(story, [("index",)])]


def test_a_write_that_sqlite_has_rolled_back_already_raises_its_own_error(archive):
    with pytest.raises(ValueError, match="the writer's own error"):
        with archive.transaction() as t:
            t.execute("ROLLBACK")  # as SQLite does itself after some errors
            raise ValueError("the writer's own error")
    assert not archive.conn.in_transaction
    add_story(archive, "After", "en", [(0.0, 2.0, "Written after it.")])


def test_a_migration_sqlite_has_rolled_back_already_raises_its_own_error(archive, monkeypatch):
    from storyatlas.archive import db
    from storyatlas.errors import StoryAtlasError

    migrations = db._migrations()
    broken = (db.SCHEMA_VERSION + 1, "broken", "ROLLBACK;\nSELECT * FROM nowhere;")
    monkeypatch.setattr(db, "_migrations", lambda: [*migrations, broken])
    with pytest.raises(StoryAtlasError, match="no such table: nowhere"):
        Archive(archive.path)
    assert archive.conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION


def test_making_stale_story_rows_rolled_back_by_sqlite_raises_its_own_error(archive, monkeypatch):
    add_story(archive, "Stale", "en", [(0.0, 2.0, "Left stale by bare SQL.")])
    archive.conn.execute("INSERT OR IGNORE INTO story_terms_stale (story_id) VALUES (1)")

    def refresh(conn):
        conn.execute("ROLLBACK")
        raise ValueError("the refresh's own error")

    monkeypatch.setattr(word_index, "refresh", refresh)
    with pytest.raises(ValueError, match="the refresh's own error"):
        Archive(archive.path)


def test_a_merge_step_rolled_back_by_sqlite_raises_its_own_error(archive):
    class Failing:  # FTS5's merge failing after SQLite rolled the step back
        def __init__(self, conn):
            self.conn = conn

        def __getattr__(self, name):
            return getattr(self.conn, name)

        def execute(self, sql, *args):
            if "'merge'" in sql:
                self.conn.execute("ROLLBACK")
                raise sqlite3.OperationalError("the merge's own error")
            return self.conn.execute(sql, *args)

    with pytest.raises(sqlite3.OperationalError, match="the merge's own error"):
        word_index._merge_steps(Failing(archive.conn), "segment_terms", 16)
    assert not archive.conn.in_transaction
