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
    language: str | None = None
    """The language spoken in this segment (people switch languages mid-story); None
    when only the story's language is known."""
    low_confidence: bool = False
    """The model was unsure here (low log-probability): a volunteer should listen."""


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

    @property
    def languages(self) -> tuple[str, ...]:
        """Every language spoken, the most spoken (by time) first; ``language`` is the first."""
        spoken: dict[str, float] = {}
        for s in self.segments:
            if s.language:
                spoken[s.language] = spoken.get(s.language, 0.0) + (s.end - s.start)
        return tuple(sorted(spoken, key=lambda lang: -spoken[lang])) or (self.language,)


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
