"""Text helpers shared by every stage (the bottom layer: imports nothing of the project)."""

from __future__ import annotations

import functools
import math
import unicodedata


# letters that carry no diacritic Unicode could take off, written as people type them
# without the key (casefold already makes ß "ss"; NFKD takes off accents, dots, tildes)
_LETTERS = str.maketrans({
    "œ": "oe", "æ": "ae", "ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "ı": "i",
    "ħ": "h", "ŧ": "t", "ŋ": "ng", "ĸ": "k", "ƀ": "b", "ǥ": "g", "ɨ": "i", "ʉ": "u", "ŀ": "l",
})


def written_out(text: str) -> str:
    """``text`` in lower case with ß, œ, æ, ł, ø and the like written out as by ``fold``,
    its accents and punctuation kept: what the index points' ``folded`` column holds for
    a tokenizer that takes off accents itself (migration 0024 writes the same letters)."""
    return text.casefold().translate(_LETTERS)


def as_kept(text: str) -> str:
    """A name, place or collection with its accents written one way (NFC), as the archive
    keeps and compares them: "Görlitz" typed with a combining umlaut is "Görlitz"."""
    return unicodedata.normalize("NFC", text)


def as_written(text: str) -> str:
    """``text`` case-folded, its accents kept and written one way (NFC): a word "as
    written", as the word lists, the theme triggers and a phrase's words compare it
    ("Fermé", and "fermé" typed with a combining accent, are "fermé")."""
    return as_kept(text).casefold()


def printed(text: str, keep: str = "") -> str:
    """``text`` without control characters (but those in ``keep``; a tab or line break is
    a space): what people type or send is printed on the keepers' terminals too
    (`storyatlas stories`, `show`), where an escape sequence would work."""
    return "".join(c if c in keep or unicodedata.category(c) != "Cc" else " " if c.isspace() else "" for c in text)


def one_line(text: str) -> str:
    """``text`` on one line, single spaces, without control characters."""
    return " ".join(printed(text).split())


# a search folds the same few words some 60 times (its words against the stop words, the
# theme triggers, "did you mean"'s candidates): cached, bounded
@functools.lru_cache(maxsize=16_384)
def fold(word: str) -> str:
    """A word as the index sees it, and as theme triggers are compared: lower case,
    without diacritics or punctuation; letters such as ß, œ, æ, ł, ø, đ, þ written out
    as on a keyboard without them (Straße and Strasse, sœur and soeur, Łódź and Lodz meet)."""
    decomposed = unicodedata.normalize("NFKD", word.casefold()).translate(_LETTERS)
    return "".join(c for c in decomposed if c.isalnum())


def language_name(code: str | None) -> str:
    """The English name of an ISO 639-1 code ("de" -> "German"), as archival formats
    such as OHMS write languages; the code itself when Babel does not know it."""
    if not code:
        return ""
    from babel import Locale

    return Locale("en").languages.get(code, code)


def language_code(name: str | None) -> str | None:
    """The ISO 639-1 code of a language named in English ("German" -> "de"), or of a
    code given as such ("de"); None when it is neither."""
    if not name or not name.strip():
        return None
    from babel import Locale

    wanted = name.strip().casefold()
    names = Locale("en").languages
    if len(wanted) == 2 and wanted in names:
        return wanted
    for code, english in names.items():
        if len(code) == 2 and english.casefold() == wanted:
            return code
    return None


def clock(seconds: float) -> str:
    """mm:ss (or h:mm:ss) for people to read."""
    s = int(seconds)
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60:02d}:{rest % 60:02d}"


def clock_tenths(seconds: float) -> str:
    """m:ss.s (or h:mm:ss.s): a moment to the tenth of a second, as ``parse_clock`` reads
    it back. Rounded before it is split, so 59.96 s is 1:00.0, not 0:60.0; a time that is
    no number ("nan", "inf": a request may send one) is said as it came."""
    if not math.isfinite(seconds * 10):  # 1e308 s is a number whose tenths are not
        return str(seconds)
    tenths = round(max(0.0, seconds) * 10)
    minutes, tenths = divmod(tenths, 600)
    hours, minutes = divmod(minutes, 60)
    second = f"{tenths // 10:02d}.{tenths % 10}"
    return f"{hours}:{minutes:02d}:{second}" if hours else f"{minutes}:{second}"
