"""The words index's story rows: which stories hold a word, without reading its segments.

``segment_terms`` (one row per segment, written by the segments' triggers) says where in
a story the words are; a search that read it alone to count and rank the stories holding
a common word read every matching segment: 600,000 of them for "water" among a million
(benchmarks/search.py), 35 ms to count them and half a second to score them with bm25.
``story_terms`` holds each story's terms in one row, so the same question reads one entry
per story. Its row also marks each term the story says at least 2, 4, 8, ... times
(``term__4``): a search ranks the stories that say a word most first, scoring only those,
instead of scoring all 25,000 stories that say it once (see storyatlas/search/ranked.py).

The triggers mark a story stale when its segments change; every write transaction of the
archive makes its stale rows again before it commits (``refresh``), so a reader never
sees them apart, and bumps the archive's generation (a new segment does not, row by row).
A write made with bare SQL leaves its stories stale until the next transaction; the
search reads those stories' segments instead (``stale``), but an answer cached before it
may be served until then: write segments through the archive.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator, Sequence

from storyatlas.stems import UNACCENTED, grammar_version

log = logging.getLogger(__name__)

TIERS = (2, 4, 8, 16, 32, 64)
"""A story's row marks a term said at least this many times."""
STORY = 1 << 32
"""segment_terms' rowids are story id * STORY + segment id (migration 0011)."""

SEGMENT_COLUMNS = ("story_id", "transcript_id", "idx", "start", "end", "text", "text_en", "avg_logprob",
                   "no_speech_prob", "language", "low_confidence")


def insert_segments(conn: sqlite3.Connection, rows: Sequence[Sequence]) -> dict[tuple[int, int], int]:
    """Insert segments (values in ``SEGMENT_COLUMNS`` order) with one statement; returns
    the new segments' ids by (story id, idx).

    One statement, not one per segment: SQLite's FTS5 (3.40) writes its pending terms to
    disk at every statement that reaches it through a trigger, so segments inserted one
    by one were indexed at 16,300 a second and in one statement at 24,400
    (benchmarks/search.py, 200,000 segments, 2 cores). They wait in a temporary table,
    which no trigger reads, with their values as given."""
    columns = ", ".join(SEGMENT_COLUMNS)
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS new_segments ({columns})")
    conn.execute("DELETE FROM temp.new_segments")
    conn.executemany(f"INSERT INTO temp.new_segments VALUES ({', '.join('?' * len(SEGMENT_COLUMNS))})", rows)
    found = conn.execute(f"""INSERT INTO segments ({columns}) SELECT {columns} FROM temp.new_segments
                             ORDER BY rowid RETURNING story_id, idx, id""").fetchall()
    conn.execute("DELETE FROM temp.new_segments")
    return {(story_id, idx): segment_id for story_id, idx, segment_id in found}


def tier(term: str, times: int) -> str:
    """The mark of ``term`` said at least ``times`` times in a story."""
    return f"{term}__{times}"


def story_row(conn: sqlite3.Connection, story_id: int) -> str | None:
    """The story's row: each term its segments hold, once, then a mark per tier reached;
    None when it has no words. Once is enough: how often it is said is in the marks, and
    a term said once in every story of the lowest band (where bm25 reads it) counts one."""
    rows = conn.execute("SELECT terms, terms_en FROM segment_terms WHERE rowid BETWEEN ? AND ?",
                        (story_id * STORY, (story_id + 1) * STORY - 1)).fetchall()
    counted = Counter(" ".join([f"{original or ''} {english or ''}" for original, english in rows]).split())
    counted.pop(UNACCENTED, None)
    if not counted:
        return None
    marks = [tier(t, n) for t, said in counted.items() if said >= TIERS[0] for n in TIERS if said >= n]
    return " ".join([*counted, *marks])


def refresh(conn: sqlite3.Connection) -> int:
    """Make the stale stories' rows again, in the caller's transaction; returns how many."""
    made = stale(conn)
    for story_id in made:
        conn.execute("DELETE FROM story_terms WHERE rowid = ?", (story_id,))
        row = story_row(conn, story_id)
        if row is not None:
            conn.execute("INSERT INTO story_terms (rowid, terms) VALUES (?, ?)", (story_id, row))
    if made:
        conn.execute("DELETE FROM story_terms_stale")
        # new segments do not bump the generation themselves (migration 0014)
        conn.execute("UPDATE generation SET n = n + 1")
    return len(made)


def stale(conn: sqlite3.Connection) -> list[int]:
    """Stories whose row is out of date (written with bare SQL, not yet refreshed)."""
    return [r[0] for r in conn.execute("SELECT story_id FROM story_terms_stale")]


