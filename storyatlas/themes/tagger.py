"""Tagging a story: themes from trigger words in its own language and in its English
translation, from the meaning of each passage and from the themes people gave the
labelled stories nearest to it (examples.py), each theme pointing at the segments that
justify it; and the places, organisations, people and dates named in it."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from storyatlas.themes import english, meaning
from storyatlas.themes.examples import PROBE_RIDGE, Examples, shipped
from storyatlas.themes.lemmas import fold, lemmatizer
from storyatlas.themes.places import PlaceNames
from storyatlas.themes.vocabulary import LANGUAGES, Vocabulary

# A passage (up to PASSAGE segments) is given its likeliest theme if its probability
# reaches FIRST_THRESHOLD, and each further theme whose probability reaches THRESHOLD, at
# most MAX_PER_PASSAGE in all; a long story is the union of its passages. Chosen by
# cross-fitting (benchmarks/themes.py: each file judged with weights and examples from
# the others), looking most at the sets written blind with drawn themes (stories-4..7),
# which are what new stories were like: the blind sets were judged at 0.704 / 0.727,
# 0.740 / 0.808, 0.789 / 0.818 and 0.796 / 0.768 with the tagger of their day, precision
# the short side each time. A bias per theme and a words weight per language (Weights)
# took stories-4..6 cross-fitted from 0.820 / 0.755 to 0.849 / 0.786 (the bias learns that
# family, housing and health are mentioned far more often than they are the subject, so
# "family" needs no bar of its own), and 0.3 / 0.45 instead of 0.25 / 0.4 to 0.867 / 0.781;
# the linear reading of the examples (Examples.probe) then took stories-4..7 from
# 0.848 / 0.773 to 0.889 / 0.827, every language's precision at least 0.85 and recall at
# least 0.78 (0.3 / 0.5: 0.893 / 0.814). Judged blind, the next two sets fell short on
# recall more often than on precision (French, Spanish, Italian), so with stories-4..9 as
# the blind sets (432 stories) a second theme comes from 0.4: 0.872 / 0.802, every
# language at least 0.83 / 0.75, against 0.885 / 0.792 and 0.85 / 0.73 from 0.45; refitted
# on stories-1..11 with each passage's meaning read from both its texts, 0.25-0.35 and
# 0.35-0.45 were all within 0.015 of 0.3 / 0.4 (0.896 / 0.810). Only 19 of the 432 labelled
# stories of stories-1..5 have three themes: at most two.
PASSAGE = 12
FIRST_THRESHOLD = 0.3
THRESHOLD = 0.4
MAX_PER_PASSAGE = 2
# a story is about something: one that no passage reaches a theme in keeps its likeliest
# from 0.25. Five of held-apart-11's 144 stories got no theme at all (nine labels lost);
# cross-fitted over stories-1..14 the rule found 5 more of 2,167 labels for 3 more wrong
# themes (0.892 / 0.822 -> 0.891 / 0.825; from 0.2: 7 for 6, from 0.1: 7 for 13)
STORY_THRESHOLD = 0.25
# a phrase of several words is stronger evidence than one word; each further use of a
# trigger already counted adds a little
PHRASE_WEIGHT = 2.0
REPEAT_WEIGHT = 0.25


@dataclass(frozen=True)
class Weights:
    """How the evidence for a theme in a passage becomes its probability (logistic).

    Fitted on the labelled stories of tests/data/themes by ``benchmarks/themes.py --fit``
    (each file read with the examples of the other files, as a new story meets examples
    that are not itself), which also measures them on each file while fitting on the others.
    """
    meaning: float
    """per unit of closeness to the theme's label and description (a z-score against the
    background, see meaning.py)"""
    words: float
    """per unit of trigger-word score on the side (own words, translation) where it is highest"""
    agreement: float
    """per unit of the score on the other side: both sides saying it"""
    lead: float
    """per unit of closeness behind the passage's closest theme (zero or negative)"""
    keywords: float
    """per unit of closeness to the theme's English trigger words read as one text"""
    keywords_lead: float
    """the same, behind the passage's closest theme by its words"""
    examples: float
    """per unit of the share of the nearest labelled passages given the theme (examples.py)"""
    probe: float
    """per unit of the theme read linearly from the passage's meaning (``Examples.probe``)"""
    bias: float
    theme_bias: dict[str, float] = field(default_factory=dict)
    """added to ``bias`` for a theme: how much more (above zero) or less often a passage
    is about it than its evidence alone says (a theme without one: zero)"""
    language: dict[str, tuple[float, float]] = field(default_factory=dict)
    """added to ``words`` and ``keywords`` for a story told in this language: how far its
    trigger words and its translation's words can be trusted (another language: zero)"""

    def probability(self, features: np.ndarray, theme_ids: Sequence[str] = (),
                    language: str | None = None) -> np.ndarray:
        words, keywords = self.language.get(language or "", (0.0, 0.0))
        w = np.array([self.meaning, self.words + words, self.agreement, self.lead, self.keywords + keywords,
                      self.keywords_lead, self.examples, self.probe])
        bias = self.bias + np.array([self.theme_bias.get(t, 0.0) for t in theme_ids]) if theme_ids else self.bias
        return 1.0 / (1.0 + np.exp(-(features @ w + bias)))

    @classmethod
    def read(cls, fitted: dict) -> Weights:
        return cls(**{**fitted, "language": {k: tuple(v) for k, v in fitted.get("language", {}).items()}})


