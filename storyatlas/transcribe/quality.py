"""Keeping invented text out: Whisper, given silence, noise or music, writes plausible
sentences, and once it starts repeating a line it may go on repeating it.

The rules are faster-whisper's (and OpenAI's) thresholds, applied per decoded chunk:
a decoding that is too repetitive (gzip compression ratio) or too unsure (average
log-probability) is tried again at rising temperatures; one the model itself calls
"no speech" while unsure is dropped; a chunk whose lines repeat one another is decoded
again and, if it still repeats, the repeats are dropped.
"""

from __future__ import annotations

import unicodedata
import zlib
from dataclasses import dataclass

from storyatlas.transcribe.types import TranscribeOptions


@dataclass(frozen=True)
class Decoding:
    """One decoding of one chunk: its tokens and what faster-whisper judges it by."""

    tokens: tuple[int, ...]
    text: str
    avg_logprob: float
    no_speech_prob: float
    temperature: float

    @property
    def compression_ratio(self) -> float:
        return compression_ratio(self.text)


def compression_ratio(text: str) -> float:
    """Bytes over gzip-compressed bytes: above 2.4, text is repeating itself."""
    data = text.strip().encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def is_silence(d: Decoding, options: TranscribeOptions) -> bool:
    """The model says there is no speech here, and what it wrote it wrote unsure."""
    return d.no_speech_prob > options.no_speech_threshold and d.avg_logprob < options.log_prob_threshold


def needs_another_try(d: Decoding, options: TranscribeOptions) -> bool:
    """faster-whisper's temperature fallback rule (generate_with_fallback)."""
    if is_silence(d, options):
        return False
    return d.compression_ratio > options.compression_ratio_threshold or d.avg_logprob < options.log_prob_threshold


def best_of_tries(tries: list[Decoding], options: TranscribeOptions) -> Decoding:
    """When every temperature failed: the surest decoding among those that do not repeat
    themselves (faster-whisper's choice)."""
    calm = [d for d in tries if d.compression_ratio <= options.compression_ratio_threshold]
    return max(calm or tries, key=lambda d: d.avg_logprob)


def normalised(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join("".join(c if c.isalnum() else " " for c in text).split())


def repeats(texts: list[str]) -> list[bool]:
    """For each line, whether it repeats the line before it (a decoding loop's mark)."""
    marks = [False] * len(texts)
    for i in range(1, len(texts)):
        here = normalised(texts[i])
        marks[i] = bool(here) and here == normalised(texts[i - 1])
    return marks


def looping(texts: list[str], options: TranscribeOptions) -> bool:
    """A line repeats the one before it, or the whole is too repetitive to be speech."""
    return any(repeats(texts)) or compression_ratio(" ".join(texts)) > options.compression_ratio_threshold


def without_loops(texts: list[str], options: TranscribeOptions) -> list[bool]:
    """Which lines to keep of a decoding that still loops after every retry: no line that
    repeats the one before, and no line that is itself a loop."""
    marks = repeats(texts)
    return [not marks[i] and compression_ratio(t) <= options.compression_ratio_threshold
            for i, t in enumerate(texts)]
