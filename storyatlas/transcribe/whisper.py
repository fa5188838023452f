"""faster-whisper, behind one small class; the one place its errors are translated."""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import asdict
from importlib import metadata
from pathlib import Path

from storyatlas.archive.records import Word
from storyatlas.errors import ModelError, TranscriptionError
from storyatlas.offline import stay_offline
from storyatlas.settings import Settings
from storyatlas.transcribe.models import ModelSource, resolve_model
from storyatlas.transcribe.types import (
    Progress, ProgressCallback, TranscribeOptions, Transcript, TranscriptSegment, no_progress,
)

log = logging.getLogger(__name__)


@functools.cache
def library_versions() -> dict[str, str]:
    versions = {}
    for dist in ("storyatlas", "faster-whisper", "ctranslate2", "av"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "unknown"
    return versions


class WhisperTranscriber:
    """A Whisper model loaded once and used for many recordings."""

    def __init__(self, source: ModelSource, device: str = "cpu", compute_type: str = "int8",
                 cpu_threads: int = 0) -> None:
        self.source = source
        self.device = device
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):  # faster_whisper.WhisperModel, imported lazily: it is slow to import
        with self._lock:
            if self._model is None:
                stay_offline()
                from faster_whisper import WhisperModel

                log.info("loading Whisper model %s (%s, %s)", self.source.name, self.device, self.compute_type)
                try:
                    self._model = WhisperModel(
                        str(self.source.path), device=self.device, compute_type=self.compute_type,
                        cpu_threads=self.cpu_threads, local_files_only=True,
                    )
                except (RuntimeError, ValueError, OSError) as e:
                    raise ModelError(
                        f"cannot load the Whisper model {self.source.name} from {self.source.path}: {e}"
                    ) from e
            return self._model

    @property
    def multilingual(self) -> bool:
        return bool(self.model.model.is_multilingual)

    def transcribe(self, audio: Path, options: TranscribeOptions,
                   progress: ProgressCallback = no_progress) -> Transcript:
        """Transcribe (or translate into English) a recording, reporting progress per segment."""
        if not self.multilingual:
            if options.task == "translate":
                raise ModelError(f"the model {self.source.name} is English-only and cannot translate; use --model base")
            if options.language not in (None, "en"):
                raise ModelError(
                    f"the model {self.source.name} only understands English, not {options.language!r}; use --model base"
                )
            options = TranscribeOptions(**{**asdict(options), "language": "en"})
        stage = "translating" if options.task == "translate" else "transcribing"
        try:
            segments, info = self.model.transcribe(
                str(audio), language=options.language, task=options.task,
                beam_size=options.beam_size, vad_filter=options.vad_filter,
                word_timestamps=options.word_timestamps,
            )
            collected = []
            progress(Progress(stage, 0.0))
            for seg in segments:  # a lazy generator: the work happens here
                words = tuple(Word(w.start, w.end, w.word, w.probability) for w in seg.words or ())
                collected.append(TranscriptSegment(seg.start, seg.end, seg.text.strip(), words,
                                                   seg.avg_logprob, seg.no_speech_prob))
                if info.duration:
                    progress(Progress(stage, min(seg.end / info.duration, 1.0)))
        except (RuntimeError, ValueError) as e:
            raise TranscriptionError(f"the speech model failed on {audio.name}: {e}") from e
        progress(Progress(stage, 1.0))
        return Transcript(
            task=options.task,
            language="en" if options.task == "translate" else info.language,
            language_probability=info.language_probability if options.task == "transcribe" else None,
            duration_s=info.duration,
            segments=tuple(collected),
            model=self.source.name,
            options=asdict(options) | {"device": self.device, "compute_type": self.compute_type},
            versions=library_versions(),
        )


_cache: dict[tuple, WhisperTranscriber] = {}
_cache_lock = threading.Lock()


def get_transcriber(settings: Settings) -> WhisperTranscriber:
    """The process keeps one loaded model per configuration."""
    key = (settings.model, str(settings.cache), settings.device, settings.resolved_compute_type,
           settings.cpu_threads)
    with _cache_lock:
        if key not in _cache:
            source = resolve_model(settings.model, settings.cache)
            _cache[key] = WhisperTranscriber(source, settings.device, settings.resolved_compute_type,
                                             settings.cpu_threads)
        return _cache[key]
