"""Tagging a story: themes from trigger words in its own language and in its English
translation, each theme pointing at the segments that justify it; and the places,
organisations, people and dates named in it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from storyatlas.themes import english, meaning
from storyatlas.themes.lemmas import fold, lemmatizer
from storyatlas.themes.places import PlaceNames
from storyatlas.themes.vocabulary import LANGUAGES, Vocabulary

# How a theme's score is made, and when it is given. The numbers were chosen on the
# labelled stories of tests/data/themes (see benchmarks/themes.py and the README).
PHRASE_WEIGHT = 2.0
# each further use of a trigger already counted adds a little
REPEAT_WEIGHT = 0.25
# the weaker of the two sides (own words, translation) adds half its score
SECOND_SIDE = 0.5
# closeness in meaning to the theme's label and description (cosine) above the floor
MEANING_WEIGHT = 15.0
MEANING_FLOOR = 0.05
# a passage is given the themes that reach THRESHOLD and at least RELATIVE of its best
# theme's score, at most MAX_PER_PASSAGE of them; long stories are read in passages
THRESHOLD = 2.0
RELATIVE = 0.4
MAX_PER_PASSAGE = 2
PASSAGE = 12

_ENTITY_KINDS = {"GPE": "place", "LOC": "place", "FAC": "place", "ORG": "organisation",
                 "NORP": "group", "PERSON": "person", "DATE": "date", "EVENT": "event"}


@dataclass(frozen=True)
class Evidence:
    segment: int
    """Index of the segment in the story."""
    trigger: str
    side: str
    """"original" (the words spoken), "english" (the translation) or "meaning" (the encoder)."""


@dataclass(frozen=True)
class ThemeTag:
    theme_id: str
    score: float
    evidence: tuple[Evidence, ...]

    @property
    def segments(self) -> list[int]:
        return sorted({e.segment for e in self.evidence})


@dataclass(frozen=True)
class EntityTag:
    segment: int
    kind: str
    text: str
    country: str | None = None
    """For places: the country it is in, when known."""
    normalized: str | None = None


@dataclass(frozen=True)
class Tagging:
    themes: tuple[ThemeTag, ...]
    entities: tuple[EntityTag, ...]
    vocabulary_version: str
    models: dict[str, str] = field(default_factory=dict)
    chunks: tuple[tuple[int, str], ...] = ()
    """(segment, lemmatised noun chunk) of the English pivot, for emerging themes."""


def _index(phrases: dict[str, list[str]]) -> dict[str, list[tuple[tuple[str, ...], str, str]]]:
    """First word -> (all words, theme id, trigger) for quick phrase lookup."""
    index: dict[str, list] = defaultdict(list)
    for theme_id, triggers in phrases.items():
        for trigger in triggers:
            parts = tuple(fold(w) for w in trigger.split())
            if parts:
                index[parts[0]].append((parts, theme_id, trigger))
    return index


def _find(candidates: Sequence[tuple[str, ...]], index) -> list[tuple[str, str, int]]:
    """(theme id, trigger, word count) for each trigger occurrence in the words."""
    found = []
    for i, first in enumerate(candidates):
        for word in set(first):
            for parts, theme_id, trigger in index.get(word, ()):
                if all(i + k < len(candidates) and parts[k] in candidates[i + k] for k in range(1, len(parts))):
                    found.append((theme_id, trigger, len(parts)))
    return found


class Tagger:
    def __init__(self, vocabulary: Vocabulary, cache: Path, places: PlaceNames | None = None) -> None:
        self.vocabulary = vocabulary
        self.cache = cache
        self.places = places or PlaceNames()
        self._indexes = {
            lang: _index({t.id: list(t.triggers.get(lang, ())) for t in vocabulary.themes}) for lang in LANGUAGES
        }

    def _lemmatizer(self, lang: str):
        wanted = {part for entries in self._indexes[lang].values() for parts, _, _ in entries for part in parts}
        return lemmatizer(lang, wanted, self.cache)

    def tag(self, language: str | None, segments: Sequence[tuple[str, str | None]]) -> Tagging:
        """``segments``: (text, English text or None) of each segment, in order."""
        language = (language or "en").lower()
        english_texts = [(en if en else text) if language != "en" else text for text, en in segments]
        pivot = english.analyse(english_texts)
        hits: dict[str, dict[str, list]] = defaultdict(lambda: {"original": [], "english": []})
        for i, analysed in enumerate(pivot):
            side = "original" if language == "en" else "english"
            for theme_id, trigger, n in _find(analysed.candidates, self._indexes["en"]):
                hits[theme_id][side].append((i, trigger, n))
        if language != "en" and language in self._indexes:
            lemmas = self._lemmatizer(language)
            for i, (text, _) in enumerate(segments):
                for theme_id, trigger, n in _find(lemmas.candidates(text), self._indexes[language]):
                    hits[theme_id]["original"].append((i, trigger, n))
        themes = self._choose(hits, english_texts)
        entities = tuple(
            self._entity(i, text, label) for i, analysed in enumerate(pivot)
            for text, label in analysed.entities if label in _ENTITY_KINDS
        )
        chunks = tuple((i, c) for i, analysed in enumerate(pivot) for c in analysed.chunks)
        return Tagging(tuple(themes), entities, self.vocabulary.version,
                       {"english": english.model_version(), "lemmas": "spacy-lookups-data",
                        "meaning": meaning.model_version()}, chunks)

    def _choose(self, hits: dict[str, dict[str, list]], english_texts: list[str]) -> list[ThemeTag]:
        """Score every theme passage by passage and keep what each passage is about."""
        if not english_texts:
            return []
        ids = self.vocabulary.ids()
        vectors = meaning.encode(english_texts)
        themes = meaning.theme_vectors(self.vocabulary)
        chosen: dict[str, ThemeTag] = {}
        for start in range(0, len(english_texts), PASSAGE):
            end = start + PASSAGE
            passage = vectors[start:end] @ themes.T
            # the passage as a whole: the direction of its segments together
            centre = vectors[start:end].mean(axis=0)
            centre_sims = (centre / max(float(np.linalg.norm(centre)), 1e-9)) @ themes.T
            scores = {}
            for k, theme_id in enumerate(ids):
                sides = hits.get(theme_id, {})
                side_scores = sorted((_side_score([f for f in found if start <= f[0] < end])
                                      for found in sides.values()), reverse=True) + [0.0, 0.0]
                words = side_scores[0] + SECOND_SIDE * side_scores[1]
                scores[theme_id] = words + MEANING_WEIGHT * max(0.0, float(centre_sims[k]) - MEANING_FLOOR)
            best = max(scores.values())
            kept = sorted((t for t, v in scores.items() if v >= THRESHOLD and v >= RELATIVE * best),
                          key=lambda t: -scores[t])[:MAX_PER_PASSAGE]
            for theme_id in kept:
                found = [(side, f) for side, items in hits.get(theme_id, {}).items() for f in items
                         if start <= f[0] < end]
                evidence = tuple(Evidence(i, trigger, side) for side, (i, trigger, _) in found)
                if not evidence:  # found through meaning alone: the passage's closest segment
                    closest = start + int(np.argmax(passage[:, ids.index(theme_id)]))
                    evidence = (Evidence(closest, "", "meaning"),)
                previous = chosen.get(theme_id)
                score = round(scores[theme_id], 3)
                if previous is None or previous.score < score:
                    evidence = evidence + (previous.evidence if previous else ())
                    chosen[theme_id] = ThemeTag(theme_id, score, evidence)
                else:
                    chosen[theme_id] = ThemeTag(theme_id, previous.score, previous.evidence + evidence)
        return sorted(chosen.values(), key=lambda t: (-t.score, t.theme_id))

    def _entity(self, segment: int, text: str, label: str) -> EntityTag:
        kind = _ENTITY_KINDS[label]
        if kind == "place":
            country, normalized = self.places.normalise(text)
            return EntityTag(segment, kind, text, country, normalized)
        return EntityTag(segment, kind, text)


def _side_score(found: list[tuple[int, str, int]]) -> float:
    distinct = {trigger: n for _, trigger, n in found}
    score = sum(PHRASE_WEIGHT if n > 1 else 1.0 for n in distinct.values())
    return score + REPEAT_WEIGHT * (len(found) - len(distinct))
