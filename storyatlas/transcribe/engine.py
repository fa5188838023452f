"""The decoding of one window: chunks, a language per chunk, batched decoding, and the
English of non-English chunks from the same encoder output.

Built on CTranslate2's Whisper directly (``WhisperModel.model``) rather than on
faster-whisper's ``transcribe``, because only there can one encoder output serve four
uses: language detection, transcription, translation and word alignment. The encoder is
the dearest step on a CPU, and each chunk goes through it once; again only where a
chunk turned out to mix two languages (it is formed again, one language a chunk; see
languages.py) or where the decoding left part of it unheard (that part is decoded again).

Chunks are decoded in batches of one language (the prompt names the language, and word
alignment takes one prompt for the whole batch). Encoder outputs are kept as host
arrays so they can be regrouped by language after detection.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from storyatlas.archive.records import Word
from storyatlas.transcribe.audio_windows import Span, join_spans
from storyatlas.transcribe.chunks import Chunk, merge_spans
from storyatlas.transcribe.languages import SURE, continued, phrases, runs_of_one_language, story_mixed, suspects
from storyatlas.transcribe.quality import (
    Decoding, best_of_tries, is_silence, looping, needs_another_try, without_loops,
)
from storyatlas.transcribe.sentences import by_sentence
from storyatlas.transcribe.translate import align
from storyatlas.transcribe.types import RunStats, TranscribeOptions, TranscriptSegment

log = logging.getLogger(__name__)

N_FRAMES = 3000          # Whisper's 30 s window, in mel frames (100 a second)
FRAMES_PER_S = 100
MIN_LEFT_S = 1.0         # after the last word, 0.4 s is the voice detector's padding: less holds no word
MIN_UNHEARD_S = 3.0      # speech this long with no word heard in it: the decoding skipped it
MAX_ROUNDS = 3           # a chunk's rest decoded more often than this is looping, not speaking
MAX_INITIAL_TIMESTAMP = 50  # the first timestamp within 1 s (faster-whisper's default)
NO_REPEAT_NGRAM = 4      # a translation decoded again after a loop may not repeat four tokens


@dataclass
class Counters:
    """What the work cost, counted as it happens (RunStats is the frozen copy)."""

    windows: int = 0
    chunks: int = 0
    encoder_calls: int = 0
    encoded: int = 0
    transcribe_decodes: int = 0
    translate_decodes: int = 0
    fallbacks: int = 0
    continuations: int = 0
    phrases_detected: int = 0
    rechunked: int = 0
    audio_s: float = 0.0
    speech_s: float = 0.0
    started_at_s: float = 0.0
    vad_s: float = 0.0
    encode_s: float = 0.0
    decode_s: float = 0.0
    align_s: float = 0.0

    def frozen(self) -> RunStats:
        return RunStats(**vars(self))


@dataclass(frozen=True)
class WindowResult:
    """One window, transcribed, in the recording's time."""

    segments: tuple[TranscriptSegment, ...]
    english: tuple[str | None, ...]
    """English text aligned to each segment; None for a segment in English."""
    translation: tuple[TranscriptSegment, ...]
    spoken: tuple[tuple[str, float, float], ...]
    """Each chunk's language, seconds of speech and detection probability."""


@dataclass(eq=False)
class _Job:
    """One decoding of one chunk, and what it found."""

    chunk: Chunk
    mel: np.ndarray
    """The log-Mel spectrogram of the chunk padded with silence to 30 s."""
    encoded: np.ndarray | None = None
    language: str = "en"
    probability: float = 1.0
    second: tuple[str, float] = ("", 0.0)
    """The second most likely language its detection found, and its probability."""
    translate: bool = False
    round: int = 0
    """0 for a chunk of the window; n for one packed from the rests of round n - 1."""
    unheard: list[tuple[float, float]] = field(default_factory=list)
    """Stretches (chunk seconds) its decoding skipped or stopped before: decoded again."""
    english_reaches: list[tuple[float, float]] = field(default_factory=list)
    """Of those, the ones its translation covered (their English is kept from here)."""
    segments: list[TranscriptSegment] = field(default_factory=list)
    translation: list[TranscriptSegment] = field(default_factory=list)

    content: int = 0
    """Mel frames of the chunk's own audio (the rest of ``mel`` is silence padding)."""

    @property
    def frames(self) -> int:
        return min(N_FRAMES, self.content)

    def features(self) -> np.ndarray:
        return self.mel[:, :N_FRAMES]


