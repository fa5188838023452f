"""The meaning index's rows: one vector per segment (migration 0012), of its words and
of its English line where it has one (0028), read through the access policy. What makes
and searches them lives in ``storyatlas.meaning``."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from storyatlas.archive import Archive
from storyatlas.archive.discover import same_name, story_ids
from storyatlas.archive.held import position
from storyatlas.archive.policy import Viewer, story_condition
from storyatlas.archive.redaction import MARK

DIMENSIONS = 384


# a redacted run of words leaves a mark, which means nothing
_SAID = f"trim(replace(g.text, '{MARK}', '')) <> ''"
# the English line the encoder reads too: none while it is stale (the line corrected since)
_ENGLISH = "CASE WHEN g.text_en_stale = 0 THEN g.text_en END"


@dataclass(frozen=True)
class Unindexed:
    segment_id: int
    story_id: int
    text: str
    idx: int
    """Its place in its story: with ``story_id``, where the next look for missing ones starts."""
    text_en: str | None = None
    """Its English line, unless the line is English or its English is stale."""

    @property
    def said(self) -> str:
        """The text the encoder reads: the words left around any redacted run."""
        return _unmarked(self.text)

    @property
    def english(self) -> str | None:
        """The English the encoder reads too, where it says something the text does not."""
        english = _unmarked(self.text_en or "")
        return english if english and english != self.said else None


def _unmarked(text: str) -> str:
    return " ".join(text.replace(MARK, " ").split())


def unindexed(archive: Archive, model: str, limit: int = 512,
              after: tuple[int, int] = (-1, -1)) -> list[Unindexed]:
    """Segments without a vector from ``model`` (new, corrected, redacted, or made by
    another model), oldest stories first, from after ``after`` (a story's id and a
    segment's place in it). Every story is indexed, whoever may see it: the search reads
    vectors through the policy."""
    # the text is read only for a segment without a vector (CASE on v: SQLite tests a
    # condition on g alone before the join, and read every segment's text: at a million
    # segments a look through all of them took 0.98-1.15 s, and 0.54-0.56 s this way)
    rows = archive.conn.execute(
        f"""SELECT g.id, g.story_id, g.text, g.idx, {_ENGLISH} FROM segments g
           LEFT JOIN segment_vectors v ON v.segment_id = g.id AND v.model = ?
           WHERE (g.story_id, g.idx) > (?, ?) AND v.segment_id IS NULL
             AND CASE WHEN v.segment_id IS NULL THEN {_SAID} END
           ORDER BY g.story_id, g.idx LIMIT ?""",
        (model, *after, limit))
    return [Unindexed(*r) for r in rows]


def store(archive: Archive, model: str, made: Iterable[tuple[Unindexed, np.ndarray]]) -> int:
    """Write vectors, each only while its segment still reads as it did when it was encoded."""
    written = 0
    with archive.transaction() as c:
        for segment, vector in made:
            # its story too: an erased or merged-away segment's id is taken by the next one
            # made, which may say the same ("Thank you.") in a story others may not see
            if c.execute(f"""SELECT 1 FROM segments g WHERE id = ? AND story_id = ? AND text = ?
                             AND {_ENGLISH} IS ?""",
                         (segment.segment_id, segment.story_id, segment.text, segment.text_en)).fetchone() is None:
                continue  # corrected, redacted or erased meanwhile: the next round makes it again
            c.execute("INSERT OR REPLACE INTO segment_vectors (segment_id, story_id, model, vector) "
                      "VALUES (?, ?, ?, ?)",
                      (segment.segment_id, segment.story_id, model, np.asarray(vector, np.float16).tobytes()))
            written += 1
    return written


def all_vectors(archive: Archive, models: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(segment ids, story ids, vectors as a float16 matrix) of every segment with a vector
    from one of ``models``, whatever its story: the caller keeps only the stories
    ``visible_stories`` gives."""
    return _arrays(archive.conn.execute(
        f"SELECT segment_id, story_id, vector FROM segment_vectors WHERE model IN ({','.join('?' * len(models))})",
        models).fetchall())


def _arrays(rows: list[tuple]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, DIMENSIONS), np.float16)
    ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
    stories = np.fromiter((r[1] for r in rows), np.int64, len(rows))
    matrix = np.frombuffer(b"".join(r[2] for r in rows), np.float16).reshape(len(rows), DIMENSIONS)
    return ids, stories, matrix


