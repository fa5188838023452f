"""Speech spans merged into chunks the model hears at once, and the way back from a
chunk's time to the recording's.

A chunk is up to 30 s of speech (Whisper's window) made of one or more spans laid end to
end with the pauses between them left out, as faster-whisper's BatchedInferencePipeline
does: fewer, fuller chunks mean fewer encoder passes, the dearest part of the work on a CPU.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from storyatlas.transcribe.audio_windows import SPEECH_RATE, Span


@dataclass(frozen=True)
class Chunk:
    pieces: tuple[Span, ...]

    @property
    def start_s(self) -> float:
        return self.pieces[0].start / SPEECH_RATE

    @property
    def end_s(self) -> float:
        return self.pieces[-1].end / SPEECH_RATE

    @property
    def seconds(self) -> float:
        """Speech in the chunk (its length as the model hears it)."""
        return sum(p.end - p.start for p in self.pieces) / SPEECH_RATE

    def audio(self, window: np.ndarray, window_start: int) -> np.ndarray:
        """The chunk's samples, cut from the window that holds them."""
        return np.concatenate([window[p.start - window_start:p.end - window_start] for p in self.pieces])

    def piece_at(self, t: float, is_end: bool = False) -> int:
        """Which piece a time in the chunk falls in. An end that falls exactly where one
        piece meets the next belongs to the earlier one, so a segment never stretches
        over the pause that followed it."""
        sample = t * SPEECH_RATE
        before = 0
        for i, p in enumerate(self.pieces):
            before += p.end - p.start
            if sample < before or (is_end and sample <= before):
                return i
        return len(self.pieces) - 1

    def recording_time(self, t: float, is_end: bool = False, piece: int | None = None) -> float:
        """A time in the chunk (seconds from its first sample, pauses left out) as a time
        in the recording; ``piece`` keeps both ends of a word in the piece of its middle."""
        i = self.piece_at(t, is_end) if piece is None else piece
        before = sum(p.end - p.start for p in self.pieces[:i])
        p = self.pieces[i]
        inside = min(max(t * SPEECH_RATE - before, 0.0), p.end - p.start)
        return round((p.start + inside) / SPEECH_RATE, 3)

    def between(self, a: float, b: float) -> Chunk:
        """The part of the chunk from its time ``a`` to ``b`` (seconds): what a decoding
        left unheard, to decode again."""
        lo, hi = round(a * SPEECH_RATE), round(b * SPEECH_RATE)
        pieces, before = [], 0
        for p in self.pieces:
            length = p.end - p.start
            start, end = max(lo - before, 0), min(hi - before, length)
            if start < end:
                pieces.append(Span(p.start + start, p.start + end, p.pause_before if start == 0 else 0.0, p.seq,
                                   p.last_seq))
            before += length
        return Chunk(tuple(pieces))


def merge_spans(spans: Iterable[Span], max_s: float, settle_s: float = 10.0) -> list[Chunk]:
    """Consecutive spans joined into chunks of at most ``max_s`` seconds of speech.

    A chunk ends at the longest pause of its last ``settle_s`` seconds rather than at the
    last span that fits: a sentence cut by the chunk's end is one Whisper leaves unsaid
    (it takes it to go on past its window), so the cut should fall where a sentence most
    likely ended."""
    limit, settle = int(max_s * SPEECH_RATE), int(settle_s * SPEECH_RATE)
    chunks: list[Chunk] = []
    current: list[Span] = []
    length = 0
    for span in spans:
        size = span.end - span.start
        if current and length + size > limit:
            # among the spans that may start the next chunk, the one after the longest pause
            # (spans sum to at most ``limit``; ``size`` alone too)
            start_of = [0]
            for s in current:
                start_of.append(start_of[-1] + s.end - s.start)
            candidates = [i for i in range(1, len(current)) if start_of[i] >= length - settle]
            candidates.append(len(current))  # this span itself starts the next chunk
            cut = max(candidates, key=lambda i: (current[i].pause_before if i < len(current) else span.pause_before, i))
            chunks.append(Chunk(tuple(current[:cut])))
            current = current[cut:]
            length = sum(s.end - s.start for s in current)
            if current and length + size > limit:  # what was carried over and this span do not fit together
                chunks.append(Chunk(tuple(current)))
                current, length = [], 0
        current.append(span)
        length += size
    if current:
        chunks.append(Chunk(tuple(current)))
    return chunks
