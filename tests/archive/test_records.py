"""A place as people type it ("Zgorzelec, Lower Silesia, PL") read into its parts, and a
story's state told from its consent columns."""

import pytest

from storyatlas.archive.records import Place, Story


@pytest.mark.parametrize("typed, parts", [
    ("Zgorzelec, Lower Silesia, PL", ("Zgorzelec", "Lower Silesia", "PL")),
    ("Zgorzelec, Lower Silesia, pl", ("Zgorzelec", "Lower Silesia", "PL")),
    ("  Linz ,Upper Austria,  Mühlviertel , at ", ("Linz", "Upper Austria, Mühlviertel", "AT")),
    ("Görlitz, , DE", ("Görlitz", None, "DE")),
    ("Ulm, Baden-Württemberg", ("Ulm", "Baden-Württemberg", None)),
    ("Porto", ("Porto", None, None)),
    ("PT", (None, None, "PT")),
    ("Łódź, 91", ("Łódź", "91", None)),  # two characters, not a country code
    (" , ,", (None, None, None)),
    ("", (None, None, None)),
    (None, (None, None, None)),
])
def test_a_place_is_read_as_community_region_and_country(typed, parts):
    place = Place.parse(typed)
    assert (place.community, place.region, place.country) == parts


def test_a_place_reads_back_as_it_was_typed_tidied():
    assert str(Place.parse(" Linz,Upper Austria ,  at")) == "Linz, Upper Austria, AT"
    assert str(Place.parse("PT")) == "PT" and str(Place()) == ""


def _story(**consent) -> Story:
    return Story(1, "Powódź", None, Place(), None, None, "pl", 0.9, None, None, "private", 60.0,
                 "2026-12-04", **consent)


def test_a_story_waits_for_a_moderator_while_its_teller_asks_for_more_than_it_has():
    assert _story(requested_visibility="public").state == "waiting"
    assert _story(requested_visibility="public", declined=True).state == "waiting"  # asked again
    assert _story(declined=True).state == "declined"
    assert _story().state == "published"
