"""Labelled passages as examples: which themes people gave the stories nearest in meaning.

A theme's label and description say what it is about, but not where the people who
label draw its line: a story that is really about emigration may say it in two
sentences, and a story that mentions a daughter is not about family. The labelled
stories of tests/data/themes show where the line falls. Each passage's nearest
labelled stories (by multilingual-e5 closeness) vote: the share of the NEIGHBOURS
nearest that were given a theme becomes one more feature of that theme (tagger.py).
Cross-fitted on the four labelled sets (each set judged with examples and weights from
the others only) it lifted precision and recall from 0.83 / 0.77 to 0.86 / 0.81, and
on the set written blind last (stories-4) from 0.70 / 0.73 to 0.79 / 0.79.
The examples shipped are all seventeen labelled sets (stories-1..17; the last three in
Dutch, Portuguese, Romanian and Greek).

The vote is taken on each passage's meaning, its English and its own words averaged
(``tagger.passage_meaning``), the labelled stories' meaning read the same way. Measured
before with the vote on the English alone: a second vote on the passage as told scored
the same on faithful translations (0.865 / 0.812 against 0.861 / 0.807) and was left
out as slower; one vote on the average holds where a translation loses what a passage
is about (measured in ``passage_meaning``), which is worth encoding twice.

The examples are the passages' vectors and themes, encoded once into ``examples.npz``
by ``benchmarks/themes.py --write-examples``; the texts themselves stay in the tests.
A theme added by moderators has no examples yet: its share is zero and the tagger
decides on its words and meaning alone.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from storyatlas import bundled
from storyatlas.themes import meaning

log = logging.getLogger(__name__)
_FILE = "examples.npz"

NEIGHBOURS = 5
"""How many of the nearest labelled passages vote (5 and 10 measured the same within
noise; fewer follows the nearest story more closely)."""
PROBE_RIDGE = 0.3
"""How strongly the linear reading of the themes (``Examples.probe``) is held to zero:
cross-fitted over stories-1..7, 0.1, 0.3 and 0.5 gave precision / recall 0.917 / 0.819,
0.926 / 0.822 and 0.919 / 0.812, 1.0 gave 0.907 / 0.794."""


@dataclass(frozen=True)
class Examples:
    vectors: np.ndarray
    """One unit vector per labelled passage: its meaning (``tagger.passage_meaning``)."""
    themes: tuple[tuple[str, ...], ...]
    """The themes each passage was given."""

    def __len__(self) -> int:
        return len(self.themes)

    @functools.cached_property
    def stamp(self) -> str:
        """Which examples these are: part of the tagger's fingerprint."""
        digest = hashlib.sha256(np.asarray(self.vectors, dtype=np.float16).tobytes())
        digest.update(repr(self.themes).encode())
        return digest.hexdigest()[:12]

    def labels(self, ids: Sequence[str]) -> np.ndarray:
        """Examples x themes: 1 where the example was given the theme."""
        column = {theme_id: k for k, theme_id in enumerate(ids)}
        out = np.zeros((len(self.themes), len(ids)), dtype=np.float32)
        for n, themes in enumerate(self.themes):
            for theme_id in themes:
                if theme_id in column:
                    out[n, column[theme_id]] = 1.0
        return out

    def share(self, vectors: np.ndarray, ids: Sequence[str]) -> np.ndarray:
        """Passages x themes: the share of each passage's NEIGHBOURS nearest examples (by
        the passages' meaning) given each theme."""
        if not len(self.themes):
            return np.zeros((len(vectors), len(ids)), dtype=np.float32)
        k = min(NEIGHBOURS, len(self.themes))
        nearest = np.argsort(-(np.asarray(vectors, dtype=np.float32) @ self.vectors.T), axis=1)[:, :k]
        return self.labels(ids)[nearest].mean(axis=1)

    @functools.cached_property
    def _probe(self) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
        known = sorted({theme_id for themes in self.themes for theme_id in themes})
        x = self.vectors.astype(np.float64)
        y = self.labels(known).astype(np.float64)
        mean = y.mean(axis=0)
        w = np.linalg.solve(x.T @ x + PROBE_RIDGE * np.eye(x.shape[1]), x.T @ (y - mean))
        return {theme_id: k for k, theme_id in enumerate(known)}, w.astype(np.float32), mean.astype(np.float32)

    def knows(self, theme_id: str) -> bool:
        """Whether any example was given this theme."""
        return bool(len(self.themes)) and theme_id in self._probe[0]

    def probe(self, vectors: np.ndarray, ids: Sequence[str]) -> np.ndarray:
        """Passages x themes: each theme read linearly from the passage's meaning,
        by a ridge regression of the themes people gave the examples on theirs; zero for a
        theme no example was given. Where the vote asks which few examples are nearest,
        this weighs every direction of meaning by how it went with each theme over all of
        them: cross-fitted over stories-1..7 it took precision / recall from 0.897 / 0.764
        to 0.926 / 0.822 (the four sets written blind: 0.848 / 0.773 to 0.889 / 0.827)."""
        out = np.zeros((len(vectors), len(ids)), dtype=np.float32)
        if not len(self.themes):
            return out
        column, w, mean = self._probe
        scores = np.asarray(vectors, dtype=np.float32) @ w + mean
        for j, theme_id in enumerate(ids):
            if theme_id in column:
                out[:, j] = scores[:, column[theme_id]]
        return out


def empty() -> Examples:
    return Examples(np.zeros((0, 384), dtype=np.float32), ())


def write(path: Path, examples: Examples) -> None:
    """Save ``examples`` (encoded by this model) for the tagger to load."""
    np.savez_compressed(path, vectors=examples.vectors.astype(np.float16),
                        themes=np.array([" ".join(t) for t in examples.themes]),
                        model=np.array(meaning.model_version()))


@functools.cache
def shipped() -> Examples:
    """The labelled examples beside this module; none when they are missing, damaged or
    were encoded by another model (closeness across two models means nothing)."""
    saved, why = bundled.arrays("storyatlas.themes", _FILE, "model", meaning.model_version())
    if saved is None:
        # the weights count on the examples: without them fewer themes reach the thresholds
        log.warning("%s not usable (%s): tagging without examples; `python benchmarks/themes.py "
                    "--write-examples` encodes them again", _FILE, why)
        return empty()
    return Examples(saved["vectors"].astype(np.float32), tuple(tuple(str(t).split()) for t in saved["themes"]))
