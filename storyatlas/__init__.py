"""Story Atlas: a self-hosted archive of spoken stories."""

import os

# numpy's OpenBLAS threads spin for about 0.1 s after each product before they sleep;
# on two cores that starved the sentence encoder's threads, and a fused search that
# encodes its query after one took 100 ms more every few queries (benchmarks/search.py
# --fused: p99 133 ms, 46 ms with this). Read once, when numpy is first imported.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

__version__ = "0.1.0"
