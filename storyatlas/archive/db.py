"""Opening the archive database: WAL, foreign keys, and schema migrations.

Migrations are the numbered ``migrations/NNNN_name.sql`` files, applied in order,
each in its own transaction, and recorded in ``PRAGMA user_version``.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from storyatlas import stems
from storyatlas.archive import word_index
from storyatlas.errors import StoryAtlasError, said

log = logging.getLogger(__name__)


def _migrations() -> list[tuple[int, str, str]]:
    found = []
    for entry in resources.files("storyatlas.archive").joinpath("migrations").iterdir():
        m = re.match(r"(\d{4})_(.+)\.sql$", entry.name)
        if m:
            found.append((int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    return sorted(found)


SCHEMA_VERSION = max(v for v, _, _ in _migrations())


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the archive database and bring its schema up to date."""
    make_folder_of(path)
    conn = None
    try:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        _refuse_another_programs(conn, path)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA secure_delete=ON")  # erased or redacted words must not linger in free space
        # 64 MB of pages rather than 2: the words index's merges as segments are added
        # read and write the same pages again (benchmarks/search.py: 12,900 -> 17,100
        # segments a second)
        conn.execute("PRAGMA cache_size=-65536")
        # SQLite's lower() folds A-Z only: community names are compared as Python folds them
        conn.create_function("casefold", 1, lambda v: v.casefold() if isinstance(v, str) else v,
                             deterministic=True)
        register_search_functions(conn)
        _migrate(conn)
        _remake_word_index(conn)
        _refresh_story_words(conn)
    except BaseException as e:
        if conn is not None:  # the file stays open otherwise, and a read-only one locked
            conn.close()
        if isinstance(e, (sqlite3.DatabaseError, OSError)):
            raise StoryAtlasError(_cannot_open(path, e)) from e
        raise
    return conn


def make_folder_of(path: Path) -> None:
    """Make the archive's folder, where ``path`` (its database, its queue) lies; StoryAtlasError
    where it cannot be made (a path through a file, a read-only disk, no permission)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoryAtlasError(said(
            "cannot make the folder of the archive database {path} ({detail}): name another archive with "
            "--archive or STORYATLAS_ARCHIVE, or check that this user may write there",
            path=str(path), detail=e.strerror or str(e))) from None


# SQLite's kinds of failure of a file it may not open or write (a folder, a read-only disk,
# no permission) or that its disk cannot hold: no broken archive, one where it cannot be used
_NOT_USABLE_HERE = {"CANTOPEN", "READONLY", "PERM", "IOERR", "FULL"}


def read_only_uri(path: str | Path) -> str:
    """The URI that opens the database at ``path`` read-only (``uri=True``), escaped: in
    "file:{path}" a "#" or "?" in a folder's name ends the path (and SQLite makes an empty
    database where it ends), and "%20" stands for a space."""
    return f"{Path(path).resolve().as_uri()}?mode=ro"


def _cannot_open(path: Path, e: sqlite3.DatabaseError | OSError) -> str:
    kind = (getattr(e, "sqlite_errorname", None) or "SQLITE_").split("_")[1]
    if isinstance(e, OSError) or kind in _NOT_USABLE_HERE:
        return said("cannot open the archive database {path} ({detail}): name another archive with --archive "
                    "or STORYATLAS_ARCHIVE, or check that this user may read and write it and its folder, on a "
                    "disk with room",
                    path=str(path), detail=getattr(e, "strerror", None) or str(e))
    return said("cannot open the archive database {path}: {detail}; check the path and that it is a Story Atlas "
                "archive", path=str(path), detail=str(e))


def _refuse_another_programs(conn: sqlite3.Connection, path: Path) -> None:
    """A database no Story Atlas made (schema version 0, yet tables in it) is left as it is:
    opened as an archive, it was switched to WAL and had the archive's tables written into it."""
    if conn.execute("PRAGMA user_version").fetchone()[0] == 0 and \
            conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is not None:
        raise StoryAtlasError(said(
            "{path} is a database of another program, not a Story Atlas archive: name the archive's folder with "
            "--archive or STORYATLAS_ARCHIVE", path=str(path)))


