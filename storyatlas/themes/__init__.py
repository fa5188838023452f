"""Themes, places and people found in transcripts: the community vocabulary, the tagger
(spaCy on the English pivot, lemma lookup in the original language) and emerging themes."""

from storyatlas.themes.tagger import EntityTag, Evidence, Tagger, Tagging, ThemeTag
from storyatlas.themes.vocabulary import LANGUAGES, Theme, Vocabulary, default_vocabulary

__all__ = ["LANGUAGES", "EntityTag", "Evidence", "Tagger", "Tagging", "Theme", "ThemeTag", "Vocabulary",
           "default_vocabulary"]
