"""Speech to time-coded text: faster-whisper transcription, and an English translation
for stories told in other languages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from storyatlas.settings import Settings
from storyatlas.transcribe.translate import Translator, WhisperTranslator, align
from storyatlas.transcribe.types import (
    Progress, ProgressCallback, TranscribeOptions, Transcript, TranscriptSegment, no_progress,
)
from storyatlas.transcribe.whisper import WhisperTranscriber, get_transcriber

__all__ = [
    "Progress", "ProgressCallback", "TranscribeOptions", "Transcript", "TranscriptSegment",
    "TranscriptionResult", "Translator", "WhisperTranscriber", "WhisperTranslator",
    "get_transcriber", "transcribe_story",
]


@dataclass(frozen=True)
class TranscriptionResult:
    transcript: Transcript
    translation: Transcript | None
    english: list[str | None]
    """English text aligned to each transcript segment (None everywhere for English stories)."""


def transcribe_story(audio: Path, settings: Settings, language_hint: str | None = None,
                     progress: ProgressCallback = no_progress) -> TranscriptionResult:
    """Transcribe a story's speech WAV and, when it is not English, translate it.

    Progress fractions run over the whole piece of work (transcription, then translation).
    """
    transcriber = get_transcriber(settings)
    options = TranscribeOptions(language=language_hint, beam_size=settings.beam_size,
                                vad_filter=settings.vad)
    will_translate = settings.translate and transcriber.multilingual and language_hint not in ("en",)
    share = 0.6 if will_translate else 1.0

    def scaled(offset: float, part: float) -> ProgressCallback:
        return lambda p: progress(Progress(p.stage, offset + p.fraction * part, p.message))

    transcript = transcriber.transcribe(audio, options, scaled(0.0, share))
    translation = None
    if will_translate and transcript.language != "en" and transcript.segments:
        translation = WhisperTranslator(transcriber, options).translate(
            audio, transcript, scaled(share, 1.0 - share))
        english = align(transcript.segments, translation.segments)
    else:
        english = [None] * len(transcript.segments)
    progress(Progress("transcribed", 1.0))
    return TranscriptionResult(transcript, translation, english)
