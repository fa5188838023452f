"""Translation into English, the pivot for themes and cross-language search.

Today the English comes from Whisper itself: each non-English chunk's encoder output is
decoded a second time with the ``translate`` task (``engine.Engine._translate``), so it
costs decoding only. A ``Translator`` is anything that turns a recording (and its
transcript) into English segments, so a text MT model can take its place or add other
targets later. Every translation is stored labelled as machine translation.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from storyatlas.transcribe.types import ProgressCallback, Transcript, TranscriptSegment, no_progress


class Translator(Protocol):
    def translate(self, audio: Path, original: Transcript,
                  progress: ProgressCallback = no_progress) -> Transcript: ...


def align(original: Sequence[TranscriptSegment], english: Sequence[TranscriptSegment]) -> list[str | None]:
    """The English text for each original segment.

    Each English segment goes to the original segment it overlaps most in time
    (or the nearest one), so no translated words are lost and each moment keeps
    its own English line.
    """
    texts: list[list[str]] = [[] for _ in original]
    if not original:
        return []
    for seg in english:
        best = max(
            range(len(original)),
            key=lambda i: (_overlap(original[i], seg), -_distance(original[i], seg)),
        )
        texts[best].append(seg.text)
    return [" ".join(t) if t else None for t in texts]


def _overlap(a: TranscriptSegment, b: TranscriptSegment) -> float:
    return max(0.0, min(a.end, b.end) - max(a.start, b.start))


def _distance(a: TranscriptSegment, b: TranscriptSegment) -> float:
    return abs((a.start + a.end) / 2 - (b.start + b.end) / 2)
