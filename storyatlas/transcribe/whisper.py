"""faster-whisper, behind one small class; the one place its errors are translated.

``WhisperTranscriber`` holds a model loaded once per worker and runs a recording through
it window by window (``audio_windows``), each window's chunks through the ``Engine``,
checkpointing after each window.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from importlib import metadata
from pathlib import Path

from storyatlas.errors import ModelError, TranscriptionError, said
from storyatlas.machine import available_cores
from storyatlas.offline import stay_offline
from storyatlas.settings import Settings
from storyatlas.transcribe.audio_windows import (
    LOOKAHEAD_S, SPEECH_RATE, AudioIdentity, SpeechWav, cut_window, fixed_spans, speech_spans,
)
from storyatlas.transcribe.checkpoint import Checkpoint, normalised
from storyatlas.transcribe.engine import Counters, Engine
from storyatlas.transcribe.languages import SURE
from storyatlas.transcribe.models import ModelSource, resolve_model
from storyatlas.transcribe.types import (
    Progress, ProgressCallback, TranscribeOptions, Transcript, TranscriptionResult, no_progress,
)

log = logging.getLogger(__name__)

CheckpointCallback = Callable[[Checkpoint], None]
# options that change nothing in the text: a checkpoint made with others still fits
_NOT_SHAPING = ("batch_size", "window_s")


@functools.cache
def library_versions() -> dict[str, str]:
    versions = {}
    for dist in ("storyatlas", "faster-whisper", "ctranslate2", "onnxruntime", "av"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "unknown"
    return versions


class WhisperTranscriber:
    """A Whisper model loaded once and used for many recordings.

    ``workers`` jobs may run at once in this process (huey's worker threads): CTranslate2
    then keeps that many replicas (sharing the weights), each on ``cpu_threads`` threads."""

    def __init__(self, source: ModelSource, device: str = "cpu", compute_type: str = "int8",
                 cpu_threads: int = 0, workers: int = 1) -> None:
        self.source = source
        self.device = device
        self.compute_type = compute_type
        self.workers = max(1, workers)
        # 0: the cores shared out among the jobs that run at once (CTranslate2's own
        # default is 4 threads whatever the machine, too many on 2 cores)
        self.cpu_threads = cpu_threads or max(1, available_cores() // self.workers)
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):  # faster_whisper.WhisperModel, imported lazily: it is slow to import
        with self._lock:
            if self._model is None:
                stay_offline()
                from faster_whisper import WhisperModel

                log.info("loading Whisper model %s (%s, %s, %d threads x %d)", self.source.name, self.device,
                         self.compute_type, self.cpu_threads, self.workers)
                try:
                    self._model = WhisperModel(
                        str(self.source.path), device=self.device, compute_type=self.compute_type,
                        cpu_threads=self.cpu_threads, num_workers=self.workers, local_files_only=True,
                    )
                except (RuntimeError, ValueError, OSError) as e:
                    raise ModelError(said(
                        "cannot load the Whisper model {model} from {path}: {detail}",
                        model=self.source.name, path=str(self.source.path), detail=str(e))) from e
            return self._model

    @property
    def multilingual(self) -> bool:
        return bool(self.model.model.is_multilingual)

    def usable(self, options: TranscribeOptions) -> TranscribeOptions:
        """The options this model can follow, or a ModelError that says what to do."""
        if not self.multilingual:
            if options.task == "translate":
                raise ModelError(said("the model {model} is English-only and cannot translate; use --model base",
                                      model=self.source.name))
            if options.language not in (None, "en"):
                raise ModelError(said(
                    "the model {model} only understands English, not {language!r}; use --model base",
                    model=self.source.name, language=options.language))
            return replace(options, language="en", translate=False)
        if options.language is not None and options.language not in self.model.supported_languages:
            raise ModelError(said("{language!r} is not a language the model {model} knows; "
                                  "give an ISO 639-1 code such as de, pl or uk",
                                  language=options.language, model=self.source.name))
        return options

    def made_with(self, options: TranscribeOptions) -> dict:
        """What shapes the text: a checkpoint is only resumed with the same."""
        shaping = {k: v for k, v in asdict(options).items() if k not in _NOT_SHAPING}
        return normalised({"model": self.source.name, "compute_type": self.compute_type, **shaping})

    def recorded_options(self, options: TranscribeOptions) -> dict:
        """How a transcript was made, stored with it."""
        if not self.multilingual:
            language_detection = "none: English-only model"
        elif options.language:
            language_detection = "none: language given"
        else:
            language_detection = "per chunk, from its encoder output"
        return normalised(asdict(options) | {
            "device": self.device, "compute_type": self.compute_type, "cpu_threads": self.cpu_threads,
            "workers": self.workers, "language_detection": language_detection,
            "translation": ("the translate task on each non-English chunk's encoder output"
                            if options.translate and self.multilingual else None),
            "condition_on_previous_text": False,
        })

    def transcribe(self, audio: Path, options: TranscribeOptions, progress: ProgressCallback = no_progress,
                   resume_from: Checkpoint | None = None,
                   on_checkpoint: CheckpointCallback | None = None) -> TranscriptionResult:
        """Transcribe the speech WAV ``audio`` window by window (and translate what is not
        English); after each window but the last, ``on_checkpoint`` gets what is done so far.

        ``resume_from`` (a checkpoint of the same file, model and options; any other is
        ignored) makes the run start where it left off."""
        options = self.usable(options)
        wav = SpeechWav(audio)
        identity, made_with = AudioIdentity.of(audio), self.made_with(options)
        state = Checkpoint(identity, made_with)
        if resume_from is not None:
            if resume_from.fits(identity, made_with):
                state = resume_from
                log.info("%s: resuming at %.0f s of %.0f s", audio.name, state.done_s, wav.duration_s)
            else:
                log.info("%s: the checkpoint was made from another file or with other options; starting over",
                         audio.name)
        counters = Counters(started_at_s=state.done_s)
        detect = self.multilingual and options.language is None
        # on 2 cores the encoder took 0.45 s a chunk one at a time, 0.48 two at a time and 0.54
        # eight at a time; a GPU wants batches
        engine = Engine(self.model, options, detect, counters,
                        encode_batch=options.batch_size if self.device == "cuda" else 1,
                        heard={lang: s for lang, s, weighted in state.spoken if s and weighted / s >= SURE})
        stage = "translating" if options.task == "translate" else "transcribing"
        progress(Progress(stage, state.done / max(wav.frames, 1)))
        start = state.done
        try:
            while start < wav.frames:
                state = self._window(wav, start, options, engine, state, counters, progress, stage)
                start = state.done
                if on_checkpoint is not None and start < wav.frames:
                    on_checkpoint(state)
        except (RuntimeError, ValueError) as e:
            raise TranscriptionError(said("the speech model failed on {file}: {detail}", file=audio.name,
                                          detail=str(e))) from e
        progress(Progress(stage, 1.0))
        return self._result(state, options, wav.duration_s, counters)

    def _window(self, wav: SpeechWav, start: int, options: TranscribeOptions, engine: Engine,
                state: Checkpoint, counters: Counters, progress: ProgressCallback, stage: str) -> Checkpoint:
        """Read, detect and decode one window; the checkpoint after it."""
        target = start + int(options.window_s * SPEECH_RATE)
        read_end = min(wav.frames, target + int(LOOKAHEAD_S * SPEECH_RATE))
        audio = wav.read(start, read_end)
        if options.vad_filter:
            started = time.perf_counter()
            spans = speech_spans(audio, start, options.chunk_s, options.vad_threshold,
                                 options.vad_min_silence_ms, options.vad_pad_ms, options.keep_pause_s)
            counters.vad_s += time.perf_counter() - started
        else:
            spans = fixed_spans(len(audio), start, options.chunk_s)
        cut = cut_window(spans, start, target, read_end, wav.frames)
        spans = [s for s in spans if s.end <= cut]
        total = max(wav.frames, 1)

        def within(fraction: float) -> None:
            progress(Progress(stage, min((start + fraction * (cut - start)) / total, 1.0)))

        results = engine.transcribe(audio, start, spans, within)
        counters.windows += 1
        counters.audio_s += (cut - start) / SPEECH_RATE
        counters.speech_s += sum(s.seconds for s in spans)
        return state.extended(results, cut)

    def _result(self, state: Checkpoint, options: TranscribeOptions, duration_s: float,
                counters: Counters) -> TranscriptionResult:
        recorded, versions = self.recorded_options(options), library_versions()
        spoken = {lang: (s, p) for lang, s, p in state.spoken}
        if options.task == "translate":
            language, probability = "en", None
        elif options.language:
            language, probability = options.language, 1.0
        else:
            by_time = {}
            for seg in state.segments:  # the most spoken language (Transcript.languages' rule)
                by_time[seg.language] = by_time.get(seg.language, 0.0) + seg.end - seg.start
            # with no speech at all: the language heard most in what was taken for speech
            ranking = by_time or {lang: s for lang, (s, _) in spoken.items()}
            language = max(ranking, key=ranking.get) if ranking else "en"
            seconds, weighted = spoken.get(language, (0.0, 0.0))
            probability = round(weighted / seconds, 3) if seconds else None
        transcript = Transcript(options.task, language, probability, duration_s, state.segments,
                                self.source.name, recorded, versions)
        translation = None
        if state.translation:
            translation = Transcript("translate", "en", None, duration_s, state.translation, self.source.name,
                                     recorded | {"task": "translate"}, versions)
        return TranscriptionResult(transcript, translation, list(state.english), counters.frozen())


_cache: dict[tuple, WhisperTranscriber] = {}
_cache_lock = threading.Lock()


def batch_size(settings: Settings) -> int:
    """``STORYATLAS_BATCH_SIZE``, or by device: 8 on a CPU (no faster at 16 on 2 cores), 16
    on a GPU (larger batches are what a GPU is for; not measured here: no GPU)."""
    return settings.batch_size or (16 if settings.device == "cuda" else 8)


def get_transcriber(settings: Settings) -> WhisperTranscriber:
    """The process keeps one loaded model per configuration."""
    key = (settings.model, str(settings.cache), settings.device, settings.resolved_compute_type,
           settings.cpu_threads, settings.workers)
    with _cache_lock:
        if key not in _cache:
            source = resolve_model(settings.model, settings.cache)
            _cache[key] = WhisperTranscriber(source, settings.device, settings.resolved_compute_type,
                                             settings.cpu_threads, settings.workers)
        return _cache[key]