def write_weights(path: Path, weights: Weights, without_examples: Weights) -> None:
    path.write_text(json.dumps({"examples": asdict(weights), "without_examples": asdict(without_examples)},
                               indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _load_weights(path: Path) -> tuple[Weights, Weights]:
    fitted = json.loads(path.read_text(encoding="utf-8"))
    return Weights.read(fitted["examples"]), Weights.read(fitted["without_examples"])


# fitted on every labelled set by ``benchmarks/themes.py --fit`` (which writes the file);
# a theme no labelled story was given (a moderator's new theme, or every theme when the
# examples cannot be read) is decided by weights fitted without the examples' features:
# the full weights lean on the examples, and without them found too little
WEIGHTS, WITHOUT_EXAMPLES = _load_weights(Path(__file__).with_name("weights.json"))

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


@dataclass
class Reading:
    english_texts: list[str]
    pivot: list
    """spaCy's analysis of each segment's English text"""
    hits: dict[str, dict[str, list[tuple[int, str, int]]]]
    """theme -> side ("original", "english") -> (segment, trigger, words in it)"""
    features: list[np.ndarray]
    """per passage, one row per theme (see Tagger._features)"""
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 384), dtype=np.float32))
    """each passage's meaning (``passage_meaning``)"""
    language: str = "en"
    told_texts: list[str] = field(default_factory=list)
    """each segment's text as told (the English texts when none was given)"""

    def with_examples(self, examples: Examples, ids: Sequence[str]) -> Reading:
        """The same reading with the examples' votes taken again from ``examples`` (the
        benchmark's cross-fitting: no story votes on itself)."""
        if not self.features:
            return self
        shares, probes = examples.share(self.vectors, ids), examples.probe(self.vectors, ids)
        features = [np.column_stack([f[:, :-2], shares[n], probes[n]]) for n, f in enumerate(self.features)]
        return replace(self, features=features)


