"""The atlas and the compare page: what a circle counts is what it opens, whatever the
places compared and however their names were typed."""

from __future__ import annotations

import unicodedata

import pytest

from tests.web.test_atlas import _places, _story, stories  # noqa: F401 (a fixture)


def _listed(client, href: str) -> list[str]:
    part = client.get(href.split("#")[0]).text.split('<section id="stories"', 1)[1]
    return part.split("</section>", 1)[0].split('<a href="/stories/')[1:]


def test_a_compare_maps_circle_opens_the_stories_it_counts(client, archive):
    """Compared with a collection, Zgorzelec's circle counted its one story in the
    collection but opened all three of Zgorzelec's; the second place's circle counts (and
    must open) only its stories not in the first."""
    _story(archive, "In the collection", "Zgorzelec", "PL", collection="Flood memories")
    for n in range(2):
        _story(archive, f"Outside it {n}", "Zgorzelec", "PL")
    _story(archive, "Porto story", "Porto", "PT")
    page = client.get("/compare", params={"a": "Flood memories", "b": "PL"}).text
    places = _places(page)
    assert set(places) == {"Zgorzelec, Poland: stories: 1", "Zgorzelec, Poland: stories: 2"}
    first = client.get(places["Zgorzelec, Poland: stories: 1"][0].split("#")[0]).text
    assert "(in Flood memories)" in first
    assert [s.split("<", 1)[0].split(">", 1)[1] for s in _listed(client, places["Zgorzelec, Poland: stories: 1"][0])] \
        == ["In the collection"]
    second = _listed(client, places["Zgorzelec, Poland: stories: 2"][0])
    assert len(second) == 2 and not any("In the collection" in s for s in second)
    assert "(in Poland, not in Flood memories)" in client.get(
        places["Zgorzelec, Poland: stories: 2"][0].split("#")[0]).text


def test_a_compared_name_typed_with_combining_accents_is_on_the_map_too(client, archive):
    """"Görlitz" typed with a combining umlaut was counted (3 stories) but not drawn."""
    for n in range(3):
        _story(archive, f"Görlitz story {n}", "Görlitz", "DE")
    _story(archive, "Porto story", "Porto", "PT")
    page = client.get("/compare", params={"a": unicodedata.normalize("NFD", "Görlitz"), "b": "PT"}).text
    assert "Görlitz: stories: 3 · Portugal: stories: 1" in page
    assert set(_places(page)) == {"Görlitz, Germany: stories: 3", "Porto, Portugal: stories: 1"}
    listed = client.get("/atlas", params={"community": unicodedata.normalize("NFD", "Görlitz"), "country": "DE"})
    assert listed.text.split('<section id="stories"', 1)[1].count('<a href="/stories/') == 3


def test_odd_compared_places_answer_a_page(client, archive):
    _story(archive, "Porto story", "Porto", "PT")
    for params in ({"community": "Porto", "in": "", "outside": ""}, {"community": "Porto", "outside": "PT"},
                   {"community": "Porto", "in": "PT", "outside": ["x"] * 50}, {"community": "Porto", "in": "\x00"}):
        assert client.get("/atlas", params=params).status_code == 200, params


@pytest.mark.usefixtures("stories")
def test_the_count_above_the_map_is_the_sum_of_its_table(client):
    """It said 8 where the table listed 7 stories and one more was "with no place", below it."""
    import re

    from tests.web.test_atlas import _table

    page = client.get("/atlas").text
    said = int(re.search(r"Stories on this map and in its table: (\d+)", page).group(1))
    assert said == sum(_table(page).values()) == 7 and "Stories with no place: 1" in page


def test_a_compared_town_of_two_letters_is_named_as_typed(client, archive):
    """"Ry" (a town in Denmark) was shown as "RY", taken for a country code."""
    for n in range(2):
        _story(archive, f"Ry story {n}", "Ry", "DK")
    _story(archive, "Porto story", "Porto", "PT")
    page = client.get("/compare", params={"a": "Ry", "b": "pt"}).text
    assert "Ry: stories: 2 · Portugal: stories: 1" in page and "RY" not in page
    href = _places(page)["Porto, Portugal: stories: 1"][0]
    assert "(in Portugal, not in Ry)" in client.get(href.split("#")[0]).text
