"""Emerging themes: phrases that recur across many stories but that no theme covers yet,
offered to moderators with example moments, to accept as a theme or dismiss."""

from __future__ import annotations

import math
from dataclasses import dataclass

from storyatlas.archive import Archive, tags
from storyatlas.themes.lemmas import fold
from storyatlas.themes.vocabulary import Theme


@dataclass(frozen=True)
class Example:
    story_id: int
    title: str
    start: float
    text: str


@dataclass(frozen=True)
class Suggestion:
    phrase: str
    stories: int
    score: float
    examples: tuple[Example, ...]


def _covered(phrase: str, english_words: set[str]) -> bool:
    return any(word in english_words for word in phrase.split())


def suggest(archive: Archive, min_stories: int = 3, limit: int = 20) -> list[Suggestion]:
    """Phrases in at least ``min_stories`` stories, most distinctive first."""
    vocabulary = tags.vocabulary(archive)
    english_words = {fold(w) for t in vocabulary.themes for p in t.triggers.get("en", ()) for w in p.split()}
    decided = {r[0] for r in archive.conn.execute("SELECT phrase FROM theme_suggestions")}
    total = max(1, archive.conn.execute("SELECT count(DISTINCT story_id) FROM phrases").fetchone()[0])
    rows = archive.conn.execute(
        """SELECT phrase, count(DISTINCT story_id) AS n FROM phrases GROUP BY phrase
           HAVING n >= ? ORDER BY n DESC, phrase LIMIT 2000""", (min_stories,)).fetchall()
    found = []
    for phrase, n in rows:
        if phrase in decided or _covered(phrase, english_words) or len(phrase) < 3:
            continue
        if n > total / 2:  # in most stories: part of how people talk, not a theme
            continue
        # longer phrases and rarer ones say more
        score = n * math.log(1 + total / n) * (1 + 0.5 * (phrase.count(" ")))
        found.append((score, phrase, n))
    found.sort(key=lambda f: (-f[0], f[1]))
    return [Suggestion(phrase, n, round(score, 2), tuple(_examples(archive, phrase)))
            for score, phrase, n in found[:limit]]


def _examples(archive: Archive, phrase: str, count: int = 3) -> list[Example]:
    rows = archive.conn.execute(
        """SELECT p.story_id, st.title, s.start, coalesce(s.text_en, s.text) FROM phrases p
           JOIN segments s ON s.id = p.segment_id JOIN stories st ON st.id = p.story_id
           WHERE p.phrase = ? GROUP BY p.story_id ORDER BY p.story_id LIMIT ?""", (phrase, count))
    return [Example(*r) for r in rows]


def dismiss(archive: Archive, phrase: str) -> None:
    archive.conn.execute(
        "INSERT INTO theme_suggestions (phrase, status) VALUES (?, 'dismissed') "
        "ON CONFLICT(phrase) DO UPDATE SET status = 'dismissed'", (phrase,))


def accept(archive: Archive, phrase: str, theme_id: str, label: str, description: str = "") -> Theme:
    """Make a suggested phrase a theme of its own (its first trigger)."""
    theme = Theme(theme_id, label, description, {}, {"en": (phrase,)})
    tags.add_theme(archive, theme)
    archive.conn.execute(
        "INSERT INTO theme_suggestions (phrase, status) VALUES (?, 'accepted') "
        "ON CONFLICT(phrase) DO UPDATE SET status = 'accepted'", (phrase,))
    return theme
