"""Typed, frozen option and result objects of the transcription stage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from storyatlas.archive.records import Word


@dataclass(frozen=True)
class TranscribeOptions:
    language: str | None = None
    """ISO 639-1 code; None detects it."""
    task: str = "transcribe"
    """``transcribe`` (in the spoken language) or ``translate`` (into English)."""
    beam_size: int = 5
    vad_filter: bool = True
    word_timestamps: bool = True


@dataclass(frozen=True)
class TranscriptSegment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    avg_logprob: float | None = None
    no_speech_prob: float | None = None


@dataclass(frozen=True)
class Transcript:
    """A whole transcript, with how it was made."""

    task: str
    language: str
    language_probability: float | None
    duration_s: float
    segments: tuple[TranscriptSegment, ...]
    model: str
    options: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)


@dataclass(frozen=True)
class Progress:
    """How far a long piece of work has got."""

    stage: str
    fraction: float
    """0..1 of this stage."""
    message: str | None = None


ProgressCallback = Callable[[Progress], None]


def no_progress(_: Progress) -> None:
    return None
