"""The atlas's parts: the committed outlines, the projection, the gazetteer, grouping the
archive's counts into places, and the counts themselves through the access policy."""

from __future__ import annotations

import json
import math
import re
from importlib import resources

import pytest

from storyatlas import atlas
from storyatlas.archive.places import PlaceCount, PlaceFilters, filter_choices, place_counts, place_stories
from storyatlas.archive.policy import Viewer
from storyatlas.atlas import gazetteer, geometry
from storyatlas.atlas.draw import SHOWN, Marker, svg_map
from tests.conftest import add_story


def test_the_outlines_are_small_and_name_their_countries():
    data = resources.files("storyatlas.atlas").joinpath("europe.json")
    assert len(data.read_bytes()) < 300_000
    doc = json.loads(data.read_text(encoding="utf-8"))
    assert "Natural Earth" in doc["source"]
    codes = {c["iso"] for c in doc["countries"]}
    assert {"PL", "PT", "DE", "FR", "NO", "IS", "MT", "LU", "CY", "UA", "TR"} <= codes  # FR and NO filled in
    assert all(len(c["iso"]) == 2 for c in doc["countries"] if c["iso"])


def test_centres_fall_inside_their_countries():
    centres = geometry.centres()
    for code, (west, south, east, north) in {"PL": (14, 49, 24.2, 55), "FR": (-5, 42, 8.3, 51.1),
                                             "NO": (4.5, 58, 31, 71.2), "PT": (-9.6, 36.9, -6.1, 42.2)}.items():
        lon, lat = centres[code]
        assert west < lon < east and south < lat < north, code


def test_the_projection_puts_europe_in_the_frame_west_to_east_and_north_up():
    f = geometry.frame()
    lisbon, warsaw, oslo, athens = (f.point(*p) for p in [(-9.14, 38.72), (21.01, 52.23), (10.75, 59.91),
                                                          (23.73, 37.98)])
    assert all(f.inside(*p) for p in (lisbon, warsaw, oslo, athens))
    assert lisbon[0] < warsaw[0] and oslo[1] < warsaw[1] < athens[1]
    x, y = geometry.project(*geometry._unproject(*geometry.project(12.3, 45.6)))
    assert (round(x, 9), round(y, 9)) == tuple(round(v, 9) for v in geometry.project(12.3, 45.6))
    assert geometry.country_paths() is geometry.country_paths()  # made once


@pytest.mark.slow
def test_towns_are_found_by_any_spelling_within_their_country():
    lon, lat, code = gazetteer.locate("Zgorzelec", "PL")
    assert code == "PL" and abs(lon - 15.0) < 0.2 and abs(lat - 51.15) < 0.2
    assert gazetteer.locate("MÜNCHEN", "DE")[:2] == gazetteer.locate("Munich", "de")[:2]
    assert gazetteer.locate("Lodz", "PL")[:2] == gazetteer.locate("Łódź", "PL")[:2]
    assert gazetteer.locate("Porto", "PT")[2] == "PT"
    assert gazetteer.locate("Zgorzelec", "PT") is None  # not in that country
    assert gazetteer.locate("Hubmoor", "DE") is None and gazetteer.locate("  ", None) is None
    assert gazetteer.locate("Kyoto", None) is None  # outside the map: only towns in and around Europe
    # of several towns of one name, the most populous: Frankfurt am Main, not Frankfurt (Oder)
    assert gazetteer.locate("Frankfurt", "DE")[0] == pytest.approx(8.68, abs=0.1)
    assert gazetteer.locate("Tripoli", None)[2] == "LY" and gazetteer.locate("Tripoli", "LB")[2] == "LB"


def test_a_town_is_known_by_its_name_and_its_latin_greek_and_cyrillic_spellings():
    found = gazetteer._spellings("München", ["Munich", "Мюнхен", "慕尼黑", "", "Monaco di Baviera"])
    assert found == {"munchen", "munich", "мюнхен", "monacodibaviera"}
    assert gazetteer._spellings("’", ["…"]) == set()  # nothing left of it to look up


