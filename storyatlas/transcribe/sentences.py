"""A chunk's lines cut again into sentences.

Whisper's timestamps cut a 30 s chunk where the model chose to, which on a chunk decoded
with no previous text is often mid-sentence ("... the water came | into our street. The
neighbours | brought sandbags"). The segment is the unit of search, of redaction and of
correction, so it should hold a sentence: the words of a chunk's lines are laid end to end
and cut after each word that ends a sentence, at a long pause, and at a line end once the
segment is long (speech written without punctuation still gets segments of a usable size).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from storyatlas.archive.records import Word
from storyatlas.transcribe.types import TranscriptSegment

# a closing quote or bracket may follow the mark: ” ’ » in English and French, “ ‘ « in
# German („Wasser!“, »Wasser!«), ' and " anywhere
SENTENCE_END = re.compile(r"[.!?。！？…؟]['\"”’»“‘«›‹)\]]*$")
ABBREVIATIONS = frozenset({"mr.", "mrs.", "ms.", "dr.", "st.", "prof.", "hr.", "fr.", "nr.", "z.b.", "u.a.",
                           "bzw.", "ca.", "sr.", "sra.", "sig.", "p.", "ul.", "pl.", "al."})
PAUSE_S = 1.5
"""A pause this long between two words ends a segment, punctuation or not."""
LONG_S = 15.0
"""A segment this long ends at the next line end the model chose."""


def by_sentence(lines: Sequence[TranscriptSegment],
                unsure: Callable[[tuple[Word, ...]], bool]) -> list[TranscriptSegment]:
    """``lines`` (one decoding's, in time order) as sentences; ``unsure`` marks a
    sentence's low confidence from its words. Lines without word timestamps are kept."""
    if not lines or any(not line.words for line in lines):
        return list(lines)
    out: list[TranscriptSegment] = []
    words: list[Word] = []

    def close(line: TranscriptSegment) -> None:
        if words:
            text = "".join(w.word for w in words).strip()
            out.append(TranscriptSegment(words[0].start, words[-1].end, text, tuple(words), line.avg_logprob,
                                         line.no_speech_prob, line.language, unsure(tuple(words))))
            words.clear()

    for line in lines:
        for i, word in enumerate(line.words):
            if words and (word.start - words[-1].end >= PAUSE_S
                          or (i == 0 and words[-1].end - words[0].start >= LONG_S)):
                close(line)
            words.append(word)
            if ends_sentence(word.word):
                close(line)
    close(lines[-1])
    return out


def ends_sentence(word: str) -> bool:
    word = word.strip()
    return bool(SENTENCE_END.search(word)) and word.casefold() not in ABBREVIATIONS
