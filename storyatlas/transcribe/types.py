"""Typed, frozen option and result objects of the transcription stage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from storyatlas.archive.records import Word


@dataclass(frozen=True)
class TranscribeOptions:
    """How a recording is transcribed; recorded with every transcript (``Transcript.options``).

    The defaults are faster-whisper's where it has one; the others were measured on this
    project's 2-core machine with the base model (figures beside each)."""

    language: str | None = None
    """ISO 639-1 code that forces every passage's language; None detects it per chunk."""
    task: str = "transcribe"
    """``transcribe`` (in the spoken language) or ``translate`` (into English)."""
    beam_size: int = 5
    vad_filter: bool = True
    """Only voice-activity chunks reach the model; off, every chunk_s of audio is a chunk
    (then only the no-speech threshold keeps text off silence and noise)."""
    word_timestamps: bool = True
    translate: bool = True
    """Also decode each non-English chunk's encoder output with the translate task."""
    batch_size: int = 8
    """Chunks of one language decoded together (CTranslate2 batches the beam search): a
    chunk's decoding cost 1.35 s alone, 0.70 s in a batch of 4, 0.51 s in 8, 0.50 s in 16."""
    chunk_s: float = 30.0
    """Longest voice-activity chunk: Whisper's window."""
    window_s: float = 300.0
    """Audio read, detected and decoded at a time; a checkpoint follows each window."""
    vad_threshold: float = 0.5
    vad_min_silence_ms: int = 160
    """Pauses this long end a detector's span (BatchedInferencePipeline's value): where a
    language may change."""
    vad_pad_ms: int = 400
    keep_pause_s: float = 1.2
    """Pauses shorter than this stay in what the model hears; longer ones are cut down to
    twice the padding (cutting the 1 s pauses of the espeak German story cost its words;
    keeping up to 2 s made 10% more chunks for no fewer errors)."""
    compression_ratio_threshold: float = 2.4
    log_prob_threshold: float = -1.0
    no_speech_threshold: float = 0.6
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    """The first decodes every chunk (beam search); the others, sampled, only a chunk that
    failed a threshold or looped."""
    best_of: int = 5
    low_confidence_logprob: float = -1.0
    """Segments whose average log-probability is below this are marked low_confidence."""
    language_split_below: float = 0.8
    """A chunk whose language is detected with less confidence than this may hold two:
    the language of each of its phrases is then detected alone."""
    language_second_above: float = 0.04
    """A chunk whose second most likely language is detected with at least this
    probability may hold both, however sure the first: its phrases are then detected
    alone and may be either (1.0: never). On real clips of one language joined into a
    chunk the second language had at most 0.054 (35 of 36 below 0.04); of 39 chunks of a
    clip in one language then one in another, detected surely as one, 17 gave the other
    0.04 or more and 15 under 0.01 (README, *Short stories that switch languages*)."""


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
class RunStats:
    """What one transcription run cost: how a resumed run proves it did only what was left,
    and how one encoder pass per chunk shows."""

    windows: int = 0
    chunks: int = 0
    """Voice-activity chunks decoded (after language splits)."""
    encoder_calls: int = 0
    encoded: int = 0
    """30 s windows through the encoder (chunks, language-split halves, continuations)."""
    transcribe_decodes: int = 0
    translate_decodes: int = 0
    fallbacks: int = 0
    """Chunks decoded again at higher temperatures (unsure, repetitive or looping)."""
    continuations: int = 0
    """Chunks whose decoding stopped early and was continued from its last timestamp."""
    phrases_detected: int = 0
    """Phrases whose language was detected alone (windows where languages may mix)."""
    rechunked: int = 0
    """Chunks formed again, one language each, from chunks that mixed two."""
    audio_s: float = 0.0
    """Seconds of the recording read in this run."""
    speech_s: float = 0.0
    """Of which speech (what the model heard)."""
    started_at_s: float = 0.0
    """Where this run started: 0, or where a checkpoint left off."""
    vad_s: float = 0.0
    encode_s: float = 0.0
    decode_s: float = 0.0
    """Wall seconds in voice detection, the encoder, and decoding (every task and retry)."""
    align_s: float = 0.0


@dataclass(frozen=True)
class TranscriptionResult:
    transcript: Transcript
    translation: Transcript | None
    english: list[str | None]
    """English text aligned to each transcript segment (None for segments in English)."""
    stats: RunStats = field(default_factory=RunStats)


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
