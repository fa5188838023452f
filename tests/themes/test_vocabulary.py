"""The theme vocabulary as data: its fingerprint, its labels and its trigger words."""

import pytest

from storyatlas.errors import StoryAtlasError
from storyatlas.themes.vocabulary import Vocabulary, default_vocabulary, theme_from


def test_the_fingerprint_follows_the_themes_not_their_order():
    shipped = default_vocabulary()
    assert Vocabulary(tuple(reversed(shipped.themes))).version == shipped.version
    floods = shipped.get("floods")
    more = theme_from("floods", {**floods.as_json(), "triggers": {**floods.as_json()["triggers"], "en": ["dam"]}})
    changed = Vocabulary(tuple(more if t.id == "floods" else t for t in shipped.themes))
    assert changed.version != shipped.version and len(changed.version) == 12


def test_a_theme_is_read_with_its_triggers_tidied_and_its_label_in_each_language():
    theme = theme_from("food_banks", {"triggers": {"en": ["  Food Bank ", "", "  "], "de": ["Tafel"]},
                                      "labels": {"de": "Tafeln"}})
    assert theme.triggers == {"en": ("food bank",), "de": ("tafel",)}
    assert theme.label == "food_banks" and theme.label_in("de") == "Tafeln" and theme.label_in("pl") == "food_banks"
    assert theme.as_json()["triggers"] == {"en": ["food bank"], "de": ["tafel"]}


def test_a_theme_not_in_the_vocabulary_is_named_in_the_error():
    with pytest.raises(StoryAtlasError, match="there is no theme 'atlantis'"):
        default_vocabulary().get("atlantis")
