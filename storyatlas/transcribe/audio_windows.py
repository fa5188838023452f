"""The speech WAV read a window at a time, and where its speech is.

Memory must not grow with the length of a recording (oral histories run for hours), so
the 16 kHz mono WAV the ingest made is never decoded whole: a window of a few minutes is
read, its voice activity found, and the window cut at a pause near its end; the next
window starts at that cut. Every sample belongs to exactly one window, and the cut lies
between two speech spans, so no word is lost or heard twice.
"""

from __future__ import annotations

import logging
import os
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from storyatlas.errors import TranscriptionError, said

log = logging.getLogger(__name__)

# what Whisper hears, and what the ingest writes (ingest.audio.SPEECH_RATE; the transcribe
# package sits beside the ingest, not above it, so it does not import it)
SPEECH_RATE = 16_000

# read past the window's nominal end, so the speech span that crosses it is seen whole
# and a pause after it can be found (voice activity spans are at most chunk_s long)
LOOKAHEAD_S = 45.0


@dataclass(frozen=True)
class AudioIdentity:
    """Which file a checkpoint was made from: a redacted copy is another file."""

    name: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> AudioIdentity:
        st = path.stat()
        return cls(path.name, st.st_size, st.st_mtime_ns)


@dataclass(frozen=True)
class Span:
    """Speech, in samples of the whole recording, already padded; ``pause_before`` is the
    silence (seconds, before padding) that separates it from the previous span."""

    start: int
    end: int
    pause_before: float = 0.0
    seq: int = 0
    """Its place among the window's spans as the detector found them (of the first, for a
    span joined from several): spans are next to each other in the recording when the
    next one's ``seq`` follows this one's ``last_seq``."""
    last_seq: int | None = None
    parts: tuple[Span, ...] = ()
    """The detector's spans this one was joined from (short pauses kept between them)."""

    @property
    def last(self) -> int:
        return self.seq if self.last_seq is None else self.last_seq

    @property
    def fine(self) -> tuple[Span, ...]:
        """The detector's own spans: where a language may change."""
        return self.parts or (self,)

    @property
    def seconds(self) -> float:
        return (self.end - self.start) / SPEECH_RATE


