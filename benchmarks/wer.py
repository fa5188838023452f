"""Word error rate with one documented normaliser.

References come in different styles (upper case, punctuation, numbers as words),
so both sides are normalised the same way before comparing:

1. Unicode NFKC, lower case (casefold);
2. numbers written with digits become words in the file's language (num2words),
   "1961" -> "nineteen sixty-one" is *not* attempted: years are read as cardinals;
3. apostrophes are removed ("don't" -> "dont"), every other punctuation mark
   and hyphen becomes a space;
4. runs of whitespace collapse to one space.
"""

from __future__ import annotations

import re
import unicodedata

import jiwer
from num2words import CONVERTER_CLASSES, num2words

_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def _spell(match: re.Match, language: str) -> str:
    text = match.group(0).replace(",", ".")
    if language not in CONVERTER_CLASSES:
        return " " + text + " "
    try:
        return " " + num2words(float(text) if "." in text else int(text), lang=language) + " "
    except (OverflowError, ValueError):
        return " " + text + " "


def normalise(text: str, language: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _NUMBER.sub(lambda m: _spell(m, language), text)
    text = re.sub(r"['’`]", "", text)
    text = "".join(" " if unicodedata.category(c)[0] in "PS" else c for c in text)
    return " ".join(text.split())


def word_errors(reference: str, hypothesis: str, language: str) -> tuple[int, int]:
    """(errors, reference words): add them up over files for a corpus WER."""
    ref = normalise(reference, language)
    hyp = normalise(hypothesis, language)
    if not ref:
        return (len(hyp.split()), 0)
    out = jiwer.process_words(ref, hyp if hyp else "")
    return out.substitutions + out.deletions + out.insertions, len(ref.split())
