"""The map's ground: Europe's country outlines (``europe.json``, from Natural Earth, see
SOURCES.md), projected and drawn once per process as SVG path strings, and each
country's centre, where a story whose town is unknown is placed.

Projection: Lambert azimuthal equal-area centred at 52°N 10°E, the projection of the
European statistical maps (ETRS89-LAEA, EPSG:3035), on a sphere. Equal area, so circles
sized by count are not inflated in the north as they would be on a Mercator map.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from importlib import resources

LAT0, LON0 = math.radians(52.0), math.radians(10.0)
# the map's frame holds this box (longitude west to east, latitude south to north); the
# outlines reach further (-45..80, 27..77) so that no coast stops short of the frame
VIEW = (-11.0, 34.5, 42.0, 71.0)
WIDTH = 1000  # SVG user units across; the height follows from the frame
SIMPLIFY = 0.6  # user units: points closer than this to a line through their neighbours go


def project(lon: float, lat: float) -> tuple[float, float]:
    """Longitude, latitude in degrees -> x east, y north on the unit sphere's LAEA plane."""
    lam, phi = math.radians(lon) - LON0, math.radians(lat)
    k = math.sqrt(2.0 / (1.0 + math.sin(LAT0) * math.sin(phi) + math.cos(LAT0) * math.cos(phi) * math.cos(lam)))
    return (k * math.cos(phi) * math.sin(lam),
            k * (math.cos(LAT0) * math.sin(phi) - math.sin(LAT0) * math.cos(phi) * math.cos(lam)))


@dataclass(frozen=True)
class Frame:
    """Where the projected plane lands in the SVG: x = (px - left) * scale,
    y = (top - py) * scale."""

    left: float
    top: float
    scale: float
    width: int
    height: int

    def point(self, lon: float, lat: float) -> tuple[float, float]:
        px, py = project(lon, lat)
        return (px - self.left) * self.scale, (self.top - py) * self.scale

    def inside(self, x: float, y: float, margin: float = 0.0) -> bool:
        return -margin <= x <= self.width + margin and -margin <= y <= self.height + margin


@functools.cache
def frame() -> Frame:
    west, south, east, north = VIEW
    edge = [(west + (east - west) * i / 40, lat) for i in range(41) for lat in (south, north)]
    edge += [(lon, south + (north - south) * i / 40) for i in range(41) for lon in (west, east)]
    xs, ys = zip(*(project(lon, lat) for lon, lat in edge))
    # the box around the view's edges: its bottom corners are the widest, the middle of its
    # south edge the lowest, its north-east corner (the furthest from 10°E) the highest
    left, right, top, bottom = min(xs), max(xs), max(ys), min(ys)
    scale = WIDTH / (right - left)
    return Frame(left, top, scale, WIDTH, round((top - bottom) * scale))


@dataclass(frozen=True)
class Country:
    iso: str | None
    name: str
    rings: tuple[tuple[tuple[float, float], ...], ...]
    """Longitude, latitude pairs of each outer ring and hole."""


@functools.cache
def countries() -> tuple[Country, ...]:
    data = json.loads(resources.files("storyatlas.atlas").joinpath("europe.json").read_text(encoding="utf-8"))
    return tuple(Country(c["iso"], c["name"],
                         tuple(tuple(zip(r[::2], r[1::2])) for r in c["rings"])) for c in data["countries"])


def _area_centroid(ring: tuple[tuple[float, float], ...]) -> tuple[float, float, float]:
    """(area, x, y) of a ring in the projected plane (area-weighted centroid)."""
    points = [project(lon, lat) for lon, lat in ring]
    a = cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1]):
        cross = x1 * y2 - x2 * y1
        a += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if not a:
        return 0.0, points[0][0], points[0][1]
    return abs(a) / 2, cx / (3 * a), cy / (3 * a)


def _unproject(x: float, y: float) -> tuple[float, float]:
    """The inverse of ``project`` (longitude, latitude in degrees)."""
    rho = math.hypot(x, y)
    if rho == 0:
        return math.degrees(LON0), math.degrees(LAT0)
    c = 2 * math.asin(min(1.0, rho / 2))
    lat = math.asin(math.cos(c) * math.sin(LAT0) + y * math.sin(c) * math.cos(LAT0) / rho)
    lon = LON0 + math.atan2(x * math.sin(c), rho * math.cos(LAT0) * math.cos(c) - y * math.sin(LAT0) * math.sin(c))
    return math.degrees(lon), math.degrees(lat)


@functools.cache
def centres() -> dict[str, tuple[float, float]]:
    """ISO code -> (longitude, latitude) of the centre of the country's largest piece
    of land (mainland France, not Corsica; Norway, not Svalbard)."""
    out = {}
    for country in countries():
        if country.iso and country.rings:
            _, x, y = max((_area_centroid(r) for r in country.rings), key=lambda c: c[0])
            out[country.iso] = _unproject(x, y)
    return out


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas-Peucker, without recursion."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy)
        far, index = 0.0, None
        for i in range(first + 1, last):
            x, y = points[i]
            d = abs(dy * (x - x1) - dx * (y - y1)) / length if length else math.hypot(x - x1, y - y1)
            if d > far:
                far, index = d, i
        if index is not None and far > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep) if k]


def _path(rings: tuple[tuple[tuple[float, float], ...], ...], f: Frame) -> str:
    parts = []
    margin = f.width * 0.2
    for ring in rings:
        points = [f.point(lon, lat) for lon, lat in ring]
        if not any(f.inside(x, y, margin) for x, y in points):
            continue
        half = len(points) // 2
        points = (simplify(points[:half + 1], SIMPLIFY)[:-1] + simplify(points[half:] + points[:1], SIMPLIFY)[:-1])
        if len(points) < 3:
            continue
        xs = [round(x, 1) for x, _ in points]
        ys = [round(y, 1) for _, y in points]
        segment = [f"M{_num(xs[0])} {_num(ys[0])}l"]
        for px, py, x, y in zip(xs, ys, xs[1:], ys[1:]):
            for delta in (_num(x - px), _num(y - py)):
                # SVG needs no space before a minus sign; "l" repeats for every pair
                segment.append(delta if delta.startswith("-") or segment[-1].endswith("l") else " " + delta)
        parts.append("".join(segment) + "z")
    return "".join(parts)


def _num(value: float) -> str:
    """A coordinate to a tenth, as short as SVG allows ("12", "-3.5")."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        return "0"
    return text.replace("0.", ".", 1) if text.lstrip("-").startswith("0.") else text


@functools.cache
def country_paths() -> tuple[tuple[str | None, str, str], ...]:
    """(ISO code, English name, SVG path data) of each country on the map, made once."""
    f = frame()
    out = []
    for country in countries():
        d = _path(country.rings, f)
        if d:
            out.append((country.iso, country.name, d))
    return tuple(out)