def register_search_functions(conn: sqlite3.Connection) -> None:
    """The words index's terms, made in Python: the segments' triggers (migration 0010)
    call these, so a connection without them cannot write segments at all rather than
    leave the index behind."""
    conn.create_function("search_terms", 2, stems.index_terms, deterministic=True)
    conn.create_function("search_surface", 1, stems.surface, deterministic=True)


def rebuild_word_search(conn: sqlite3.Connection, progress: Callable[[int, int], None] | None = None) -> None:
    """Make the words index again from the segments, in the caller's transaction."""
    word_index.rebuild(conn, progress)


@contextmanager
def _written(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction of the archive's opening, committed or rolled back whole."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # not rolled back by SQLite already
            conn.execute("ROLLBACK")
        raise


def _remake_word_index(conn: sqlite3.Connection) -> None:
    """Make the words index again where a migration asked for it, or where it was made
    with other lists of function words (its terms changed: ``stems.grammar_version``)."""
    if not _remake_asked(conn):
        return
    began = time.monotonic()
    with _written(conn):
        asked = _remake_asked(conn)  # another process may have made it meanwhile
        segments = conn.execute("SELECT count(*) FROM segments").fetchone()[0] if asked else 0
        if segments:
            # said without -v: a server's start would seem to hang (35 s at a million
            # segments on 2 cores)
            log.warning("making the words index again from the archive's %s (%s): about a minute a million "
                        "segments", f"{segments:,} segment{'s' if segments != 1 else ''}", "; ".join(asked))
            word_index.rebuild(conn, _told_every(PROGRESS_EVERY))
        else:
            word_index.made_with(conn, stems.grammar_version())
        conn.execute("DELETE FROM word_index_remake")
    if segments:
        word_index.optimize(conn)
        log.warning("words index made again in %.0f s", time.monotonic() - began)


PROGRESS_EVERY = 10.0
"""Seconds between two lines of the log telling how far the words index is made again."""


def _told_every(seconds: float) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` that logs how far it is, at most every ``seconds``."""
    last = time.monotonic()

    def progress(done: int, total: int) -> None:
        nonlocal last
        if time.monotonic() - last >= seconds and done < total:
            last = time.monotonic()
            log.warning("words index: %s of %s segments made again", f"{done:,}", f"{total:,}")
    return progress


def _remake_asked(conn: sqlite3.Connection) -> list[str]:
    asked = [r[0] for r in conn.execute("SELECT why FROM word_index_remake")]
    made = conn.execute("SELECT version FROM word_index_grammar").fetchone()
    if made is None or made[0] != stems.grammar_version():
        asked.append("the function words, whose terms keep the accents of words told apart from them, changed")
    return asked


def _refresh_story_words(conn: sqlite3.Connection) -> None:
    """Stories left stale by a migration or by bare SQL get their words index rows."""
    if conn.execute("SELECT 1 FROM story_terms_stale LIMIT 1").fetchone() is None:
        return
    with _written(conn):
        done = word_index.refresh(conn)
    log.info("made the words index rows of %d stories", done)


def _migrate(conn: sqlite3.Connection) -> None:
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    if current > SCHEMA_VERSION:
        raise StoryAtlasError(said(
            "this archive has schema version {version}, newer than this Story Atlas "
            "understands ({known}): upgrade storyatlas", version=current, known=SCHEMA_VERSION
        ))
    for version, name, sql in _migrations():
        if version <= current:
            continue
        log.info("migrating archive schema to %04d_%s", version, name)
        with _written(conn):
            # executescript would commit on its own; run statement by statement instead
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={version}")


def _statements(sql: str) -> list[str]:
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