class Engine:
    """Decodes windows with one loaded faster-whisper model and one set of options."""

    def __init__(self, model, options: TranscribeOptions, detect: bool, counters: Counters,
                 encode_batch: int = 1, heard: dict[str, float] | None = None) -> None:
        self.model = model  # faster_whisper.WhisperModel
        self.whisper = model.model  # its ctranslate2.models.Whisper
        self.options = options
        self.detect = detect
        self.counters = counters
        self.encode_batch = encode_batch
        self.heard: dict[str, float] = dict(heard or {})
        """Seconds of speech per language in sure chunks so far (the story is mixed when
        two languages are heard)."""
        self._tokenizers: dict[tuple[str, str], object] = {}
        self._suppress: dict[tuple[str, str], tuple[int, ...]] = {}

    # ----------------------------------------------------------------- the window

    def transcribe(self, audio: np.ndarray, window_start: int, spans: Sequence[Span],
                   progress: Callable[[float], None] = lambda _: None) -> WindowResult:
        """The chunks of ``spans`` (in samples of the recording; ``audio`` is the window
        that starts at ``window_start``), transcribed."""
        jobs = [self._job(c, audio, window_start) for c in merge_spans(spans, self.options.chunk_s)]
        if self.detect and story_mixed(self.heard):
            # languages mix in this story: the chunks' own detection would only be overruled
            # by their phrases', so it is not paid for
            for job in jobs:
                job.language = max(self.heard, key=self.heard.get)
            jobs = self._by_phrase_language(jobs, audio, window_start, [True] * len(jobs))
        else:
            self._encode(jobs, self.detect)
            if self.detect:
                for job in jobs:
                    if job.probability >= SURE:
                        self.heard[job.language] = self.heard.get(job.language, 0.0) + job.chunk.seconds
                suspect = suspects([(j.language, j.probability, j.second[1]) for j in jobs], self.heard,
                                   self.options.language_split_below, self.options.language_second_above)
                if any(suspect):
                    jobs = self._by_phrase_language(jobs, audio, window_start, suspect)
        self._encode([job for job in jobs if job.encoded is None], detect=False)
        self.counters.chunks += len(jobs)
        spoken = tuple((j.language, j.chunk.seconds, j.probability) for j in jobs)
        decoded, done = [], 0
        for language, queue in _by_language(jobs):
            # what a batch left unheard joins the queue, to ride with the next batch of its
            # language rather than make small batches of its own (a batch of 1 costs 2.6
            # times as much a chunk as one of 8 on 2 cores)
            while queue:
                batch, queue = queue[:self.options.batch_size], queue[self.options.batch_size:]
                for job in batch:
                    if job.round == 0:
                        job.translate = self._translating and job.language != "en"
                self._decode(batch, language)
                decoded += batch
                queue += self._rests(batch, audio, window_start)
                done += sum(1 for job in batch if job.round == 0)
                progress(done / len(jobs))  # the rests are a small part: progress counts chunks
        return self._result(decoded, spoken)

    def _rests(self, jobs: list[_Job], audio: np.ndarray, window_start: int) -> list[_Job]:
        """What the decodings left unheard, decoded again: Whisper ends a window early when
        it takes the last sentence to go on past it (faster-whisper's sequential decoding
        seeks there and decodes again), and now and then skips a passage whole."""
        rests = []
        for job in jobs:
            if job.round + 1 >= MAX_ROUNDS:
                continue
            for a, b in job.unheard:
                rest = self._job(job.chunk.between(a, b), audio, window_start)
                rest.language, rest.probability, rest.round = job.language, job.probability, job.round + 1
                # translated on its own only where the chunk's English did not reach
                rest.translate = job.translate and (a, b) not in job.english_reaches
                rests.append(rest)
        self.counters.continuations += len(rests)
        self._encode(rests, detect=False)
        return rests

    @property
    def _translating(self) -> bool:
        return self.options.translate and self.options.task == "transcribe" and self.whisper.is_multilingual

    def _job(self, chunk: Chunk, audio: np.ndarray, window_start: int) -> _Job:
        samples = chunk.audio(audio, window_start)
        # padded with silence to Whisper's 30 s before the spectrogram, as OpenAI's Whisper
        # does (faster-whisper pads the spectrogram with zeros, which is not silence to the
        # model); the last frame only half covers the audio, and goes, as in faster-whisper
        padded = np.pad(samples, (0, max(0, N_FRAMES * 160 - len(samples))))
        mel = self.model.feature_extractor(padded)[..., :-1]
        return _Job(chunk, mel, language=self.options.language or "en", content=len(samples) // 160)

    def _encode(self, jobs: list[_Job], detect: bool) -> None:
        from ctranslate2 import StorageView

        for batch in _batches(jobs, self.encode_batch):
            features = np.ascontiguousarray(np.stack([j.features() for j in batch]))
            # to_cpu: on a GPU too, the output comes back to host memory, so that chunks
            # can be regrouped by language after detection (a few MB a chunk)
            started = time.perf_counter()
            encoded = self.whisper.encode(StorageView.from_array(features), to_cpu=True)
            self.counters.encode_s += time.perf_counter() - started
            self.counters.encoder_calls += 1
            self.counters.encoded += len(batch)
            if detect:
                for job, found in zip(batch, self.whisper.detect_language(encoded)):
                    (token, job.probability), (second, p) = found[0], found[1]
                    job.language, job.second = token[2:-2], (second[2:-2], p)
            array = np.array(encoded)
            for i, job in enumerate(batch):
                job.encoded = array[i]

    def _by_phrase_language(self, jobs: list[_Job], audio: np.ndarray, window_start: int,
                            suspect: list[bool]) -> list[_Job]:
        """The language of each phrase, where a chunk may mix two: Whisper's detection on a
        30 s chunk names one language (German over English even where English is longer),
        so each phrase is detected on its own encoder pass over the phrase alone (no
        padding to 30 s: a 3 s phrase costs a tenth of a chunk). Chunks whose phrases
        all agree keep their encoder output; the others are re-formed, one language a
        chunk, and encoded again. Only the ``suspect`` chunks are looked at."""
        kept, pieces = [], []
        for job, looked_at in zip(jobs, suspect):
            if not looked_at:
                kept.append(job)
                continue
            found = phrases(job.chunk)
            detected = [self._phrase_language(phrase, audio, window_start, job) for phrase in found]
            labelled = list(zip(continued(detected, (job.language, job.probability)), found))
            languages = {language for (language, _), _ in labelled}
            if job.encoded is None and len(languages) == 1:  # not encoded yet: one language, as it is
                job.language = languages.pop()
                job.probability = float(np.mean([prob for (_, prob), _ in labelled]))
                kept.append(job)
            elif languages == {job.language}:
                kept.append(job)
            else:
                pieces += [(language, probability, p) for (language, probability), phrase in labelled for p in phrase]
        formed = []
        for language, probability, run in runs_of_one_language(pieces):
            spans = join_spans(run, self.options.keep_pause_s, self.options.chunk_s)
            for chunk in merge_spans(spans, self.options.chunk_s):
                job = self._job(chunk, audio, window_start)
                job.language, job.probability = language, probability
                formed.append(job)
        self.counters.rechunked += len(formed)
        return sorted(kept + formed, key=lambda j: j.chunk.start_s)

    def _phrase_language(self, phrase: list[Span], audio: np.ndarray, window_start: int,
                         job: _Job) -> tuple[str, float] | None:
        from ctranslate2 import StorageView

        mel = self.model.feature_extractor(Chunk(tuple(phrase)).audio(audio, window_start))[..., :-1]
        started = time.perf_counter()
        encoded = self.whisper.encode(StorageView.from_array(np.ascontiguousarray(mel[None, :, :N_FRAMES])))
        found = self.whisper.detect_language(encoded)[0]
        self.counters.encode_s += time.perf_counter() - started
        self.counters.phrases_detected += 1
        # a few seconds say less than a chunk: choose among the languages the story's sure
        # chunks were heard in and the chunk's own two (a German phrase is not Latin
        # because it was short)
        heard = set(self.heard) | {job.language}
        if job.second[1] >= self.options.language_second_above:
            heard.add(job.second[0])
        token, probability = next(((t, p) for t, p in found if t[2:-2] in heard), found[0])
        return (token[2:-2], probability) if probability >= SURE else None

    # ----------------------------------------------------------------- decoding

    def _decode(self, batch: list[_Job], language: str) -> None:
        """Transcribe a batch of one language, and translate those that need it."""
        task = self.options.task
        tokenizer = self._tokenizer(language, task)
        prompt = self.model.get_prompt(tokenizer, [], without_timestamps=False)
        results = self._generate(_storage([j.encoded for j in batch]), [prompt] * len(batch), tokenizer)
        self.counters.transcribe_decodes += len(batch)
        found = []
        for job, result in zip(batch, results):
            d = self._decoding(result, tokenizer, 0.0)
            if needs_another_try(d, self.options) or looping(self._texts(job, d, tokenizer), self.options):
                if job.round and job.chunk.seconds < MIN_UNHEARD_S:
                    # the last second or two of a chunk, decoded alone and unsure: this is where
                    # Whisper says "Thank you." to silence; not worth five more decodings
                    log.debug("dropped an unsure rest %.1f-%.1f s: %r", job.chunk.start_s, job.chunk.end_s, d.text)
                    job.translate = False
                    continue
                d = self._retry(job, prompt, tokenizer, d)
            if is_silence(d, self.options):
                job.translate = False
                log.debug("no speech in %.1f-%.1f s (%r)", job.chunk.start_s, job.chunk.end_s, d.text)
                continue
            lines, ended = self._lines(job, d, tokenizer)
            if lines:
                found.append((job, d, lines, ended))
        if self.options.word_timestamps and found:
            self._words([(job, lines) for job, _, lines, _ in found], tokenizer)
        for job, d, lines, ended in found:
            job.segments += self._segments(job, lines, d, tokenizer, language)
            job.unheard = self._unheard(job, lines, ended)
        wanted = [job for job in batch if job.translate]
        if wanted:
            self._translate(wanted, language)

    def _generate(self, encoded, prompts: list[list[int]], tokenizer, **sampling):
        key = (tokenizer.language_code, tokenizer.task)
        if key not in self._suppress:
            from faster_whisper.transcribe import get_suppressed_tokens

            self._suppress[key] = get_suppressed_tokens(tokenizer, [-1])
        search = sampling or {"beam_size": self.options.beam_size, "patience": 1.0}
        started = time.perf_counter()
        try:
            return self.whisper.generate(
                encoded, prompts, length_penalty=1.0, max_length=self.model.max_length, return_scores=True,
                return_no_speech_prob=True, suppress_blank=True, suppress_tokens=list(self._suppress[key]),
                max_initial_timestamp_index=MAX_INITIAL_TIMESTAMP, **search)
        finally:
            self.counters.decode_s += time.perf_counter() - started

    @staticmethod
    def _decoding(result, tokenizer, temperature: float) -> Decoding:
        tokens = result.sequences_ids[0]
        # the score is length-normalised; faster-whisper's average log-probability
        avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
        return Decoding(tuple(tokens), tokenizer.decode(tokens), avg_logprob, result.no_speech_prob, temperature)

    def _retry(self, job: _Job, prompt: list[int], tokenizer, first: Decoding) -> Decoding:
        """Decode the chunk again, sampling at rising temperatures, until a decoding passes
        (faster-whisper's fallback). There is never a previous text in the prompt: each
        chunk is decoded on its own, so a loop cannot carry over from one to the next."""
        self.counters.fallbacks += 1
        log.debug("decoding %.1f-%.1f s again (log-probability %.2f, compression %.2f): %r", job.chunk.start_s,
                  job.chunk.end_s, first.avg_logprob, first.compression_ratio, first.text[:200])
        encoded, tries = _storage([job.encoded]), [first]
        for temperature in self.options.temperatures[1:]:
            result = self._generate(encoded, [prompt], tokenizer, beam_size=1, num_hypotheses=self.options.best_of,
                                    sampling_topk=0, sampling_temperature=temperature)[0]
            d = self._decoding(result, tokenizer, temperature)
            tries.append(d)
            if not needs_another_try(d, self.options) and not looping(self._texts(job, d, tokenizer), self.options):
                return d
        return best_of_tries(tries, self.options)

    def _lines(self, job: _Job, d: Decoding, tokenizer) -> tuple[list[dict], bool]:
        """The decoding cut at its timestamps (chunk time), loops taken out, and whether
        it reached the chunk's end."""
        lines, _, ended = self.model._split_segments_by_timestamps(
            tokenizer=tokenizer, tokens=list(d.tokens), time_offset=0.0, segment_size=job.frames,
            segment_duration=job.frames / FRAMES_PER_S, seek=0)
        lines = [line for line in lines if line["start"] < line["end"] and tokenizer.decode(line["tokens"]).strip()]
        texts = [tokenizer.decode(line["tokens"]) for line in lines]
        if looping(texts, self.options):  # still, after every retry: drop the repeats
            lines = [line for line, keep in zip(lines, without_loops(texts, self.options)) if keep]
        return lines, ended

    def _texts(self, job: _Job, d: Decoding, tokenizer) -> list[str]:
        lines, _, _ = self.model._split_segments_by_timestamps(
            tokenizer=tokenizer, tokens=list(d.tokens), time_offset=0.0, segment_size=job.frames,
            segment_duration=job.frames / FRAMES_PER_S, seek=0)
        return [tokenizer.decode(line["tokens"]) for line in lines]

    def _words(self, heard: list[tuple[_Job, list[dict]]], tokenizer) -> None:
        """Word timestamps by cross-attention alignment, on the same encoder outputs."""
        started = time.perf_counter()
        self.model.add_word_timestamps(
            [lines for _, lines in heard], tokenizer, _storage([job.encoded for job, _ in heard]),
            [job.frames for job, _ in heard], "\"'“¿([{-", "\"'.。,，!！?？:：”)]}、", 0.0)
        self.counters.align_s += time.perf_counter() - started

    def _unheard(self, job: _Job, lines: list[dict], ended: bool) -> list[tuple[float, float]]:
        """Stretches of the chunk (seconds) no word was heard in: the rest after a decoding
        that stopped early, and any skipped passage of MIN_UNHEARD_S or more."""
        duration = job.content / FRAMES_PER_S
        heard = [(w["start"], w["end"]) for line in lines for w in line.get("words", ())] or \
                [(line["start"], line["end"]) for line in lines]
        gaps, last = [], 0.0
        for start, end in heard:
            if start - last >= MIN_UNHEARD_S:
                gaps.append((last, start))
            last = max(last, end)
        if duration - last >= (MIN_LEFT_S if not ended else MIN_UNHEARD_S):
            gaps.append((last, duration))
        return gaps

    def _segments(self, job: _Job, lines: list[dict], d: Decoding, tokenizer, language: str) -> list[TranscriptSegment]:
        chunk, out = job.chunk, []
        for line in lines:
            words = []
            for w in line.get("words", ()):
                piece = chunk.piece_at((w["start"] + w["end"]) / 2)  # both ends in the piece of its middle
                words.append(Word(chunk.recording_time(w["start"], piece=piece),
                                  chunk.recording_time(w["end"], piece=piece), w["word"], round(w["probability"], 3)))
            if words:
                start, end = words[0].start, words[-1].end
            else:
                start, end = chunk.recording_time(line["start"]), chunk.recording_time(line["end"], is_end=True)
            out.append(TranscriptSegment(
                start, end, tokenizer.decode(line["tokens"]).strip(), tuple(words), d.avg_logprob, d.no_speech_prob,
                language if self.options.task == "transcribe" else "en", self._unsure(d, words)))
        return by_sentence(out, lambda words: self._unsure(d, words))

    def _unsure(self, d: Decoding, words: Sequence[Word]) -> bool:
        """Low confidence: the chunk's decoding, or this line's own words (their mean
        log-probability), below the threshold; the words single out the unsure line of
        an otherwise sure chunk."""
        if d.avg_logprob < self.options.low_confidence_logprob:
            return True
        if not words:
            return False
        logprob = float(np.mean([np.log(max(w.probability, 1e-6)) for w in words]))
        return logprob < self.options.low_confidence_logprob

    def _translate(self, jobs: list[_Job], language: str) -> None:
        """The English of non-English chunks: the same encoder outputs, decoded with the
        translate task (decoding only: the encoder is not run again)."""
        tokenizer = self._tokenizer(language, "translate")
        prompt = self.model.get_prompt(tokenizer, [], without_timestamps=False)
        results = self._generate(_storage([j.encoded for j in jobs]), [prompt] * len(jobs), tokenizer)
        self.counters.translate_decodes += len(jobs)
        for job, result in zip(jobs, results):
            d = self._decoding(result, tokenizer, 0.0)
            if looping(self._texts(job, d, tokenizer), self.options):
                # translations loop too ("the temperate of the temperate of ..."): one more beam
                # search that may not repeat itself, rather than faster-whisper's five sampled
                # temperatures, which made a German story's English cost 1.6 times its
                # transcription; an unsure translation is still a translation, and is kept
                self.counters.fallbacks += 1
                again = self._generate(_storage([job.encoded]), [prompt], tokenizer,
                                       beam_size=self.options.beam_size, no_repeat_ngram_size=NO_REPEAT_NGRAM)[0]
                d = self._decoding(again, tokenizer, 0.0)
            if is_silence(d, self.options):
                continue
            lines, _, ended = self.model._split_segments_by_timestamps(
                tokenizer=tokenizer, tokens=list(d.tokens), time_offset=0.0, segment_size=job.frames,
                segment_duration=job.frames / FRAMES_PER_S, seek=0)
            spans = [(line["start"], line["end"], tokenizer.decode(line["tokens"])) for line in lines]
            used = sum(len(line["tokens"]) for line in lines)
            if not ended and used < len(d.tokens):  # an unfinished last sentence is kept, to the chunk's end
                spans.append((lines[-1]["end"] if lines else 0.0, job.frames / FRAMES_PER_S,
                              tokenizer.decode(list(d.tokens[used:]))))
            spans = [s for s in spans if s[2].strip()]
            # where the transcription left a stretch unheard, the translation may have heard it:
            # then its English stays (the rest is not translated again, a decoding saved);
            # else the rest gets its own
            for a, b in job.unheard:
                if any(a - 1.0 <= start < b for start, _, _ in spans):
                    job.english_reaches.append((a, b))
            keep = without_loops([s[2] for s in spans], self.options)
            job.translation += [
                TranscriptSegment(job.chunk.recording_time(start), job.chunk.recording_time(end, is_end=True),
                                  text.strip(), language="en")
                for (start, end, text), kept in zip(spans, keep) if kept]

    def _tokenizer(self, language: str, task: str):
        if (language, task) not in self._tokenizers:
            from faster_whisper.tokenizer import Tokenizer

            self._tokenizers[(language, task)] = Tokenizer(
                self.model.hf_tokenizer, self.whisper.is_multilingual, task=task, language=language)
        return self._tokenizers[(language, task)]

    def _result(self, jobs: list[_Job], spoken: tuple) -> WindowResult:
        """Every job's lines in time order, with the English aligned to those not in English
        (each English line to the line it overlaps most: the English a chunk's translation
        heard in a stretch its transcription left to a rest goes to the rest's lines)."""
        segments = sorted((s for job in jobs for s in job.segments), key=lambda s: s.start)
        translation = sorted((s for job in jobs for s in job.translation), key=lambda s: s.start)
        english: list[str | None] = [None] * len(segments)
        foreign = [i for i, s in enumerate(segments) if s.language != "en"]
        if foreign and translation:
            for i, line in zip(foreign, align([segments[i] for i in foreign], translation)):
                english[i] = line
        return WindowResult(tuple(segments), tuple(english), tuple(translation), spoken)


def _storage(arrays: list[np.ndarray]):
    from ctranslate2 import StorageView

    return StorageView.from_array(np.ascontiguousarray(np.stack(arrays)))


def _by_language(jobs: list[_Job]) -> list[tuple[str, list[_Job]]]:
    groups: dict[str, list[_Job]] = {}
    for job in jobs:
        groups.setdefault(job.language, []).append(job)
    return list(groups.items())


def _batches(items: list, size: int) -> list[list]:
    size = max(1, size)
    return [items[i:i + size] for i in range(0, len(items), size)]