def test_counts_become_places_at_each_level():
    counts = [PlaceCount("Zgorzelec", "Lower Silesia", "PL", 2), PlaceCount("zgorzelec", None, "PL", 1),
              PlaceCount("Wrocław", "Lower Silesia", "PL", 1), PlaceCount(None, "Lower Silesia", "PL", 1),
              PlaceCount("Hubmoor", None, "DE", 1), PlaceCount(None, None, None, 4),
              PlaceCount(None, None, "US", 1)]
    by_community = atlas.places(counts, "community")
    assert by_community.no_place == 4 and by_community.total == 11
    named = {(p.level, p.name): p for p in by_community.places}
    assert named["community", "Zgorzelec"].stories == 3  # one community, however it is written
    assert named["community", "Zgorzelec"].filters == {"community": "Zgorzelec", "country": "PL"}
    assert named["region", "Lower Silesia"].filters == {"community": "", "region": "Lower Silesia", "country": "PL"}
    hubmoor = named["community", "Hubmoor"]
    assert hubmoor.approximate and hubmoor.position == geometry.centres()["DE"]
    assert named["country", "US"].xy is None  # counted, listed, not on this map
    by_region = {(p.level, p.name): p.stories for p in atlas.places(counts, "region").places}
    assert by_region == {("region", "Lower Silesia"): 4, ("community", "zgorzelec"): 1,
                         ("community", "Hubmoor"): 1, ("country", "US"): 1}
    region = next(p for p in atlas.places(counts, "region").places if p.name == "Lower Silesia")
    assert not region.approximate  # between Zgorzelec and Wrocław
    assert 15.0 <= region.position[0] <= 17.1
    by_country = {p.name: p for p in atlas.places(counts, "country").places}
    assert {name: p.stories for name, p in by_country.items()} == {"PL": 5, "DE": 1, "US": 1}
    assert by_country["PL"].position == geometry.centres()["PL"] and not by_country["PL"].approximate
    with pytest.raises(ValueError, match="community, region, country"):
        atlas.places(counts, "street")


def test_towns_of_one_name_in_two_countries_are_two_places_named_and_then_by_country():
    counts = [PlaceCount("Kirchberg", None, "DE", 1), PlaceCount("Kirchberg", None, "AT", 1),
              PlaceCount("Aachen", None, "DE", 1), PlaceCount("Linz", None, "AT", 2)]
    assert [(p.name, p.country, p.stories) for p in atlas.places(counts).places] == [
        ("Linz", "AT", 2), ("Aachen", "DE", 1), ("Kirchberg", "AT", 1), ("Kirchberg", "DE", 1)]


def test_places_are_named_as_most_stories_spell_them_most_stories_first_each_side_apart():
    counts = [PlaceCount("ŁÓDŹ", None, "PL", 1, within=0), PlaceCount("Łódź", None, "PL", 3, within=0),
              PlaceCount("Łódź", None, "PL", 2, within=1), PlaceCount("Omsk", None, "RU", 5, within=1),
              PlaceCount("Hubmoor", None, None, 1)]
    places = atlas.places(counts).places
    assert [(p.name, p.within, p.stories) for p in places] == [
        ("Omsk", 1, 5), ("Łódź", 0, 4), ("Łódź", 1, 2), ("Hubmoor", None, 1)]
    omsk = places[0]
    assert omsk.position and omsk.xy is None and omsk not in atlas.places(counts).on_map  # east of the frame
    # a place naming no country lists only the stories naming none
    assert places[-1].filters == {"community": "Hubmoor", "country": ""}


def test_a_region_is_placed_at_the_middle_of_its_towns_stories():
    counts = [PlaceCount("Zgorzelec", "Lower Silesia", "PL", 3), PlaceCount("Wrocław", "Lower Silesia", "PL", 1)]
    [region] = atlas.places(counts, "region").places
    (zx, zy, _), (wx, wy, _) = gazetteer.locate("Zgorzelec", "PL"), gazetteer.locate("Wrocław", "PL")
    assert region.position == (pytest.approx((3 * zx + wx) / 4), pytest.approx((3 * zy + wy) / 4))


def test_a_country_written_in_small_letters_is_the_same_country_and_a_place_lists_its_newest_first(archive):
    line = [(0.0, 2.0, "Woda przyszła.")]
    add_story(archive, "First", "pl", line, community="Zgorzelec", country="pl")
    add_story(archive, "Second", "pl", line, community="Zgorzelec", country="PL")
    assert [(c.community, c.country, c.stories) for c in place_counts(archive, Viewer.anonymous())] == \
           [("Zgorzelec", "PL", 2)]
    total, listed = place_stories(archive, Viewer.anonymous(), PlaceFilters(community="Zgorzelec", country="PL"))
    assert total == 2 and [s.title for s in listed] == ["Second", "First"]


