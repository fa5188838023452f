"""Where a story's language changes: people switch mid-story (a Polish grandmother
quoting her German neighbour), and Whisper's detection on a 30 s chunk names one language
for all of it, German over English even where the English is longer (measured on
alternating clips). Where languages may mix, each phrase's language is detected alone
and chunks are formed again, one language each.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from storyatlas.transcribe.audio_windows import Span
from storyatlas.transcribe.chunks import Chunk

SURE = 0.5               # a detection below this says little: the chunk's language stands
MIXED_AFTER_S = 10.0     # a story mixes languages once two are each heard this long, surely
PHRASE_PAUSE_S = 0.5     # a pause this long may separate two languages (a sentence, a speaker)
MIN_PHRASE_S = 2.0       # shorter is too short to tell a language by
MAX_PHRASE_S = 10.0


def story_mixed(heard: dict[str, float]) -> bool:
    """Two languages heard, each for MIXED_AFTER_S, in chunks detected surely."""
    return sum(1 for seconds in heard.values() if seconds >= MIXED_AFTER_S) > 1


def suspects(detected: list[tuple[str, float, float]], heard: dict[str, float], unsure_below: float,
             second_above: float) -> list[bool]:
    """Which of a window's chunks (their detected language, its probability and the
    probability of the second most likely) may hold more than one language: all of them
    when the story has shown two languages or this window has; else those whose language
    is unsure or whose second language is likely enough."""
    languages = {language for language, probability, _ in detected if probability >= SURE}
    if story_mixed(heard) or len(languages) > 1:
        return [True] * len(detected)
    return [probability < unsure_below or second >= second_above for _, probability, second in detected]


def phrases(chunk: Chunk) -> list[list[Span]]:
    """The chunk's speech as the voice detector found it, grouped into phrases: cut at
    pauses of PHRASE_PAUSE_S or more and at the latest after MAX_PHRASE_S; a phrase
    shorter than MIN_PHRASE_S joins the neighbour it is closer to (the shorter pause)."""
    found: list[list[Span]] = []
    for piece in (f for p in chunk.pieces for f in p.fine):
        length = sum(p.seconds for p in found[-1]) if found else 0.0
        if not found or piece.pause_before >= PHRASE_PAUSE_S or length >= MAX_PHRASE_S:
            found.append([])
        found[-1].append(piece)
    while len(found) > 1:
        short = [i for i, ph in enumerate(found) if sum(p.seconds for p in ph) < MIN_PHRASE_S]
        if not short:
            break
        i = min(short, key=lambda k: sum(p.seconds for p in found[k]))
        before = found[i][0].pause_before if i > 0 else float("inf")
        after = found[i + 1][0].pause_before if i + 1 < len(found) else float("inf")
        j = i - 1 if before <= after else i + 1
        lo, hi = min(i, j), max(i, j)
        found[lo:hi + 1] = [found[lo] + found[hi]]
    return found


def continued(detected: list[tuple[str, float] | None], chunk: tuple[str, float]) -> list[tuple[str, float]]:
    """Each phrase's language (and probability), where a phrase too unclear to tell
    (None) continues the language of the sure phrase before it, or else takes that of the
    one after: people switch languages between sentences, not back and forth within a
    few seconds. Where no phrase is sure, the chunk's own."""
    out: list[tuple[str, float] | None] = list(detected)
    last = None
    for i, found in enumerate(out):
        out[i] = last = found or last
    following = None
    for i in reversed(range(len(out))):
        if detected[i] is not None:
            following = detected[i]
        out[i] = out[i] or following or chunk
    return out


def runs_of_one_language(pieces: Iterable[tuple[str, float, Span]]) -> list[tuple[str, float, list[Span]]]:
    """Labelled pieces (language, probability, span) as runs of one language, of pieces
    next to each other in the recording: packing pieces from apart into one chunk would
    let Whisper run a line, and word alignment drift, across what lies between them.
    Each run with its language and mean probability."""
    runs: list[list[tuple[str, float, Span]]] = []
    for item in sorted(pieces, key=lambda x: x[2].start):
        if not runs or runs[-1][-1][0] != item[0] or item[2].seq != runs[-1][-1][2].last + 1:
            runs.append([])
        runs[-1].append(item)
    return [(run[0][0], float(np.mean([p for _, p, _ in run])), [s for _, _, s in run]) for run in runs]
