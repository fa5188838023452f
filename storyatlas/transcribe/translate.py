"""Translation into English, the pivot for themes and cross-language search.

Today the only local translation model is Whisper's own ``translate`` task, which
works from the audio. A ``Translator`` is anything that turns a recording (and its
transcript) into English segments, so a text MT model can take its place later.
Every translation is stored labelled as machine translation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from storyatlas.transcribe.types import (
    ProgressCallback, TranscribeOptions, Transcript, TranscriptSegment, no_progress,
)
from storyatlas.transcribe.whisper import WhisperTranscriber


class Translator(Protocol):
    def translate(self, audio: Path, original: Transcript,
                  progress: ProgressCallback = no_progress) -> Transcript: ...


class WhisperTranslator:
    def __init__(self, transcriber: WhisperTranscriber, options: TranscribeOptions) -> None:
        self.transcriber = transcriber
        self.options = replace(options, task="translate", word_timestamps=False)

    def translate(self, audio: Path, original: Transcript,
                  progress: ProgressCallback = no_progress) -> Transcript:
        # tell Whisper the source language it already found, so it does not guess again
        options = replace(self.options, language=original.language)
        return self.transcriber.transcribe(audio, options, progress)


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