def rebuild(conn: sqlite3.Connection, progress: Callable[[int, int], None] | None = None) -> None:
    """Make the whole words index again from the segments, in the caller's transaction;
    a damaged one too. ``progress(done, total)`` is told the segments indexed so far."""
    for table in TABLES:
        remake(conn, table)
    sizes = conn.execute("SELECT story_id, count(*) FROM segments GROUP BY story_id ORDER BY story_id").fetchall()
    total, done = sum(n for _, n in sizes), 0
    # stories in batches, each told as it is done: a million segments take about a minute
    # (the whole in one statement took as long, 200,000 segments in 4.0 s either way)
    for batch in _batches(sizes, REBUILD_BATCH):
        first, last = batch[0][0], batch[-1][0]
        conn.execute(
            f"""INSERT INTO segment_terms(rowid, terms, terms_en)
               SELECT s.story_id * {STORY} + s.id, search_terms(s.text, coalesce(s.language, st.language)),
                      search_terms(s.text_en, 'en')
               FROM segments s LEFT JOIN stories st ON st.id = s.story_id WHERE s.story_id BETWEEN ? AND ?""",
            (first, last))
        conn.execute("""INSERT OR IGNORE INTO story_terms_stale (story_id)
                        SELECT DISTINCT story_id FROM segments WHERE story_id BETWEEN ? AND ?""", (first, last))
        refresh(conn)
        done += sum(n for _, n in batch)
        if progress is not None:
            progress(done, total)
    refresh(conn)  # an archive without segments has no batch: its stale stories too
    made_with(conn, grammar_version())


REBUILD_BATCH = 20_000
"""Segments, about, that ``rebuild`` indexes between two reports of its progress."""


def _batches(sizes: list[tuple[int, int]], segments: int) -> Iterator[list[tuple[int, int]]]:
    """Runs of (story, its segments) of about ``segments`` segments each."""
    batch: list[tuple[int, int]] = []
    held = 0
    for story, n in sizes:
        batch.append((story, n))
        held += n
        if held >= segments:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


def made_with(conn: sqlite3.Connection, version: str) -> None:
    """Record which function words the index's terms were made with (``grammar_version``)."""
    conn.execute("DELETE FROM word_index_grammar")
    conn.execute("INSERT INTO word_index_grammar (version) VALUES (?)", (version,))


TABLES = ("segment_terms", "story_terms")
"""The words index's FTS5 tables."""
MERGE_ABOVE = 4
"""B-trees a words index table may hold before the worker merges them. FTS5 writes each
transaction's terms as a new b-tree (its own merging as it writes, which left 15 b-trees
after 16 stories written one by one, is off: migration 0019), and each word a search
reads is looked up in every one: at a million segments a rare word took 1.6 ms in 11
b-trees, 1.3 in one (benchmarks/search.py)."""
WHOLE_MERGE_SHARE = 0.1
"""The small b-trees are merged with the largest (a rewrite of the whole table) only once
they hold this share of its pages, or more than twice ``MERGE_ABOVE`` b-trees are left;
until then only with each other. At a million segments the whole rewrite took 2.8-4.2 s,
and was made every fourth story of 40 segments; 100 such stories added one by one now
cost 1.7 s of merging in all (one whole rewrite, of the story rows), leaving 2-6 b-trees
(a rare word about 0.1 ms slower in 5 than in 1)."""
MERGE_PAGES = 1000
"""Pages a merge step rewrites, in its own transaction: a writer waits for one step, not
for the whole merge."""
LEVELS_LIMIT = 1000
"""FTS5 levels a table may reach before its index is made again from its rows. SQLite
before 3.41 (3.40.1 is Debian 12's, which Python links here) puts the b-tree of each
whole merge on a new level above all the others and keeps the empty ones below; past
``FTS5_LEVELS`` it writes a structure it cannot read back ("database disk image is
malformed") and the table can no longer be opened. A one-segment story merged whole
after each of its new segments reached it at the 1,152nd; an archive grown story by
story under the merge before 2026-12-01, at story 4,008 (benchmarks/index_growth.py
--whole); each erasure or redaction merges whole too. SQLite 3.41 and later keep to 65."""
FTS5_LEVELS = 2000
"""The most levels FTS5 reads in a table's structure (its FTS5_MAX_SEGMENT): a table
with more cannot be opened at all ("vtable constructor failed")."""


