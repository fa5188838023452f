"""The theme vocabulary: themes with labels, descriptions and trigger words per language.

The repository's ``vocabulary.toml`` is where an archive starts; moderators' additions
and edits live in the archive (table ``themes``) and win over the file.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import tomllib
from dataclasses import asdict, dataclass, field
from importlib import resources

from storyatlas.errors import StoryAtlasError, said

LANGUAGES = ("en", "de", "fr", "es", "it", "pl", "nl", "pt", "ro", "el")
# a theme's id never changes: lower-case letters, digits and _, e.g. school_closures
THEME_ID = re.compile(r"\A[a-z][a-z0-9_]{1,40}\Z")  # \Z: "$" also matched before a final newline


@dataclass(frozen=True)
class Theme:
    id: str
    label: str
    description: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    """The label in other languages."""
    triggers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Per language, words or phrases in dictionary form."""

    def label_in(self, lang: str) -> str:
        return self.labels.get(lang) or self.label

    def as_json(self) -> dict:
        doc = asdict(self)
        doc["triggers"] = {lang: list(words) for lang, words in self.triggers.items()}
        return doc


@dataclass(frozen=True)
class Vocabulary:
    themes: tuple[Theme, ...]

    @functools.cached_property
    def version(self) -> str:
        """A short fingerprint: stories tagged with another version are due for re-tagging."""
        canonical = json.dumps([t.as_json() for t in sorted(self.themes, key=lambda t: t.id)],
                               sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]

    def get(self, theme_id: str) -> Theme:
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise StoryAtlasError(said("there is no theme {theme!r}: `storyatlas themes list` shows them", theme=theme_id))

    def ids(self) -> list[str]:
        return [t.id for t in self.themes]


def theme_from(theme_id: str, data: dict) -> Theme:
    triggers = {lang: tuple(str(w).strip().lower() for w in words if str(w).strip())
                for lang, words in (data.get("triggers") or {}).items()}
    return Theme(theme_id, data.get("label") or theme_id, data.get("description") or "",
                 dict(data.get("labels") or {}), triggers)


def default_vocabulary() -> Vocabulary:
    text = resources.files("storyatlas.themes").joinpath("vocabulary.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return Vocabulary(tuple(theme_from(tid, t) for tid, t in data["themes"].items()))
