"""English lines out of date: a corrected, split or merged segment's English was made
from the words before the correction. They are listed here for the worker to translate
again and written back only if the text is still the one that was translated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from storyatlas.archive import Archive
from storyatlas.archive.policy import Viewer, story_condition


@dataclass(frozen=True)
class StaleLine:
    segment_id: int
    start: float
    end: float
    language: str
    text: str
    """The text the new English is made for (written back only if it still reads so)."""


def stories_with_stale_english(archive: Archive, viewer: Viewer) -> list[int]:
    """The stories the viewer may see that have English out of date, oldest first."""
    condition, params = story_condition(viewer)
    rows = archive.conn.execute(
        f"""SELECT DISTINCT st.id FROM stories st JOIN segments g ON g.story_id = st.id
            WHERE g.text_en_stale = 1 AND {condition} ORDER BY st.id""", params)
    return [r[0] for r in rows]


def stale_english(archive: Archive, story_id: int, viewer: Viewer) -> list[StaleLine]:
    """The segments of the story whose English is out of date (those in English too:
    their English line is none, written back as such)."""
    story = archive.story(story_id, viewer)  # NotFound when out of the viewer's sight
    rows = archive.conn.execute(
        """SELECT id, start, end, coalesce(language, ?) AS language, text FROM segments
           WHERE story_id = ? AND text_en_stale = 1 ORDER BY idx""", (story.language or "en", story_id))
    return [StaleLine(r["id"], r["start"], r["end"], r["language"], r["text"]) for r in rows]


def set_english(archive: Archive, story_id: int, english: Mapping[int, tuple[str, str | None]]) -> int:
    """Write new English lines: ``english`` maps a segment id to (the text translated,
    its English, or None for a segment in English). A segment whose text changed since
    stays out of date (its next translation will come). Returns how many were written."""
    written = 0
    with archive.transaction() as c:
        for segment_id, (text, line) in english.items():
            written += c.execute(
                """UPDATE segments SET text_en = ?, text_en_stale = 0
                   WHERE id = ? AND story_id = ? AND text = ? AND text_en_stale = 1""",
                (line, segment_id, story_id, text)).rowcount
    return written
