"""Where the stories come from, through the access policy: how many stories ``viewer``
may see at each place (community, region, country), filtered by theme, language and
year, the values those filters may take, and the stories of one place.

A place is matched as the access policy matches communities: case folded as Python
folds it (``casefold``, registered on the connection), so "Łódź" and "ŁÓDŹ" are one.
In ``PlaceFilters`` a name left out (None) matches anything and an empty one ("")
matches only stories that name nothing there, so that the stories listed for a place
are exactly the ones it was counted from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storyatlas.archive import Archive, Story, _story
from storyatlas.archive.discover import LANGUAGES_SPOKEN, content_clauses
from storyatlas.archive.policy import Viewer, story_condition

_PLACE_COLUMNS = ("community", "region", "country")


@dataclass(frozen=True)
class PlaceFilters:
    theme: str | None = None
    language: str | None = None
    """A language spoken anywhere in the story, not only its main one."""
    year: str | None = None
    """The year it was recorded (the first four characters of ``recorded_on``)."""
    community: str | None = None
    region: str | None = None
    country: str | None = None
    within: tuple[str, ...] = ()
    """Regions, communities, country codes or collections (as the compare page names
    them): only stories in one of them count, each under the first it is in."""
    outside: tuple[str, ...] = ()
    """Names as ``within``'s: stories in any of them do not count (a compare map's second
    place lists only its stories not counted under the first)."""


@dataclass(frozen=True)
class PlaceCount:
    community: str | None
    region: str | None
    country: str | None
    stories: int
    within: int | None = None
    """The index in ``PlaceFilters.within`` of the name these stories are in."""


def _within_clause(name: str) -> tuple[str, list]:
    return ("(casefold(st.region) = ? OR casefold(st.community) = ? OR casefold(st.collection) = ? "
            "OR upper(st.country) = ?)", [name.casefold()] * 3 + [name.upper()])


def _where(viewer: Viewer, filters: PlaceFilters) -> tuple[str, list]:
    where, params = story_condition(viewer)
    clauses, values = content_clauses(filters.theme, filters.language, filters.year)
    clauses, values = [where, *clauses], [*params, *values]
    for column in _PLACE_COLUMNS:
        value = getattr(filters, column)
        if value is None:
            continue
        if not value.strip():
            clauses.append(f"coalesce(trim(st.{column}), '') = ''")
        elif column == "country":
            clauses.append("upper(st.country) = ?")
            values.append(value.strip().upper())
        else:
            clauses.append(f"casefold(st.{column}) = ?")
            values.append(value.strip().casefold())
    if filters.within:
        parts = [_within_clause(name) for name in filters.within]
        clauses.append("(" + " OR ".join(p for p, _ in parts) + ")")
        values += [v for _, p in parts for v in p]
    for name in filters.outside:
        clause, more = _within_clause(name)
        clauses.append(f"NOT coalesce({clause}, 0)")
        values += more
    return " AND ".join(clauses), values


def place_counts(archive: Archive, viewer: Viewer, filters: PlaceFilters = PlaceFilters()) -> list[PlaceCount]:
    """How many stories ``viewer`` may see at each (community, region, country) as
    stored, the ones with no place included (all three None)."""
    where, params = _where(viewer, filters)
    side, side_params = "NULL", []
    if filters.within:
        cases = [_within_clause(name) for name in filters.within]
        side = "CASE " + " ".join(f"WHEN {c} THEN {i}" for i, (c, _) in enumerate(cases)) + " END"
        side_params = [v for _, p in cases for v in p]
    rows = archive.conn.execute(
        f"""SELECT nullif(trim(st.community), ''), nullif(trim(st.region), ''),
                   nullif(upper(trim(st.country)), ''), {side} AS side, count(*)
            FROM stories st WHERE {where} GROUP BY 1, 2, 3, 4""", (*side_params, *params)).fetchall()
    return [PlaceCount(community, region, country, n, within)
            for community, region, country, within, n in rows]


def place_stories(archive: Archive, viewer: Viewer, filters: PlaceFilters,
                  limit: int = 50, offset: int = 0) -> tuple[int, list[Story]]:
    """(how many, the newest ``limit`` from ``offset``) of the stories ``viewer`` may see
    that pass ``filters``."""
    where, params = _where(viewer, filters)
    total = archive.conn.execute(f"SELECT count(*) FROM stories st WHERE {where}", params).fetchone()[0]
    rows = archive.conn.execute(
        f"SELECT * FROM stories st WHERE {where} ORDER BY st.id DESC LIMIT ? OFFSET ?",
        (*params, limit, offset)).fetchall()
    return total, [_story(r) for r in rows]


@dataclass(frozen=True)
class FilterChoices:
    themes: list[tuple[str, int]]
    languages: list[tuple[str, int]]
    years: list[tuple[str, int]]


def filter_choices(archive: Archive, viewer: Viewer, within: Sequence[str] = ()) -> FilterChoices:
    """The themes, languages and years of the stories ``viewer`` may see, with how many
    stories have each: what the atlas's filters offer."""
    where, params = _where(viewer, PlaceFilters(within=tuple(within)))
    themes = archive.conn.execute(
        f"""SELECT t.theme_id, count(*) FROM story_themes t JOIN stories st ON st.id = t.story_id
            WHERE {where} GROUP BY t.theme_id ORDER BY t.theme_id""", params).fetchall()
    languages = archive.conn.execute(
        f"""SELECT lower(spoken.value), count(DISTINCT st.id) FROM stories st, json_each({LANGUAGES_SPOKEN}) AS spoken
            WHERE {where} AND spoken.value IS NOT NULL GROUP BY 1 ORDER BY 1""", params).fetchall()
    years = archive.conn.execute(
        f"""SELECT substr(st.recorded_on, 1, 4), count(*) FROM stories st
            WHERE {where} AND st.recorded_on IS NOT NULL GROUP BY 1 ORDER BY 1 DESC""", params).fetchall()
    return FilterChoices([tuple(r) for r in themes], [tuple(r) for r in languages], [tuple(r) for r in years])
