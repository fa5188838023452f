"""Make storyatlas/atlas/europe.json, the country outlines of the atlas, from Natural
Earth's 1:50m "Admin 0 - Countries" (public domain).

    python scripts/make_europe_outlines.py ne_50m_admin_0_countries.geojson [OUT]

Keeps the countries that reach into the map's frame, Europe and around it (longitude -45
to 80, latitude 27 to 77: the map shows Europe in a Lambert azimuthal equal-area
projection, whose rectangle reaches from Greenland to the Urals), cut to that box, with coordinates rounded to 0.01 degrees and lines simplified
(Douglas-Peucker, 0.02 degrees), and of each country only its ISO 3166-1 alpha-2 code and
its English name. Natural Earth leaves the code out ("-99") for a few countries (France
and Norway, because of their overseas parts); their codes are filled in from ADM0_A3.
Uses the standard library only.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from storyatlas.atlas.geometry import simplify  # the same Douglas-Peucker the map uses

WEST, EAST, SOUTH, NORTH = -45.0, 80.0, 27.0, 77.0
TOLERANCE = 0.01  # degrees: about 1 km, well under a pixel of the map
SMALLEST = 0.002  # square degrees: islets under this go, unless a country has nothing bigger
MISSING_CODES = {"FRA": "FR", "NOR": "NO"}
OUT = Path(__file__).resolve().parents[1] / "storyatlas" / "atlas" / "europe.json"


def _clip(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sutherland-Hodgman: the ring cut to the box (a ring stays a ring)."""
    edges = [
        (lambda p: p[0] >= WEST, lambda a, b: _at_x(a, b, WEST)),
        (lambda p: p[0] <= EAST, lambda a, b: _at_x(a, b, EAST)),
        (lambda p: p[1] >= SOUTH, lambda a, b: _at_y(a, b, SOUTH)),
        (lambda p: p[1] <= NORTH, lambda a, b: _at_y(a, b, NORTH)),
    ]
    points = ring
    for inside, cross in edges:
        if not points:
            break
        out = []
        previous = points[-1]
        for p in points:
            if inside(p):
                if not inside(previous):
                    out.append(cross(previous, p))
                out.append(p)
            elif inside(previous):
                out.append(cross(previous, p))
            previous = p
        points = out
    return points


def _at_x(a, b, x):
    t = (x - a[0]) / (b[0] - a[0])
    return (x, a[1] + t * (b[1] - a[1]))


def _at_y(a, b, y):
    t = (y - a[1]) / (b[1] - a[1])
    return (a[0] + t * (b[0] - a[0]), y)


def _area(points: list[tuple[float, float]]) -> float:
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1]))) / 2


def _ring(raw: list[list[float]]) -> list[tuple[float, float]]:
    points = _clip([(float(x), float(y)) for x, y, *_ in raw])
    if len(points) < 3:
        return []
    # a ring whose start is also its end: simplify it in two halves so both ends stay
    points = [(round(x, 2), round(y, 2)) for x, y in points]
    points = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    if len(points) < 3:
        return []
    half = len(points) // 2
    simple = simplify(points[:half + 1], TOLERANCE)[:-1] + simplify(points[half:] + points[:1], TOLERANCE)[:-1]
    return simple if len(simple) >= 3 else []


def countries(geojson: dict) -> list[dict]:
    out = []
    for feature in geojson["features"]:
        props, geometry = feature["properties"], feature["geometry"]
        if not geometry:
            continue
        code = props.get("ISO_A2")
        if not code or code == "-99":
            code = MISSING_CODES.get(props.get("ADM0_A3"))
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        rings = [r for polygon in polygons for r in (_ring(raw) for raw in polygon) if r]
        if not rings:
            continue
        biggest = max(_area(r) for r in rings)
        rings = [r for r in rings if _area(r) >= min(SMALLEST, biggest)]
        out.append({"iso": code, "name": props.get("NAME_EN") or props.get("NAME_LONG") or props["NAME"],
                    "rings": [[c for p in r for c in p] for r in rings]})
    return sorted(out, key=lambda c: (c["iso"] or "~", c["name"]))


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    source = Path(argv[1])
    out = Path(argv[2]) if len(argv) == 3 else OUT
    found = countries(json.loads(source.read_text(encoding="utf-8")))
    document = {
        "source": f"Natural Earth 1:50m Admin 0 - Countries ({source.name}), public domain; "
                  "cut to the box, rounded to 0.01 degrees and simplified by scripts/make_europe_outlines.py",
        "box": [WEST, SOUTH, EAST, NORTH],
        "countries": found,
    }
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    # one country a line, so that a change to the data reads as a change to a few lines
    text = text.replace(',{"iso"', ',\n{"iso"').replace('"countries":[{', '"countries":[\n{')
    out.write_text(text + "\n", encoding="utf-8")
    points = sum(len(r) // 2 for c in found for r in c["rings"])
    print(f"{out}: {len(found)} countries, {points} points, {out.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
