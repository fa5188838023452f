"""The atlas in the web: /atlas (the map of Europe with its filters, the table of the
same places and counts, and the stories of a place opened from either), and the maps
the home page and the compare page show. Drawn on the server; nothing from elsewhere."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from storyatlas import atlas
from storyatlas.archive import places as archive_places
from storyatlas.archive.places import PlaceFilters
from storyatlas.atlas import gazetteer
from storyatlas.atlas.draw import COLOURS, Marker, svg_map
from storyatlas.text import as_kept
from storyatlas.web import i18n
from storyatlas.web.accounts import viewer
from storyatlas.web.pages import render

BY = ("community", "region", "country")
PAGE_SIZE = 50


@dataclass(frozen=True)
class Row:
    """A place as the table beside the map lists it."""

    name: str
    country: str
    stories: int
    href: str
    on_map: bool
    approximate: bool
    side: int | None


@dataclass(frozen=True)
class Map:
    svg: Markup
    rows: list[Row]
    colours: tuple[str, ...]
    no_place: int
    total: int
    """The stories of the table's places: those with no place are counted apart."""
    by: str


def place_name(place: atlas.Place, t: i18n.Translator) -> str:
    if place.level == "country":
        return t.country_name(place.name)
    return place.name


def _filters_from(request: Request) -> PlaceFilters:
    p = request.query_params
    place = {name: as_kept(p[name]) for name in ("community", "region", "country") if name in p}
    inside = as_kept(p.get("in", "")).strip()
    return PlaceFilters(theme=p.get("theme") or None, language=p.get("language") or None,
                        year=p.get("year") or None, within=(inside,) if inside else (), **place)


def _outside(request: Request) -> tuple[str, ...]:
    """The places compared before the one a compare map's circle was in (``outside``)."""
    names = (as_kept(v).strip() for v in request.query_params.getlist("outside"))
    return tuple(n for n in names if n)[:2]


def _listing_link(place: atlas.Place, by: str, filters: PlaceFilters) -> str:
    chosen = (("theme", filters.theme), ("language", filters.language), ("year", filters.year))
    query: dict[str, str | list[str]] = {**place.filters, "by": by, **{k: v for k, v in chosen if v}}
    if place.within is not None and filters.within:
        # a compared place's circle counts only its stories in that place, and not in the
        # one compared before it (``PlaceFilters.within``): its listing must too
        query["in"] = filters.within[place.within]
        query["outside"] = list(filters.within[:place.within])
    return "/atlas?" + urlencode(query, doseq=True) + "#stories"


def make_map(request: Request, by: str, filters: PlaceFilters, label: str, css_class: str = "atlas-map") -> Map:
    """The map and its table of the stories the request's viewer may see."""
    archive = request.app.state.archives.get()
    t = i18n.Translator(i18n.request_language(request))
    counts = archive_places.place_counts(archive, viewer(request), filters)
    found = atlas.places(counts, by)
    listing = PlaceFilters(theme=filters.theme, language=filters.language, year=filters.year, within=filters.within)
    markers, rows = [], []
    for place in found.places:
        name = place_name(place, t)
        where = name if place.level == "country" or not place.country else f"{name}, {t.country_name(place.country)}"
        href = _listing_link(place, by, listing)
        if place.xy:
            markers.append(Marker(place.xy[0], place.xy[1], place.stories,
                                  t("atlas.circle", place=where, count=t.number(place.stories)), href, name,
                                  side=place.within or 0, approximate=place.approximate))
        rows.append(Row(name, t.country_name(place.country) if place.level != "country" else "",
                        place.stories, href, bool(place.xy), place.approximate, place.within))
    svg = svg_map(markers, label, found.countries, css_class)
    return Map(Markup(svg), rows, COLOURS, found.no_place, found.total - found.no_place, by)


def _by(request: Request, default: str = "community") -> str:
    by = request.query_params.get("by", default)
    return by if by in BY else default


def atlas_page(request: Request) -> Response:
    archive = request.app.state.archives.get()
    who = viewer(request)
    t = i18n.Translator(i18n.request_language(request))
    filters = _filters_from(request)
    by = _by(request)
    shown = PlaceFilters(theme=filters.theme, language=filters.language, year=filters.year)
    # what every link of the page keeps: the grouping and the filters
    keep = {"by": by, **{k: v for k, v in (("theme", filters.theme), ("language", filters.language),
                                            ("year", filters.year)) if v}}
    the_map = make_map(request, by, shown, t("atlas.map"))
    chosen = stories = more = None
    total = 0
    if any(v is not None for v in (filters.community, filters.region, filters.country)):
        offset = _offset(request)
        outside = _outside(request) if filters.within else ()
        total, stories = archive_places.place_stories(archive, who, replace(filters, outside=outside), PAGE_SIZE,
                                                      offset)
        chosen = ", ".join(
            v for v in (filters.community, filters.region, t.country_name(filters.country) if filters.country else "")
            if v) or t("atlas.nowhere")
        if filters.within and outside:
            chosen = t("atlas.place_in_not", place=chosen, within=t.place_name(filters.within[0]),
                       other=", ".join(t.place_name(n) for n in outside))
        elif filters.within:
            chosen = t("atlas.place_in", place=chosen, within=t.place_name(filters.within[0]))
        if total > offset + len(stories):
            params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("offset", "lang")]
            more = "/atlas?" + urlencode([*params, ("offset", offset + PAGE_SIZE)]) + "#stories"
    return render(request, "atlas.html", map=the_map, by=by, filters=filters,
                  choices=archive_places.filter_choices(archive, who), chosen=chosen, stories=stories,
                  total=total, more=more, by_names=BY, all_places="/atlas?" + urlencode(keep),
                  nowhere="/atlas?" + urlencode({"community": "", "region": "", "country": "", **keep}) + "#stories")


def _offset(request: Request) -> int:
    try:
        return max(0, min(int(request.query_params.get("offset", 0)), 10**6))
    except ValueError:
        return 0


_warming = threading.Lock()


def _warm_gazetteer() -> None:
    """Read the gazetteer (about a second, once per process) in the background, so that
    the atlas opened from the home page finds it read."""
    if _warming.acquire(blocking=False):
        threading.Thread(target=gazetteer.warm, name="storyatlas-gazetteer", daemon=True).start()


def home_map(request: Request) -> Map:
    """The home page's small map: stories by country, the atlas's zoomed-out view."""
    _warm_gazetteer()
    t = i18n.Translator(i18n.request_language(request))
    return make_map(request, "country", PlaceFilters(), t("atlas.map"), "atlas-map small")


def compare_map(request: Request, a: str, b: str, names: tuple[str, str]) -> Map:
    """The compare page's map: the stories of the two places (``names``: as shown), by
    community, one colour each."""
    t = i18n.Translator(i18n.request_language(request))
    return make_map(request, "community", PlaceFilters(within=(a, b)), t("atlas.compare_map", a=names[0], b=names[1]))


routes = [Route("/atlas", atlas_page)]
