"""How often searching the meaning vectors by lists misses what the exact search finds.

    python benchmarks/meaning_index.py [--segments 20000] [--cache /tmp/vectors.npy]

Above 200,000 vectors the archive compares a query with the vectors of its closest lists
only (storyatlas/meaning/lists.py): about the square root of the number of vectors as
lists, the closest tenth of them probed. Random vectors (what
benchmarks/search.py --fused times at a million) have no neighbourhoods, so this measures
the misses on real e5 vectors instead: the synthetic multilingual segments of
benchmarks/search.py (its words, its six languages), encoded by the archive's encoder,
and, as queries, every theme's name in the six languages and a few hundred of the
segments themselves. Embedding a million segments is out of reach on two cores (60 a
second), so the set is smaller, with the lists scaled to it (the square root again);
each row prints recall against the exact search, at 10 and at 300 (what the fused search
takes), for a share of the lists probed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from search import SEED, WORDS, Language  # noqa: E402  (storyatlas first: how numpy's threads wait)

import numpy as np  # noqa: E402, I001

from storyatlas.meaning import lists  # noqa: E402
from storyatlas.themes import default_vocabulary  # noqa: E402
from storyatlas.themes import meaning as encoder  # noqa: E402


def corpus(n: int, cache: Path | None) -> np.ndarray:
    if cache and cache.exists():
        found = np.load(cache)
        if len(found) >= n:
            return found[:n]
    rng = random.Random(SEED)
    languages = [Language(lang, rng) for lang in WORDS]
    texts = [languages[i % len(languages)].sentence(rng) for i in range(n)]
    started = time.perf_counter()
    made = np.vstack([encoder.encode(texts[at:at + 64]) for at in range(0, n, 64)]).astype(np.float32)
    print(f"encoded {n:,} segments in {time.perf_counter() - started:.0f} s")
    if cache:
        np.save(cache, made)
    return made


def queries(matrix: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    vocabulary = default_vocabulary()
    names = [label for theme in vocabulary.themes
             for label in (theme.label, *(theme.labels.get(lang, "") for lang in WORDS if lang != "en")) if label]
    asked = encoder.encode(names, query=True).astype(np.float32)
    own = matrix[rng.choice(len(matrix), size=300, replace=False)]
    return np.vstack([asked, own])


def recall(matrix: np.ndarray, asked: np.ndarray, share: float, k: int) -> float:
    order, found = lists.build(matrix)
    reordered = matrix[order]
    probes = max(1, round(share * len(found.centroids)))
    hits = 0
    for q in asked:
        exact = set(np.argpartition(-(matrix @ q), k)[:k].tolist())
        rows = np.concatenate([np.arange(a, b) for a, b in found.slices(q, probes)])
        scores = reordered[rows] @ q
        best = rows[np.argpartition(-scores, min(k, len(rows) - 1))[:k]] if len(rows) > k else rows
        hits += len(exact & set(order[best].tolist()))
    return hits / (k * len(asked))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--segments", type=int, default=20_000)
    parser.add_argument("--cache", type=Path, help="keep the encoded segments here")
    args = parser.parse_args()
    matrix = corpus(args.segments, args.cache)
    asked = queries(matrix, np.random.default_rng(SEED))
    print(f"{len(matrix):,} e5 vectors, {lists.how_many_lists(len(matrix))} lists, {len(asked)} queries "
          f"(theme names in six languages and segments); the archive probes {lists.PROBED:.0%} of the lists")
    print(f"{'share probed':>13}{'recall@10':>11}{'recall@300':>12}")
    for share in sorted({0.01, 0.02, 0.032, 0.05, lists.PROBED, 0.2}):
        print(f"{share:>13.1%}{recall(matrix, asked, share, 10):>11.3f}{recall(matrix, asked, share, 300):>12.3f}")


if __name__ == "__main__":
    main()
