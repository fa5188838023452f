"""What in an e5 vector says which language a text is in, taken out before closeness is read.

multilingual-e5-small puts a text near others in its own language: a Polish query about
dead eels in a river came closer to Polish stories about other things than to the German
story it was written for. The languages' mean vectors differ along a few directions; with
those removed (from the query and from every passage, each made unit length again), a
query is compared by what it says more than by the language it says it in. On the 72
queries about one moment of a held-apart story, each in another language than the
story's (``benchmarks/discovery.py --moments``), meaning alone put first a story told
in the query's own language for 34 before, for 7 after; it put the story in the top ten
for 49 and first for 27 before, 60 and 33 after; the fused search 56 and 29 before, 63
and 35 after (Polish queries 5 and 11 of 12 in the top ten). On the 52 queries of the
real recordings the fused search put one fewer first (45 against 46).

The directions are read from parallel texts the project already has: the shipped
vocabulary's 34 theme names in each of its ten languages ("Housing and rent", "Wohnen
und Miete", ...), encoded as queries. Each language's mean less the mean of all ten
leaves what is the language's alone, the names being the same in each: nine directions
(ten means less their own mean). Encoded once into ``languages.npz``
(``scripts/encode_background.py``), or now (3.4 s on 2 cores, the encoder loaded) when
that file was made by another encoder or from other names.
"""

from __future__ import annotations

import functools
import hashlib
import logging

import numpy as np

from storyatlas import bundled
from storyatlas.themes import meaning as encoder

log = logging.getLogger(__name__)
_FILE = "languages.npz"


def _names() -> tuple[tuple[str, ...], ...]:
    """Each theme's name, language by language, from the shipped vocabulary: an archive's own
    vocabulary may name its themes in fewer languages."""
    from storyatlas.themes.vocabulary import default_vocabulary

    themes = default_vocabulary().themes
    languages = sorted({lang for t in themes for lang in t.labels} | {"en"})
    named = [lang for lang in languages if all(lang == "en" or lang in t.labels for t in themes)]
    return tuple(tuple(t.label if lang == "en" else t.labels[lang] for t in themes) for lang in named)


def stamp() -> str:
    """Which encoder read which names."""
    digest = hashlib.sha256(repr(_names()).encode()).hexdigest()[:16]
    return f"{encoder.model_version()}:{digest}"


def made() -> np.ndarray:
    """The directions, one a row (orthonormal), from the names encoded now."""
    means = np.stack([encoder.encode(list(names), query=True).mean(axis=0) for names in _names()])
    _, spread, directions = np.linalg.svd(means - means.mean(axis=0), full_matrices=False)
    return directions[spread > 1e-6 * spread[0]].astype(np.float32)


def write(path) -> None:
    """Write the directions into ``path`` (run after changing the names or the encoder)."""
    np.savez_compressed(path, directions=made(), stamp=np.array(stamp()))


@functools.cache
def directions() -> np.ndarray:
    """From the shipped file when it was made by this encoder from these names, else now."""
    saved, why = bundled.arrays("storyatlas.meaning", _FILE, "stamp", stamp())
    if saved is not None:
        return saved["directions"].astype(np.float32)
    log.warning("%s not usable (%s): made again now; `python scripts/encode_background.py` writes it", _FILE, why)
    return made()


def neutral(vectors: np.ndarray, in_place: bool = False, chunk: int = 8_192) -> np.ndarray:
    """``vectors`` (rows, float32) without the languages' directions, each of unit length
    again; ``in_place`` for the vectors a search holds (a million rows are 1.5 GB)."""
    kept = vectors if in_place else np.array(vectors, dtype=np.float32)
    along = directions().astype(np.float64)
    for at in range(0, len(kept), chunk):
        # in float64: in float32 a row came out a little otherwise read among many than
        # among few (a vector changed since the rest were read is read alone)
        part = kept[at:at + chunk].astype(np.float64)
        part -= (part @ along.T) @ along
        part /= np.maximum(np.linalg.norm(part, axis=1, keepdims=True), 1e-12)
        kept[at:at + chunk] = part
    return kept
