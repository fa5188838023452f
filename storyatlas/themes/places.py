"""Naming places consistently: a place named in a story is matched with the countries
(in the vocabulary's languages, through Babel's names) and with the communities and
regions the archive already knows."""

from __future__ import annotations

import functools

from babel import Locale

from storyatlas.themes.lemmas import fold
from storyatlas.themes.vocabulary import LANGUAGES


@functools.cache
def _countries() -> dict[str, str]:
    names: dict[str, str] = {}
    for lang in LANGUAGES:
        for code, name in Locale.parse(lang).territories.items():
            if len(code) == 2 and code.isalpha():
                names.setdefault(fold(name), code)
    return names


class PlaceNames:
    def __init__(self, known: dict[str, tuple[str, str | None]] | None = None) -> None:
        """``known``: folded community or region name -> (its name, its country code)."""
        self.known = known or {}

    def normalise(self, text: str) -> tuple[str | None, str | None]:
        """(country code, normalised name) of a place name, as far as they can be told."""
        key = fold(text.strip())
        if key in self.known:
            name, country = self.known[key]
            return country, name
        code = _countries().get(key)
        if code:
            return code, Locale.parse("en").territories.get(code, text)
        return None, None