def test_counts_and_listings_go_through_the_access_policy(archive):
    line = [(0.0, 2.0, "Woda przyszła.")]
    add_story(archive, "Open", "pl", line, community="Zgorzelec", country="PL")
    add_story(archive, "Members", "pl", line, community="ZGORZELEC", country="PL", visibility="community")
    add_story(archive, "Researchers", "pl", line, community="Kwiatkowo", country="PL", visibility="researchers")
    add_story(archive, "Embargoed", "pl", line, community="Zgorzelec", country="PL", embargo_until="2999-01-01")

    def counts(viewer):
        return {(c.community, c.country): c.stories for c in place_counts(archive, viewer)}

    assert counts(Viewer.anonymous()) == {("Zgorzelec", "PL"): 1}
    assert counts(Viewer(name="z", member_of=frozenset({"zgorzelec"}))) == {("Zgorzelec", "PL"): 1,
                                                                          ("ZGORZELEC", "PL"): 1}
    assert counts(Viewer(name="r", roles=frozenset({"researcher"}))) == {("Zgorzelec", "PL"): 1,
                                                                        ("Kwiatkowo", "PL"): 1}
    assert sum(counts(Viewer.keeper()).values()) == 4
    total, listed = place_stories(archive, Viewer.anonymous(), PlaceFilters(community="zgorzelec", country="pl"))
    assert total == 1 and [s.title for s in listed] == ["Open"]
    total, _ = place_stories(archive, Viewer.keeper(), PlaceFilters(community="Zgorzelec", region=""))
    assert total == 3


def test_the_filters_offer_what_the_viewer_may_see_of_the_places_compared(archive):
    add_story(archive, "Zg", "pl", [(0.0, 2.0, "Woda przyszła."), (2.0, 4.0, "Das Wasser kam.", None, "de")],
              community="Zgorzelec", country="PL", recorded_on="2019-05-01")
    add_story(archive, "Gö", "de", [(0.0, 2.0, "Das Wasser kam.")], community="Görlitz", country="DE",
              recorded_on="2021")
    add_story(archive, "Undated", "de", [(0.0, 2.0, "Das Wasser kam.")], community="Görlitz", country="DE")
    add_story(archive, "Hidden", "fr", [(0.0, 2.0, "L'eau est venue.")], community="Görlitz", country="DE",
              recorded_on="2023", visibility="private")
    ids = dict(archive.conn.execute("SELECT title, id FROM stories").fetchall())
    for title, theme in (("Zg", "work"), ("Zg", "floods"), ("Gö", "floods"), ("Hidden", "housing")):
        archive.conn.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, ?, 1.0)",
                             (ids[title], theme))
    archive.conn.execute("UPDATE stories SET languages = '[\"pl\", \"PL\", null, \"de\"]' WHERE id = ?", (ids["Zg"],))

    every = filter_choices(archive, Viewer.anonymous())
    assert every.themes == [("floods", 2), ("work", 1)]  # by name, each with its stories
    assert every.languages == [("de", 3), ("pl", 1)]  # as spoken anywhere in a story, each story once
    assert every.years == [("2021", 1), ("2019", 1)]  # newest first, none for a story with no date
    compared = filter_choices(archive, Viewer.anonymous(), within=("görlitz",))
    assert (compared.themes, compared.languages, compared.years) == ([("floods", 1)], [("de", 2)], [("2021", 1)])


def test_the_svg_names_each_circle_and_links_it():
    svg = svg_map([Marker(100, 200, 3, "Zgorzelec, Poland: stories: 3", "/atlas?community=Zgorzelec", "Zgorzelec"),
                   Marker(300, 400, 1, "A <b> & c", "/atlas?x=1&y=2", "A <b>", approximate=True)], "Map & key")
    assert svg.startswith('<svg class="atlas-map"') and 'aria-label="Map &amp; key"' in svg
    assert '<title>Zgorzelec, Poland: stories: 3</title>' in svg and '<title>A &lt;b&gt; &amp; c</title>' in svg
    assert 'href="/atlas?x=1&amp;y=2"' in svg and "stroke-dasharray" in svg
    assert "http" not in svg  # inline in HTML: no namespace, no address


