"""A place named in a story matched with the communities the archive knows, or with a
country named in any of the vocabulary's languages."""

import pytest

from storyatlas.themes.places import PlaceNames

KNOWN = PlaceNames({"zgorzelec": ("Zgorzelec", "PL"), "gorlitz": ("Görlitz", "DE")})


@pytest.mark.parametrize("said, normalised", [
    (" ZGORZELEC ", ("PL", "Zgorzelec")),
    ("Gorlitz", ("DE", "Görlitz")),  # as the archive spells it
    ("Deutschland", ("DE", "Germany")),  # a country in any vocabulary language, named in English
    ("Niemcy", ("DE", "Germany")),
    ("  österreich", ("AT", "Austria")),
    ("Atlantis", (None, None)),
])
def test_a_place_is_matched_by_its_folded_name(said, normalised):
    assert KNOWN.normalise(said) == normalised
