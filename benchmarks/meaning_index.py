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
takes), for a share of the lists probed. Then the same for "others lived this too": the
12 stories closest to a story (runs of 40 segments) when each of its passages probes its
own closest lists.
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


def kindred_recall(matrix: np.ndarray, share: float, k: int = 12, per_story: int = 40,
                   stories: int = 40) -> tuple[float, float]:
    """(recall of the ``k`` stories closest to a story, rows compared a passage / all
    rows) when each of its passages is compared with the vectors of its own closest lists
    only (``Lists.probed``), as "others lived this too" does; stories are runs of
    ``per_story`` segments, a story's closeness to another its passages' closest pair."""
    order, found = lists.build(matrix)
    reordered, owner = matrix[order], order // per_story
    probes = max(1, round(share * len(found.centroids)))
    hits, compared = 0, 0
    for story in np.random.default_rng(SEED).choice(len(matrix) // per_story, size=stories, replace=False):
        mine = matrix[story * per_story:(story + 1) * per_story]
        exact = _closest_stories((matrix @ mine.T).max(axis=1), np.arange(len(matrix)) // per_story, story, k)
        best = np.full(len(matrix), -np.inf, np.float32)
        for a, b, who in found.probed(mine, probes):
            best[a:b] = (reordered[a:b] @ mine[who].T).max(axis=1)
            compared += (b - a) * len(who)
        hits += len(exact & _closest_stories(best, owner, story, k))
    return hits / (k * stories), compared / (per_story * stories * len(matrix))


def _closest_stories(scores: np.ndarray, owner: np.ndarray, story: int, k: int) -> set[int]:
    top: dict[int, float] = {}
    for i in np.argsort(-scores):
        if owner[i] != story and np.isfinite(scores[i]) and owner[i] not in top:
            top[int(owner[i])] = float(scores[i])
            if len(top) == k:
                break
    return set(top)


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
    print(f"\n\"others lived this too\": the 12 stories closest to a story of 40 passages, each passage "
          f"probing its own closest lists (the archive: {lists.KINDRED_PROBED:.0%})")
    print(f"{'share probed':>13}{'recall@12':>11}{'rows compared':>15}")
    for share in sorted({0.01, 0.02, lists.KINDRED_PROBED, 0.05, lists.PROBED}):
        found, compared = kindred_recall(matrix, share)
        print(f"{share:>13.1%}{found:>11.3f}{compared:>14.1%}")


if __name__ == "__main__":
    main()
