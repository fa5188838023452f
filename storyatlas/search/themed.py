"""Search through themes: a query's words, in any of the vocabulary's languages, call up
the themes they trigger, and so the stories tagged with them in other languages."""

from __future__ import annotations

import json
import sqlite3

from storyatlas.search.query import fold, query_words


def query_themes(conn: sqlite3.Connection, text: str) -> tuple[str, ...]:
    """Themes with a trigger made of the query's words (all of a phrase's words present)."""
    words = query_words(text)
    if not words:
        return ()
    found = []
    for theme_id, triggers in conn.execute("SELECT id, triggers FROM themes ORDER BY id"):
        for phrases in json.loads(triggers).values():
            if any(phrase and all(fold(w) in words for w in phrase.split()) for phrase in phrases):
                found.append(theme_id)
                break
    return tuple(found)


def theme_evidence(conn: sqlite3.Connection, theme_ids: tuple[str, ...], story_ids: list[int]) -> dict[int, list[int]]:
    """Per story, the segments that justify the given themes, in story order."""
    if not theme_ids or not story_ids:
        return {}
    rows = conn.execute(
        f"""SELECT e.story_id, e.segment_id FROM theme_evidence e JOIN segments s ON s.id = e.segment_id
            WHERE e.theme_id IN ({','.join('?' * len(theme_ids))})
              AND e.story_id IN (SELECT value FROM json_each(?))
            GROUP BY e.segment_id ORDER BY e.story_id, s.idx""",
        (*theme_ids, json.dumps(story_ids)))
    evidence: dict[int, list[int]] = {}
    for story_id, segment_id in rows:
        evidence.setdefault(story_id, []).append(segment_id)
    return evidence