def passage_meaning(english: Sequence[str], told: Sequence[str]) -> np.ndarray:
    """Each passage's meaning: its English and its own words (e5 is multilingual) encoded
    and averaged, so that what a weak translation loses the passage as told still says.
    Cross-fitted over stories-1..11 (``benchmarks/themes.py``) the two read alike with
    faithful translations: 0.901 / 0.812 from the English alone, 0.896 / 0.810 averaged;
    with every English sentence of the other languages losing 40 % of its words
    (``--weak-english 0.4``), as Whisper's translation loses a dam and its floods, the
    English alone fell to 0.869 / 0.734 (German and Italian recall below 0.7) and the
    average held at 0.893 / 0.779. A passage with no translation of its own is encoded
    once."""
    own = [i for i, (en, text) in enumerate(zip(english, told)) if text and text != en]
    vectors = meaning.encode([*english, *(told[i] for i in own)])
    out = vectors[:len(english)].copy()
    if own:
        out[own] += vectors[len(english):]
        out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


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
    def __init__(self, vocabulary: Vocabulary, cache: Path, places: PlaceNames | None = None,
                 weights: Weights = WEIGHTS, examples: Examples | None = None,
                 without_examples: Weights = WITHOUT_EXAMPLES) -> None:
        self.vocabulary = vocabulary
        self.weights = weights
        self.without_examples = without_examples
        self.examples = shipped() if examples is None else examples
        self.cache = cache
        self.places = places or PlaceNames()
        self._indexes = {
            lang: _index({t.id: list(t.triggers.get(lang, ())) for t in vocabulary.themes}) for lang in LANGUAGES
        }

    @property
    def version(self) -> str:
        """A fingerprint of how this tagger decides (weights, thresholds, encoder, examples): a story
        tagged by another one is due for re-tagging, like one tagged with another vocabulary."""
        how = json.dumps([asdict(self.weights), asdict(self.without_examples), FIRST_THRESHOLD, THRESHOLD,
                          STORY_THRESHOLD, MAX_PER_PASSAGE, PASSAGE, PROBE_RIDGE, PHRASE_WEIGHT, REPEAT_WEIGHT,
                          meaning.model_version(), self.examples.stamp])
        return hashlib.sha256(how.encode()).hexdigest()[:12]

    def _lemmatizer(self, lang: str):
        wanted = {part for entries in self._indexes[lang].values() for parts, _, _ in entries for part in parts}
        return lemmatizer(lang, wanted, self.cache)

    def read(self, language: str | None, segments: Sequence[tuple[str, str | None]]) -> Reading:
        """Everything the tagger sees in a story, before it decides on themes.

        ``segments``: (text, English text or None) of each segment, in order.
        """
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
        starts = range(0, len(english_texts), PASSAGE)
        passages = [" ".join(english_texts[start:start + PASSAGE]) for start in starts]
        told_texts = [text for text, _ in segments]
        vectors = passage_meaning(passages, [" ".join(told_texts[start:start + PASSAGE]) for start in starts])
        described, worded = meaning.closeness(vectors, self.vocabulary) if passages else ((), ())
        ids = self.vocabulary.ids()
        shares, probes = self.examples.share(vectors, ids), self.examples.probe(vectors, ids)
        features = [self._features(hits, start, described[n], worded[n], shares[n], probes[n], language == "en")
                    for n, start in enumerate(starts)]
        return Reading(english_texts, pivot, dict(hits), features, vectors, language, told_texts)

    def _features(self, hits: dict, start: int, described: np.ndarray, worded: np.ndarray, shares: np.ndarray,
                  probes: np.ndarray, one_side: bool) -> np.ndarray:
        """One row per theme, in the order of Weights: closeness to the description, words
        on the stronger side, on the weaker side (an English story has one side, counted as
        both), closeness behind the closest theme; closeness to the theme's words, and
        behind the closest by words; the share of the nearest examples given the theme, and
        the theme read linearly from the passage's meaning."""
        rows = []
        for theme_id in self.vocabulary.ids():
            sides = hits.get(theme_id, {})
            own, translated = (_side_score([f for f in sides.get(side, ()) if start <= f[0] < start + PASSAGE])
                               for side in ("original", "english"))
            if one_side:
                translated = own
            rows.append((max(own, translated), min(own, translated)))
        words = np.array(rows, dtype=np.float32).reshape(-1, 2)
        return np.column_stack([described, words, described - described.max(), worded, worded - worded.max(),
                                shares, probes])

    def tag(self, language: str | None, segments: Sequence[tuple[str, str | None]]) -> Tagging:
        """``segments``: (text, English text or None) of each segment, in order."""
        reading = self.read(language, segments)
        entities = tuple(
            self._entity(i, text, label) for i, analysed in enumerate(reading.pivot)
            for text, label in analysed.entities if label in _ENTITY_KINDS
        )
        chunks = tuple((i, c) for i, analysed in enumerate(reading.pivot) for c in analysed.chunks)
        return Tagging(tuple(self.choose(reading)), entities, self.vocabulary.version,
                       {"english": english.model_version(), "lemmas": "spacy-lookups-data",
                        "meaning": meaning.model_version(), "tagger": self.version}, chunks)

    def choose(self, reading: Reading) -> list[ThemeTag]:
        """The themes each passage is about, with the segments that justify them; a story
        no passage reaches a theme in keeps its likeliest one from ``STORY_THRESHOLD``."""
        ids = self.vocabulary.ids()
        chosen: dict[str, ThemeTag] = {}
        unknown = [k for k, theme_id in enumerate(ids) if not self.examples.knows(theme_id)]
        likeliest_of_story = (0.0, 0, 0)  # probability, passage, theme
        closeness: dict[int, np.ndarray] = {}  # each passage's segments' closeness to the themes
        for n, features in enumerate(reading.features):
            probability = self.weights.probability(features, ids, reading.language)
            if unknown:
                probability[unknown] = self.without_examples.probability(
                    features[unknown], [ids[k] for k in unknown], reading.language)
            likeliest = np.argsort(-probability)[:MAX_PER_PASSAGE]
            likeliest_of_story = max(likeliest_of_story, (float(probability[likeliest[0]]), n, int(likeliest[0])))
            for rank, k in enumerate(likeliest):
                if probability[k] >= (THRESHOLD if rank else FIRST_THRESHOLD):
                    self._keep(chosen, reading, n, int(k), float(probability[k]), closeness)
        score, n, k = likeliest_of_story
        if not chosen and score >= STORY_THRESHOLD:
            self._keep(chosen, reading, n, k, score, closeness)
        return sorted(chosen.values(), key=lambda t: (-t.score, t.theme_id))

    def _keep(self, chosen: dict[str, ThemeTag], reading: Reading, n: int, k: int, probability: float,
              closeness: dict[int, np.ndarray]) -> None:
        """Keep theme ``k`` of passage ``n``, with its evidence: the segments whose words
        say it, or the passage's segment closest to it in meaning (``closeness`` keeps
        each passage's, encoded once)."""
        theme_id = self.vocabulary.ids()[k]
        start = n * PASSAGE
        found = [(side, f) for side, items in reading.hits.get(theme_id, {}).items() for f in items
                 if start <= f[0] < start + PASSAGE]
        evidence = tuple(Evidence(i, trigger, side) for side, (i, trigger, _) in found)
        if not evidence:  # found through meaning alone: the passage's closest segment
            texts = reading.english_texts[start:start + PASSAGE]
            closest = 0
            if len(texts) > 1:
                if n not in closeness:
                    told = reading.told_texts[start:start + PASSAGE] or texts
                    closeness[n] = sum(meaning.closeness(passage_meaning(texts, told), self.vocabulary))
                closest = int(np.argmax(closeness[n][:, k]))
            evidence = (Evidence(start + closest, "", "meaning"),)
        score = round(probability, 3)
        previous = chosen.get(theme_id)
        if previous is not None:
            evidence, score = previous.evidence + evidence, max(score, previous.score)
        chosen[theme_id] = ThemeTag(theme_id, score, evidence)

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
