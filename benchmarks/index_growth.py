"""The words index of an archive grown story by story, as the worker grows it.

    python benchmarks/index_growth.py [--stories 5000] [--check-every 250] [--whole]

From an empty archive, stories of 40 synthetic segments (benchmarks/search.py's
languages) are saved one by one, each as a job saves a transcript, and after each the
worker's merge of the words index is made (``word_index.merge``; with ``--whole``, every
b-tree into one once there are more than four, as before 2026-12-01). Prints, every tenth
of the way, the seconds spent inserting and merging, the merges that took over 50 ms, the
b-trees left and FTS5's levels (``word_index.LEVELS_LIMIT`` says why they matter); every
``--check-every`` stories FTS5's integrity check of both tables (it stops at the first
that fails, and says where). With ``--whole`` the tables are never made again, as before:
SQLite 3.40.1 passes FTS5's 2,000 levels at story 4,008, and the index is then malformed.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search import SEED, WORDS, Language, save_story  # noqa: E402

from storyatlas.archive import Archive, word_index  # noqa: E402

SEGMENTS = 40


def merge_whole(conn) -> int:
    """The merge before 2026-12-01: every b-tree into one, in steps."""
    steps = 0
    for table in word_index.TABLES:
        if word_index.btrees(conn, table) > word_index.MERGE_ABOVE:
            steps += word_index._merge_steps(conn, table, -word_index.MERGE_PAGES)
    return steps


def broken(archive: Archive) -> str | None:
    for table in word_index.TABLES:
        try:
            archive.conn.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")
        except Exception as e:  # FTS5 says "malformed", or cannot open the table at all
            return f"{table}: {e}"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=5000)
    parser.add_argument("--check-every", type=int, default=250)
    parser.add_argument("--whole", action="store_true", help="merge every b-tree into one, as before")
    args = parser.parse_args()
    merge = merge_whole if args.whole else word_index.merge
    rng = random.Random(5)
    speakers = [Language(lang, random.Random(SEED)) for lang in WORDS]
    inserting = merging = 0.0
    slow = most = 0
    with tempfile.TemporaryDirectory() as tmp, Archive(Path(tmp) / "archive.db") as archive:
        for story_id in range(1, args.stories + 1):
            started = time.perf_counter()
            try:
                save_story(archive, story_id, rng.choice(speakers), rng, SEGMENTS)
                inserted = time.perf_counter()
                merge(archive.conn)
            except Exception as e:
                print(f"story {story_id}: {e} ({broken(archive) or 'both tables pass the check'})")
                raise SystemExit(1)
            merged = time.perf_counter()
            inserting += inserted - started
            merging += merged - inserted
            slow += merged - inserted > 0.05
            most = max(most, word_index.btrees(archive.conn, "segment_terms"))
            if story_id % args.check_every == 0 and (found := broken(archive)):
                print(f"story {story_id}: the integrity check fails, {found}")
                raise SystemExit(1)
            if story_id % max(1, args.stories // 10) == 0:
                print(f"{story_id:,} stories ({story_id * SEGMENTS:,} segments): inserting {inserting:.1f} s, "
                      f"merging {merging:.1f} s ({slow} merges over 50 ms), b-trees {most} at most, "
                      f"{word_index.btrees(archive.conn, 'segment_terms')} now; levels "
                      f"{[word_index.levels(archive.conn, t) for t in word_index.TABLES]}", flush=True)


if __name__ == "__main__":
    main()