def _circles(svg):
    return re.findall(r'<circle cx="([^"]+)" cy="([^"]+)" r="([^"]+)" fill="([^"]+)"', svg)


def _labels(svg):
    return re.findall(r'<text x="[^"]+" y="[^"]+" text-anchor="(\w+)">([^<]*)</text>', svg)


def test_a_circles_area_grows_with_its_stories_and_the_small_ones_are_drawn_on_top():
    svg = svg_map([Marker(100, 100, 1, "c", "/c", "C"), Marker(300, 100, 100, "a", "/a", "A"),
                   Marker(500, 100, 25, "b", "/b", "B", side=1)], "Map", countries_with_stories={"PL"})
    # the radius from the square root of the stories, never under 4.5; the second place of a comparison in its colour
    assert _circles(svg) == [("300", "100", "30", "#0b5394"), ("500", "100", "15", "#b45f06"),
                             ("100", "100", "4.5", "#0b5394")]
    assert svg.count('class="lit"') == 1  # the one country with stories
    assert 'class="lit"' not in svg_map([], "Map")


def test_places_at_one_spot_are_spread_round_it_each_with_its_name():
    # Görlitz and Zgorzelec are a bridge apart: one circle, Zgorzelec's link under Görlitz's name
    twins = [Marker(473.2, 512.3, 2, "g", "/g", "Görlitz"), Marker(473.5, 512.5, 2, "z", "/z", "Zgorzelec")]
    svg = svg_map(twins, "Map")
    (gx, gy), (zx, zy) = [(float(x), float(y)) for x, y, _, _ in _circles(svg)]
    assert math.hypot(zx - gx, zy - gy) == pytest.approx(SHOWN, abs=0.1) and gx < zx  # Görlitz stays west
    assert (gx + zx) / 2 == pytest.approx(473.35, abs=0.1) and (gy + zy) / 2 == pytest.approx(512.4, abs=0.1)
    assert sorted(name for _, name in _labels(svg)) == ["Görlitz", "Zgorzelec"]
    # places at one point (their country's centre) go round it, each SHOWN from the next
    same = [Marker(500, 500, 1, str(i), "/", f"P{i}") for i in range(5)]
    circles = [(float(x), float(y)) for x, y, _, _ in _circles(svg_map(same, "Map"))]
    assert min(math.hypot(a[0] - b[0], a[1] - b[1]) for i, a in enumerate(circles) for b in circles[i + 1:]) \
        == pytest.approx(SHOWN, abs=0.1)
    # places further apart stay where they are, however their circles overlap
    near = [Marker(300, 300, 100, "a", "/a", "A"), Marker(303, 300, 100, "b", "/b", "B")]
    assert _circles(svg_map(near, "Map")) == [("300", "300", "30", "#0b5394"), ("303", "300", "30", "#0b5394")]


def test_the_largest_places_are_named_where_the_name_covers_no_circle_and_no_other_name():
    far = Marker(800, 800, 100, "far", "/far", "Far & away")
    # a name right of the large circle would cover the small one beside it: it goes left
    beside = [Marker(300, 300, 100, "a", "/a", "Large"), Marker(345, 300, 1, "b", "/b", "B")]
    assert _labels(svg_map(beside, "Map"))[0] == ("end", "Large")
    # the second of two small places one above the other: its name right would cover the first's
    stacked = [far, Marker(300, 300, 1, "p", "/p", "Upper"), Marker(300, 320, 1, "q", "/q", "Lower")]
    assert _labels(svg_map(stacked, "Map")) == [("start", "Far &amp; away"), ("start", "Upper"), ("end", "Lower")]
    # at the map's right edge the name goes left; a long one is cut short, with an ellipsis
    assert _labels(svg_map([Marker(990, 450, 1, "e", "/e", "Vila Nova de Famalicão, Braga")], "Map")) == [
        ("end", "Vila Nova de Famalicão…")]
    # twelve names at most, one each
    many = [Marker(80 * (i % 4) + 100, 150 * (i // 4) + 100, 20 - i, str(i), "/", f"P{i}") for i in range(13)]
    assert [name for _, name in _labels(svg_map(many, "Map"))] == [f"P{i}" for i in range(12)]
