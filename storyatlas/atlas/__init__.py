"""The atlas: where the stories come from, on a map of Europe drawn on this machine.

``places(counts, by)`` turns the archive's counts per stored place (``archive.places``,
which applies the access policy) into places on the map, grouped by community, region
or country; ``draw.svg_map`` draws them. A community is placed at its town
(``gazetteer``), or at its country's centre when the town is not known; a region at the
middle of its known towns, else its country's centre; a country at its centre
(``geometry``). Stories that name no place at all are only counted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from storyatlas.archive.places import PlaceCount
from storyatlas.atlas.gazetteer import locate
from storyatlas.atlas.geometry import centres, frame

LEVELS = ("community", "region", "country")
# the level a place is grouped at, then what stands in for it when a story lacks it
_ORDER = {
    "community": ("community", "region", "country"),
    "region": ("region", "community", "country"),
    "country": ("country", "community", "region"),
}


@dataclass
class Place:
    level: str
    """"community", "region" or "country": what this place is."""
    name: str
    """The community or region as most of its stories spell it; the country's code."""
    country: str | None
    stories: int = 0
    within: int | None = None
    """Which of the compared places it belongs to (the compare page), else None."""
    position: tuple[float, float] | None = None
    """Longitude, latitude; None when it cannot be placed."""
    approximate: bool = False
    """Placed at its country's centre because its town (or region) is not known."""
    xy: tuple[float, float] | None = None
    """Where it is in the SVG; None when it is not on the map."""
    filters: dict[str, str] = field(default_factory=dict)
    """The query that lists exactly its stories (``archive.places.PlaceFilters``):
    a name, or "" for "names none"."""


@dataclass(frozen=True)
class Atlas:
    by: str
    places: list[Place]
    """Most stories first."""
    no_place: int
    """Stories that name no community, region or country."""

    @property
    def total(self) -> int:
        return sum(p.stories for p in self.places) + self.no_place

    @property
    def on_map(self) -> list[Place]:
        return [p for p in self.places if p.xy]

    @property
    def countries(self) -> set[str]:
        return {p.country for p in self.places if p.country}


def places(counts: Iterable[PlaceCount], by: str = "community") -> Atlas:
    if by not in _ORDER:
        raise ValueError(f"places are grouped by {', '.join(_ORDER)}, not {by!r}")
    order = _ORDER[by]
    groups: dict[tuple, Place] = {}
    spellings: dict[tuple, Counter] = defaultdict(Counter)
    towns: dict[tuple, list[tuple[float, float, int]]] = defaultdict(list)
    no_place = 0
    for c in counts:
        values = {"community": c.community, "region": c.region, "country": c.country}
        level = next((lv for lv in order if values[lv]), None)
        if level is None:
            no_place += c.stories
            continue
        name = values[level]
        key = (c.within, level, name.casefold() if level != "country" else name, c.country)
        place = groups.get(key)
        if place is None:
            filters = {lv: "" for lv in order[:order.index(level)]}
            filters["country"] = c.country or ""
            place = groups[key] = Place(level, name, c.country, within=c.within, filters=filters)
        place.stories += c.stories
        spellings[key][name] += c.stories
        if level == "region" and c.community:
            town = locate(c.community, c.country)
            if town:
                towns[key].append((town[0], town[1], c.stories))
    for key, place in groups.items():
        place.name = spellings[key].most_common(1)[0][0]
        if place.level != "country":
            place.filters[place.level] = place.name
        _position(place, towns.get(key, []))
        if place.position:
            x, y = frame().point(*place.position)
            if frame().inside(x, y):
                place.xy = (x, y)
    ordered = sorted(groups.values(), key=lambda p: (-p.stories, p.name.casefold(), p.country or ""))
    return Atlas(by, ordered, no_place)


def _position(place: Place, towns: list[tuple[float, float, int]]) -> None:
    centre = centres().get(place.country) if place.country else None
    if place.level == "community":
        town = locate(place.name, place.country)
        if town:
            place.position = town[0], town[1]
            return
    elif place.level == "region" and towns:
        weight = sum(n for *_, n in towns)
        place.position = (sum(lon * n for lon, _, n in towns) / weight, sum(lat * n for _, lat, n in towns) / weight)
        return
    elif place.level == "country":
        place.position = centre
        return
    if centre:
        place.position, place.approximate = centre, True
