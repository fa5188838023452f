"""Discovery across the archive, through the access policy: where a theme occurs, how
two places compare, similar stories elsewhere, the places to compare, and what search
needs of stories (which ones, their facets and titles)."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any

import numpy as np

from storyatlas.archive import Archive
from storyatlas.archive.policy import Viewer, story_condition
from storyatlas.text import as_kept


@dataclass(frozen=True)
class Moment:
    story_id: int
    title: str
    start: float
    text: str
    text_en: str | None
    place: str


@dataclass(frozen=True)
class ThemeOverview:
    theme_id: str
    stories: int
    by_country: list[tuple[str, int]]
    by_region: list[tuple[str, int]]
    moments: dict[str, list[Moment]]
    """The most representative moments of each region."""


def theme_overview(archive: Archive, theme_id: str, viewer: Viewer, per_region: int = 2) -> ThemeOverview:
    vis, params = story_condition(viewer)
    rows = archive.conn.execute(
        f"""SELECT st.id, st.title, st.country, coalesce(st.region, st.community, st.country, '?'), t.score
            FROM story_themes t JOIN stories st ON st.id = t.story_id
            WHERE t.theme_id = ? AND {vis} ORDER BY t.score DESC, st.id""", (theme_id, *params)).fetchall()
    by_country = Counter(r[2] or "?" for r in rows)
    by_region = Counter(r[3] for r in rows)
    moments: dict[str, list[Moment]] = {}
    for story_id, title, country, region, _ in rows:
        if len(moments.setdefault(region, [])) >= per_region:
            continue
        evidence = archive.conn.execute(
            """SELECT s.start, s.text, s.text_en, count(*) AS n FROM theme_evidence e
               JOIN segments s ON s.id = e.segment_id WHERE e.story_id = ? AND e.theme_id = ?
               GROUP BY s.id ORDER BY n DESC, s.idx LIMIT 1""", (story_id, theme_id)).fetchone()
        if evidence:
            moments[region].append(Moment(story_id, title, evidence[0], evidence[1], evidence[2], region))
    return ThemeOverview(theme_id, len(rows), by_country.most_common(), by_region.most_common(), moments)


@dataclass(frozen=True)
class Comparison:
    a: str
    b: str
    stories_a: int
    stories_b: int
    counts_a: dict[str, int]
    counts_b: dict[str, int]

    @property
    def shared(self) -> list[str]:
        return sorted(set(self.counts_a) & set(self.counts_b), key=lambda t: -(self.counts_a[t] + self.counts_b[t]))

    @property
    def only_a(self) -> list[str]:
        return sorted(set(self.counts_a) - set(self.counts_b), key=lambda t: -self.counts_a[t])

    @property
    def only_b(self) -> list[str]:
        return sorted(set(self.counts_b) - set(self.counts_a), key=lambda t: -self.counts_b[t])

    def charted(self, most: int) -> list[str]:
        """Up to ``most`` themes to chart: those both share, then each place's own in turn
        (the first place's own filled a chart of twenty, and the second's were never drawn)."""
        own = [theme for pair in zip_longest(self.only_a, self.only_b) for theme in pair if theme]
        return (self.shared + own)[:most]


def _place_clause(name: str) -> tuple[str, tuple]:
    """A region, community, country code or collection, matched without regard to case."""
    clauses, values = zip(*(same_name(f"st.{column}", name) for column in ("region", "community", "country",
                                                                          "collection")))
    return f"({' OR '.join(clauses)})", tuple(v for vs in values for v in vs)


def same_name(column: str, name: str) -> tuple[str, list]:
    """``column`` holding ``name`` in upper or lower case, in any script, as the access
    policy compares communities ("ŁÓDŹ" is "Łódź"; SQLite's NOCASE folds A-Z only). A name
    in ASCII keeps NOCASE, which asks no Python function of each story."""
    name = as_kept(name)
    if name.isascii():
        # a name in ASCII is also one with letters that fold to ASCII ("Gießen" is "Giessen"):
        # only such names ask the Python function
        return f"({column} = ? COLLATE NOCASE OR ({column} GLOB ? AND casefold({column}) = ?))", [
            name, _FOLDS_TO_ASCII, name.casefold()]
    return f"casefold({column}) = ?", [name.casefold()]


# the letters outside ASCII that str.casefold writes in ASCII (every one, as a test
# checks): ß, ẞ, long s, the Kelvin sign, the Latin ligatures ﬀ to ﬆ
_FOLDS_TO_ASCII = "*[ßẞſ\u212aﬀ-ﬆ]*"


def compare(archive: Archive, a: str, b: str, viewer: Viewer) -> Comparison:
    vis, vparams = story_condition(viewer)
    counts, totals = [], []
    for name in (a, b):
        clause, params = _place_clause(name)
        totals.append(archive.conn.execute(
            f"SELECT count(*) FROM stories st WHERE {clause} AND {vis}", (*params, *vparams)).fetchone()[0])
        counts.append(dict(archive.conn.execute(
            f"""SELECT t.theme_id, count(*) FROM story_themes t JOIN stories st ON st.id = t.story_id
                WHERE {clause} AND {vis} GROUP BY t.theme_id""", (*params, *vparams)).fetchall()))
    return Comparison(a, b, totals[0], totals[1], counts[0], counts[1])


@dataclass(frozen=True)
class Similar:
    story_id: int
    title: str
    place: str
    language: str | None
    themes: tuple[str, ...]
    entities: tuple[str, ...]
    score: float


def similar_stories(archive: Archive, story_id: int, viewer: Viewer, limit: int = 5) -> list[Similar]:
    """Stories from other communities sharing this one's themes and named things."""
    story = archive.story(story_id, viewer)
    themes = [r[0] for r in archive.conn.execute("SELECT theme_id FROM story_themes WHERE story_id = ?", (story_id,))]
    names = [r[0] for r in archive.conn.execute(
        "SELECT DISTINCT normalized FROM entities WHERE story_id = ? AND kind IN ('place', 'organisation', 'event')",
        (story_id,))]
    if not themes and not names:
        return []
    vis, vparams = story_condition(viewer)
    # another community, as the access policy tells them apart ("GÖRLITZ" is "Görlitz")
    same_place, place_params = same_name("coalesce(st.community, '')", story.place.community or "")
    rows = archive.conn.execute(
        f"""WITH shared AS (
              SELECT story_id, 2.0 AS w, 'theme:' || theme_id AS what FROM story_themes
              WHERE theme_id IN (SELECT value FROM json_each(?))
              UNION ALL
              SELECT DISTINCT story_id, 1.0, 'entity:' || normalized FROM entities
              WHERE kind IN ('place', 'organisation', 'event') AND normalized IN (SELECT value FROM json_each(?)))
            SELECT st.id, st.title, coalesce(st.community, st.region, st.country, ''), st.language,
                   sum(w), group_concat(what, '|')
            FROM shared JOIN stories st ON st.id = shared.story_id
            WHERE st.id != ? AND {vis} AND NOT {same_place}
            GROUP BY st.id ORDER BY sum(w) DESC, st.id LIMIT ?""",
        (json.dumps(themes), json.dumps(names), story_id, *vparams, *place_params, limit)).fetchall()
    out = []
    for sid, title, place, language, score, what in rows:
        parts = (what or "").split("|")
        out.append(Similar(sid, title, place, language,
                           tuple(sorted({p[6:] for p in parts if p.startswith("theme:")})),
                           tuple(sorted({p[7:] for p in parts if p.startswith("entity:")})), score))
    return out


def place_names(archive: Archive, viewer: Viewer) -> list[str]:
    """Regions and collections of the stories ``viewer`` may see, to offer for comparison."""
    where, params = story_condition(viewer)
    return [r[0] for r in archive.conn.execute(
        f"""SELECT DISTINCT value FROM (SELECT st.region AS value FROM stories st WHERE {where}
            UNION SELECT st.collection FROM stories st WHERE {where})
            WHERE value IS NOT NULL ORDER BY value""", (*params, *params))]


# what search needs of stories ---------------------------------------------------------------

FILTERS = ("language", "country", "collection", "region", "community", "review_state")
# every language spoken in a story (a JSON list, see migration 0007); a story transcribed
# before it knows only its one language
LANGUAGES_SPOKEN = "coalesce(st.languages, json_array(st.language))"


def stories_sql(viewer: Viewer, filters: dict[str, Any]) -> tuple[str, list]:
    """A query of the ids of the stories ``viewer`` may see that pass ``filters``
    (language, country, collection, region, community, review state, year, theme). A story passes
    ``language`` when that language is spoken anywhere in it, not only as its main one."""
    where, params = story_condition(viewer)
    clauses, values = content_clauses(filters.get("theme"), filters.get("language"), filters.get("year"))
    clauses, values = [where, *clauses], [*params, *values]
    for column in FILTERS:
        if column != "language" and filters.get(column):
            clause, value = same_name(f"st.{column}", str(filters[column]))
            clauses.append(clause)
            values += value
    return f"SELECT st.id FROM stories st WHERE {' AND '.join(clauses)}", values


def content_clauses(theme: str | None, language: str | None, year: str | None) -> tuple[list[str], list]:
    """SQL conditions on ``stories st`` (and their parameters) for what a story is about,
    which language is spoken anywhere in it, and the year it was recorded; None: any."""
    clauses, values = [], []
    if theme:
        clauses.append("st.id IN (SELECT story_id FROM story_themes WHERE theme_id = ?)")
        values.append(theme)
    if language:
        clauses.append(f"EXISTS (SELECT 1 FROM json_each({LANGUAGES_SPOKEN}) AS spoken "
                       "WHERE spoken.value = ? COLLATE NOCASE)")
        values.append(language)
    if year:
        clauses.append("substr(st.recorded_on, 1, 4) = ?")
        values.append(year)
    return clauses, values


def summaries(archive: Archive, story_ids: Sequence[int], viewer: Viewer) -> dict[int, sqlite3.Row]:
    """id, title, language, languages (JSON), country and collection of the given
    stories ``viewer`` may see."""
    where, params = story_condition(viewer)
    return {r["id"]: r for r in archive.conn.execute(
        f"""SELECT st.id, st.title, st.language, {LANGUAGES_SPOKEN} AS languages,
                   st.country, st.collection FROM stories st
            WHERE st.id IN (SELECT value FROM json_each(?)) AND {where}""", (json.dumps(list(story_ids)), *params))}


def story_ids(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> np.ndarray:
    """The ids a query of stories gives (such as ``stories_sql``'s), sorted: read as one
    string, as a row at a time took 10 ms for 21,000 stories."""
    (found,) = conn.execute(f"SELECT group_concat(id) FROM ({sql})", list(params)).fetchone()
    return np.sort(np.fromstring(found, np.int64, sep=",")) if found else np.zeros(0, np.int64)