class SpeechWav:
    """A 16 kHz mono 16-bit WAV (what ``ingest.audio.make_speech_wav`` writes), read in parts."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            with wave.open(os.fspath(path), "rb") as w:
                rate, channels, width, frames = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
        except (wave.Error, EOFError, OSError) as e:
            raise _unreadable(path, e) from e
        if (rate, channels, width) != (SPEECH_RATE, 1, 2):
            log.warning("%s is %d Hz, %d channel(s), %d-bit: not the speech WAV the ingest made",
                        path, rate, channels, 8 * width)
            raise TranscriptionError(said(
                "the story's speech audio is {rate} Hz, {channels} channel(s), {bits}-bit, not the "
                "{expected} Hz mono 16-bit WAV the ingest makes: put it back from a backup (the log names "
                "the file; a backup keeps it at the same place in its media folder), then run `storyatlas retry` "
                "on the story", rate=rate, channels=channels, bits=8 * width, expected=SPEECH_RATE))
        self.frames = frames

    @property
    def duration_s(self) -> float:
        return self.frames / SPEECH_RATE

    def read(self, start: int, end: int) -> np.ndarray:
        """Samples [start, end) as float32 in [-1, 1]."""
        end = min(end, self.frames)
        if end <= start:
            return np.zeros(0, np.float32)
        try:
            with wave.open(os.fspath(self.path), "rb") as w:
                w.setpos(start)
                pcm = np.frombuffer(w.readframes(end - start), dtype="<i2")
        except (wave.Error, EOFError, OSError) as e:
            # read a window at a time, the file can go while it is transcribed (the story erased)
            raise _unreadable(self.path, e) from e
        return pcm.astype(np.float32) / 32768.0


def _unreadable(path: Path, e: BaseException) -> TranscriptionError:
    """Why the speech WAV cannot be read, and how a keeper mends it. Said to everyone who may
    see the story (a failed job's message), so without ``str(e)``: an OSError's names the
    file's place on the server, which goes to the log alone. Only a copy from a backup
    mends the file: `storyatlas retry` transcribes the speech WAV that is there, and
    ingesting the recording again finds it already in the archive."""
    log.warning("cannot read the speech audio %s: %s", path, e)
    if isinstance(e, (FileNotFoundError, NotADirectoryError)):
        return TranscriptionError(said(
            "the story's speech audio is missing from the media store: put it back from a backup (the log names "
            "the file; a backup keeps it at the same place in its media folder), then run `storyatlas retry` "
            "on the story"))
    if isinstance(e, OSError) and not isinstance(e, IsADirectoryError):
        # the file is there, but this process may not read it (its owner, its mode, the disk)
        return TranscriptionError(said(
            "the story's speech audio cannot be read ({reason}): check that the archive's user may read the "
            "media store and its disk is sound, then run `storyatlas retry` on the story",
            reason=e.strerror or type(e).__name__))
    return TranscriptionError(said(
        "the story's speech audio in the media store is damaged: put it back from a backup (the log names the "
        "file; a backup keeps it at the same place in its media folder), then run `storyatlas retry` on the story"))


def speech_spans(audio: np.ndarray, offset: int, max_span_s: float, threshold: float,
                 min_silence_ms: int, pad_ms: int, keep_pause_s: float) -> list[Span]:
    """Silero voice activity (faster-whisper's model) in one window, as padded spans in
    samples of the whole recording, none longer than ``max_span_s``.

    The detector runs with short pauses (``min_silence_ms``: a pause between two
    sentences, where a speaker may change language) and unpadded, and the padding is
    added here as silero adds it, so the true length of every pause is known. Spans
    whose pause is shorter than ``keep_pause_s`` are then joined, the pause kept: Whisper
    hears a speaker's rhythm whole (cutting one-second pauses down cost words on espeak
    German), and only longer silences are cut out of what it hears."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if len(audio) == 0:
        return []
    pad = int(SPEECH_RATE * pad_ms / 1000)
    options = VadOptions(threshold=threshold, min_silence_duration_ms=min_silence_ms, speech_pad_ms=0,
                         max_speech_duration_s=max_span_s - 2 * pad_ms / 1000)
    raw = get_speech_timestamps(audio, options, sampling_rate=SPEECH_RATE)
    fine: list[Span] = []
    for i, r in enumerate(raw):
        gap_before = r["start"] - raw[i - 1]["end"] if i else r["start"]
        gap_after = raw[i + 1]["start"] - r["end"] if i + 1 < len(raw) else len(audio) - r["end"]
        # half of a short pause to each side, as silero pads: spans touch but never overlap
        start = r["start"] - (min(pad, gap_before // 2) if i else min(pad, gap_before))
        end = r["end"] + (min(pad, gap_after // 2) if i + 1 < len(raw) else min(pad, gap_after))
        fine.append(Span(offset + start, offset + end, (gap_before / SPEECH_RATE) if i else 0.0, i))
    return join_spans(fine, keep_pause_s, max_span_s)


def join_spans(spans: list[Span], keep_pause_s: float, max_span_s: float) -> list[Span]:
    """Consecutive spans (detector's spans, next to each other) joined across pauses
    shorter than ``keep_pause_s``, into spans of at most ``max_span_s``."""
    limit = int(max_span_s * SPEECH_RATE)
    groups: list[list[Span]] = []
    for span in spans:
        if groups and span.pause_before < keep_pause_s and span.seq == groups[-1][-1].last + 1 \
                and span.end - groups[-1][0].start <= limit:
            groups[-1].append(span)
        else:
            groups.append([span])
    return [g[0] if len(g) == 1 else
            Span(g[0].start, g[-1].end, g[0].pause_before, g[0].seq, g[-1].last, tuple(p for s in g for p in s.fine))
            for g in groups]


def fixed_spans(length: int, offset: int, max_span_s: float) -> list[Span]:
    """Without voice detection: the window cut into consecutive spans of ``max_span_s``."""
    step = int(max_span_s * SPEECH_RATE)
    return [Span(offset + s, offset + min(s + step, length), 0.0, i) for i, s in enumerate(range(0, length, step))]


def cut_window(spans: list[Span], start: int, target: int, read_end: int, total: int) -> int:
    """Where the window that starts at ``start`` ends (a sample of the recording): ``total``
    when the recording ends inside what was read; else a point near ``target`` that no
    speech span covers, so the words on either side stay whole."""
    if read_end >= total:
        return total
    inside = next((s for s in spans if s.start <= target < s.end), None)
    if inside is None:
        return target  # a pause (or silence) at the nominal end: cut right there
    if inside.end < read_end:  # the detector ended it before the read did: it is whole
        return inside.end
    # it runs on past what was read (cannot happen while the look-ahead is longer than a
    # span): cut before it, if that still moves on
    return inside.start if inside.start > start else inside.end