def merge(conn: sqlite3.Connection) -> int:
    """Merge each words index table's b-trees when it holds more than ``MERGE_ABOVE``:
    the small ones with each other, or all into one (see ``WHOLE_MERGE_SHARE``); returns
    the steps taken (0: nothing to merge)."""
    steps = 0
    for table in TABLES:
        keep_shallow(conn, table)
        if btrees(conn, table) <= MERGE_ABOVE:
            continue
        pages = _pages(conn, table)
        whole = sum(pages) - max(pages) >= WHOLE_MERGE_SHARE * max(pages)
        if not whole:
            # a positive merge takes only levels of FTS5's holding 'usermerge' b-trees or
            # more (a setting kept in the table), each into one on the level above: the
            # largest, alone on a high level once merged whole a few times, is left as it
            # is (in a young archive the small ones reach its level, and all are merged)
            conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('usermerge', 2)")
            steps += _merge_steps(conn, table, MERGE_PAGES)
            whole = btrees(conn, table) > 2 * MERGE_ABOVE
        if whole:
            # negative: every b-tree, of any level, into one (an optimize, in steps)
            steps += _merge_steps(conn, table, -MERGE_PAGES)
    return steps


def _merge_steps(conn: sqlite3.Connection, table: str, pages: int) -> int:
    steps = 0
    while True:
        conn.execute("BEGIN IMMEDIATE")
        before = conn.total_changes
        try:
            conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('merge', ?)", (pages,))
        except BaseException:
            if conn.in_transaction:  # not rolled back by SQLite already
                conn.execute("ROLLBACK")
            raise
        changed = conn.total_changes - before
        conn.execute("COMMIT")
        steps += 1
        pages = abs(pages)  # a merge begun goes on with positive steps
        if changed < 2:  # FTS5's sign that nothing was left to merge
            return steps


def _pages(conn: sqlite3.Connection, table: str) -> list[int]:
    """About how many leaf pages each of a table's b-trees holds: the last one a term
    starts on, from FTS5's index of them (its page numbers are stored doubled, the low bit
    a flag). Counting the data rows instead read the whole table: 55 ms at a million
    segments, against 1.5."""
    return [r[0] for r in conn.execute(f"SELECT max(pgno) >> 1 FROM {table}_idx GROUP BY segid")]


def optimize(conn: sqlite3.Connection, tables: Sequence[str] = TABLES) -> None:
    """Merge each FTS5 table's b-trees into one at once, leaving no deleted entry behind
    (after a rebuild or an erasure; the worker's ``merge`` goes in steps)."""
    for table in tables:
        keep_shallow(conn, table)
        conn.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")


def keep_shallow(conn: sqlite3.Connection, table: str) -> bool:
    """Make an FTS5 table's index again from its rows once it has ``LEVELS_LIMIT``
    levels, before a merge would take it past FTS5's limit; True when it did. Rare, and
    slow at scale: 5 s for the story rows and 8 s for the segments' at a million segments."""
    deep = levels(conn, table)
    if deep < LEVELS_LIMIT:
        return False
    log.info("making the index of %s again from its rows: %d levels, near SQLite's limit", table, deep)
    _let_open(conn, table, deep)
    conn.execute(f"INSERT INTO {table}({table}) VALUES ('rebuild')")
    return True


def remake(conn: sqlite3.Connection, table: str) -> None:
    """Make an FTS5 table again, empty, as it was created and with its settings (such as
    migration 0019's): whatever was damaged goes with it, even a structure FTS5 cannot
    read. (Deleting its rows instead read the old b-trees, damaged ones too, and could
    not open a table past FTS5's level limit.)"""
    created = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()[0]
    settings = conn.execute(f"SELECT k, v FROM {table}_config WHERE k <> 'version'").fetchall()
    _let_open(conn, table, levels(conn, table))
    conn.execute(f"DROP TABLE {table}")
    conn.execute(created)
    for name, value in settings:
        conn.execute(f"INSERT INTO {table}({table}, rank) VALUES (?, ?)", (name, value))


def _let_open(conn: sqlite3.Connection, table: str, deep: int) -> None:
    if deep > FTS5_LEVELS:
        # FTS5 opens no table whose structure holds more levels than it reads, not even
        # to drop or rebuild it: an empty structure (the cookie, no level, no b-tree, no
        # write yet) lets it, and what follows discards the old b-trees
        conn.execute(f"UPDATE {table}_data SET block = substr(block, 1, 4) || x'000000' WHERE id = 10")


def levels(conn: sqlite3.Connection, table: str) -> int:
    """How many levels, empty ones too, an FTS5 table's structure record holds: a 4-byte
    cookie, a version mark (tables with contentless_delete, SQLite 3.43 and later), then
    the count as a varint."""
    row = conn.execute(f"SELECT block FROM {table}_data WHERE id = 10").fetchone()
    if row is None:
        return 0
    block = bytes(row[0])
    at = 8 if block[4:8] == b"\xff\x00\x00\x01" else 4
    count = 0
    for byte in block[at:at + 8]:
        count = (count << 7) | (byte & 0x7F)
        if byte < 0x80:
            break
    return count


def btrees(conn: sqlite3.Connection, table: str) -> int:
    """How many b-trees (FTS5's segments) a words index table holds."""
    return conn.execute(f"SELECT count(DISTINCT segid) FROM {table}_idx").fetchone()[0]