KEEP_CHANGES = 200_000
"""Vector changes kept in the log: a search process further behind reads every vector again."""


def changes_at(archive: Archive) -> tuple[int, int]:
    """(the last vector change's number, the last one pruned from the log)."""
    return position(archive.conn, "vector_changes")


def changed_since(archive: Archive, models: tuple[str, ...], after: int, upto: int
                  ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The ids of the segments whose vectors changed after change ``after`` up to change
    ``upto`` (sorted), and what ``all_vectors`` gives for those of them that have one
    from ``models`` now (both of the same changes, whatever is written meanwhile)."""
    changes = "SELECT segment_id FROM vector_changes WHERE seq > ? AND seq <= ?"
    changed = np.fromiter((r[0] for r in archive.conn.execute(
        f"SELECT DISTINCT segment_id FROM ({changes}) ORDER BY segment_id", (after, upto))), np.int64)
    found = archive.conn.execute(
        f"SELECT segment_id, story_id, vector FROM segment_vectors WHERE model IN ({','.join('?' * len(models))}) "
        f"AND segment_id IN ({changes})", (*models, after, upto)).fetchall()
    return changed, _arrays(found)


def prune_changes(conn: sqlite3.Connection, keep: int = KEEP_CHANGES) -> None:
    """Drop all but the last ``keep`` vector changes from the log."""
    (last,) = conn.execute("SELECT coalesce(max(seq), 0) FROM vector_changes").fetchone()
    if conn.execute("DELETE FROM vector_changes WHERE seq <= ?", (last - keep,)).rowcount:
        conn.execute("UPDATE vector_changes_pruned SET through = ?", (last - keep,))


def visible_stories(archive: Archive, viewer: Viewer) -> np.ndarray:
    """The ids of the stories the viewer may see, sorted."""
    condition, params = story_condition(viewer)
    return story_ids(archive.conn, f"SELECT st.id AS id FROM stories st WHERE {condition}", params)


def told_in(archive: Archive, community: str) -> np.ndarray:
    """The ids of the stories told in ``community`` (in any case), whoever may see them: to
    be left out, never shown."""
    same, params = same_name("st.community", community)
    return story_ids(archive.conn, f"SELECT st.id AS id FROM stories st WHERE {same}", params)


def told_in_language_of(archive: Archive, story_id: int) -> np.ndarray:
    """The ids of the stories told in the language of this one (its own among them)."""
    return story_ids(archive.conn, """SELECT id FROM stories WHERE language =
                                      (SELECT language FROM stories WHERE id = ?)""", (story_id,))


def sharing_a_theme(archive: Archive, story_id: int) -> np.ndarray:
    """The ids of the stories tagged with a theme this one is tagged with (its own among
    them), whoever may see them: to order those allowed, never shown."""
    return story_ids(archive.conn, """SELECT DISTINCT other.story_id AS id FROM story_themes mine
                                      JOIN story_themes other ON other.theme_id = mine.theme_id
                                      WHERE mine.story_id = ?""", (story_id,))


def story_segments(archive: Archive, story_id: int) -> list[int]:
    """The story's segment ids in the order they are told."""
    return [r[0] for r in archive.conn.execute("SELECT id FROM segments WHERE story_id = ? ORDER BY idx",
                                               (story_id,))]


def counts(archive: Archive, model: str) -> tuple[int, int]:
    """(segments with a vector from ``model``, segments with words left to mean)."""
    done = archive.conn.execute("SELECT count(*) FROM segment_vectors WHERE model = ?", (model,)).fetchone()[0]
    total = archive.conn.execute(f"SELECT count(*) FROM segments g WHERE {_SAID}").fetchone()[0]
    return done, total
