"""Emerging themes: phrases that recur across many stories but that no theme covers yet,
offered to moderators with example moments, to accept as a theme or dismiss."""

from __future__ import annotations

import math
from dataclasses import dataclass

from storyatlas.archive import Archive, Viewer, tags
from storyatlas.text import fold
from storyatlas.themes import store
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


def suggest(archive: Archive, viewer: Viewer, min_stories: int = 3, limit: int = 20) -> list[Suggestion]:
    """Phrases in at least ``min_stories`` of the stories ``viewer`` moderates, most
    distinctive first."""
    vocabulary = store.vocabulary(archive)
    english_words = {fold(w) for t in vocabulary.themes for p in t.triggers.get("en", ()) for w in p.split()}
    decided = tags.decided_phrases(archive)
    total, rows = tags.phrase_counts(archive, viewer, min_stories)
    total = max(1, total)
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
    return [Suggestion(phrase, n, round(score, 2),
                       tuple(Example(*r) for r in tags.phrase_examples(archive, viewer, phrase)))
            for score, phrase, n in found[:limit]]


def dismiss(archive: Archive, phrase: str) -> None:
    store.decide_phrase(archive, phrase, "dismissed")


def accept(archive: Archive, phrase: str, theme_id: str, label: str, description: str = "") -> Theme:
    """Make a suggested phrase a theme of its own (its first trigger)."""
    theme = Theme(theme_id, label, description, {}, {"en": (phrase,)})
    store.add_theme(archive, theme)
    store.decide_phrase(archive, phrase, "accepted")
    return theme
