"""Reading what stories were tagged with: themes, their evidence, entities, phrases, and
counts of them. Every read that reaches a story takes a ``Viewer`` and applies the
access policy; the themes package writes these tables (``themes.store``)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from storyatlas.archive import Archive
from storyatlas.archive.policy import Viewer, moderated_condition, story_condition
from storyatlas.text import fold


@dataclass(frozen=True)
class StoryTheme:
    theme_id: str
    score: float
    segments: tuple[int, ...]
    """Segment ids that justify it."""


def theme_rows(archive: Archive) -> list[sqlite3.Row]:
    """The vocabulary as stored (no story data)."""
    return archive.conn.execute("SELECT * FROM themes ORDER BY id").fetchall()


def vocabulary_generation(archive: Archive) -> int:
    return archive.conn.execute("SELECT n FROM vocabulary_generation").fetchone()[0]


def theme_triggers(archive: Archive) -> list[tuple[str, dict[str, list[str]]]]:
    """(theme id, trigger words per language) of every theme."""
    return [(r["id"], json.loads(r["triggers"])) for r in theme_rows(archive)]


def story_themes(archive: Archive, story_id: int, viewer: Viewer) -> list[StoryTheme]:
    archive.story(story_id, viewer)
    rows = archive.conn.execute(
        """SELECT t.theme_id, t.score, group_concat(DISTINCT e.segment_id) FROM story_themes t
           LEFT JOIN theme_evidence e ON e.story_id = t.story_id AND e.theme_id = t.theme_id
           WHERE t.story_id = ? GROUP BY t.theme_id ORDER BY t.score DESC, t.theme_id""", (story_id,)).fetchall()
    return [StoryTheme(r[0], r[1], tuple(sorted(int(x) for x in (r[2] or "").split(",") if x))) for r in rows]


def story_entities(archive: Archive, story_id: int, viewer: Viewer) -> list[dict]:
    archive.story(story_id, viewer)
    rows = archive.conn.execute(
        """SELECT e.kind, e.text, e.country, e.normalized, s.start FROM entities e
           JOIN segments s ON s.id = e.segment_id WHERE e.story_id = ? ORDER BY s.idx""", (story_id,))
    return [dict(r) for r in rows]


def known_places(archive: Archive, viewer: Viewer) -> dict[str, tuple[str, str | None]]:
    """Folded community or region name -> (its name, its country), from the stories
    ``viewer`` may see (the tagger matches places named in a story against them)."""
    where, params = story_condition(viewer)
    known: dict[str, tuple[str, str | None]] = {}
    for community, region, country in archive.conn.execute(
            f"SELECT DISTINCT st.community, st.region, st.country FROM stories st WHERE {where}", params):
        for name in (community, region):
            if name:
                known.setdefault(fold(name), (name, country))
    return known


def theme_counts(archive: Archive, viewer: Viewer) -> dict[str, int]:
    where, params = story_condition(viewer)
    return dict(archive.conn.execute(
        f"""SELECT t.theme_id, count(*) FROM story_themes t JOIN stories st ON st.id = t.story_id
            WHERE {where} GROUP BY t.theme_id""", params).fetchall())


def theme_evidence(archive: Archive, theme_ids: Sequence[str], story_ids: Sequence[int],
                   viewer: Viewer) -> dict[int, list[int]]:
    """Per story ``viewer`` may see, the segments that justify the given themes, in story order."""
    if not theme_ids or not story_ids:
        return {}
    where, params = story_condition(viewer)
    rows = archive.conn.execute(
        f"""SELECT e.story_id, e.segment_id FROM theme_evidence e JOIN segments s ON s.id = e.segment_id
            JOIN stories st ON st.id = e.story_id
            WHERE e.theme_id IN ({','.join('?' * len(theme_ids))})
              AND e.story_id IN (SELECT value FROM json_each(?)) AND {where}
            GROUP BY e.segment_id ORDER BY e.story_id, s.idx""",
        (*theme_ids, json.dumps(list(story_ids)), *params))
    evidence: dict[int, list[int]] = {}
    for story_id, segment_id in rows:
        evidence.setdefault(story_id, []).append(segment_id)
    return evidence


def themes_of(archive: Archive, theme_ids: Sequence[str], story_ids: Sequence[int],
              viewer: Viewer) -> dict[int, tuple[str, ...]]:
    """Which of ``theme_ids`` each story ``viewer`` may see has, best first."""
    if not theme_ids or not story_ids:
        return {}
    where, params = story_condition(viewer)
    found: dict[int, list[str]] = {}
    for sid, theme_id in archive.conn.execute(
        f"""SELECT t.story_id, t.theme_id FROM story_themes t JOIN stories st ON st.id = t.story_id
            WHERE t.theme_id IN ({','.join('?' * len(theme_ids))})
            AND t.story_id IN (SELECT value FROM json_each(?)) AND {where} ORDER BY t.score DESC""",
            (*theme_ids, json.dumps(list(story_ids)), *params)):
        found.setdefault(sid, []).append(theme_id)
    return {sid: tuple(t) for sid, t in found.items()}


# suggested themes: phrases from the stories a moderator moderates ---------------------------

def phrase_counts(archive: Archive, viewer: Viewer, min_stories: int) -> tuple[int, list[tuple[str, int]]]:
    """(stories with phrases, [(phrase, stories)]) among the stories ``viewer`` moderates."""
    where, params = moderated_condition(viewer)
    total = archive.conn.execute(
        f"SELECT count(DISTINCT p.story_id) FROM phrases p JOIN stories st ON st.id = p.story_id WHERE {where}",
        params).fetchone()[0]
    rows = archive.conn.execute(
        f"""SELECT p.phrase, count(DISTINCT p.story_id) AS n FROM phrases p JOIN stories st ON st.id = p.story_id
            WHERE {where} GROUP BY p.phrase HAVING n >= ? ORDER BY n DESC, p.phrase LIMIT 2000""",
        (*params, min_stories)).fetchall()
    return total, [(r[0], r[1]) for r in rows]


def phrase_examples(archive: Archive, viewer: Viewer, phrase: str, count: int = 3) -> list[tuple]:
    """(story id, title, start, text) of moments with ``phrase`` in stories ``viewer`` moderates."""
    where, params = moderated_condition(viewer)
    return archive.conn.execute(
        f"""SELECT p.story_id, st.title, s.start, coalesce(s.text_en, s.text) FROM phrases p
            JOIN segments s ON s.id = p.segment_id JOIN stories st ON st.id = p.story_id
            WHERE p.phrase = ? AND {where} GROUP BY p.story_id ORDER BY p.story_id LIMIT ?""",
        (phrase, *params, count)).fetchall()


def decided_phrases(archive: Archive) -> set[str]:
    return {r[0] for r in archive.conn.execute("SELECT phrase FROM theme_suggestions")}
