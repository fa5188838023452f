"""Where a town is drawn when GeoNames gives its name to another town too."""

import pytest

from storyatlas.atlas import gazetteer


@pytest.mark.parametrize("name, country, lon, lat", [
    # each was drawn at the larger town that GeoNames lists the name among the spellings of:
    # Milan, Turin, Aachen, Werl, Tolyatti and Nikopol
    ("Mirano", "IT", 12.11, 45.49), ("Turi", "IT", 17.02, 40.92), ("Aken", "DE", 12.04, 51.85),
    ("Verl", "DE", 8.52, 51.88), ("Stavropol", "RU", 41.96, 45.03), ("Slovyansk", "UA", 37.60, 48.85),
    # and what stays: another spelling where no town is called so, the most populous of a
    # name, a leading part of a much larger town's name
    ("Milano", "IT", 9.19, 45.46), ("München", "DE", 11.58, 48.14), ("Frankfurt", "DE", 8.68, 50.11),
    ("Halle", "DE", 11.98, 51.48), ("Newcastle", "GB", -1.61, 54.97), ("Bergen", "NO", 5.32, 60.39),
])
def test_a_town_is_found_by_its_own_name_before_another_towns_spellings(name, country, lon, lat):
    found = gazetteer.locate(name, country)
    assert found is not None and found[2] == country
    assert found[:2] == (pytest.approx(lon, abs=0.1), pytest.approx(lat, abs=0.1)), found
