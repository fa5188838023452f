"""The map drawn as SVG on the server: the countries (paths made once per process), a
circle per place whose area grows with its number of stories, each circle a link with
its name and count as its <title>, and the names of the largest places written beside
them. Readable without JavaScript; nothing is loaded from anywhere.

The SVG is meant to sit inline in a page (no xmlns needed) beside a table of the same
places and counts: the land is hidden from screen readers, the links are not.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from html import escape

from storyatlas.atlas.geometry import country_paths, frame

LARGEST = 30.0  # radius, in the map's units (1000 across), of the place with the most stories
SMALLEST = 4.5
LABELS = 12  # the largest places get their name written beside them, when there is room
SAME = 2.0  # places closer than this to a larger one (about 8 km) are at its spot (``_apart``)
SHOWN = 8.0  # how far apart the places of one spot are drawn (about 30 km)
COLOURS = ("#0b5394", "#b45f06")  # one place, or the first and second of a comparison


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    stories: int
    title: str
    """Name and count, as the circle's <title> and the link's accessible name."""
    href: str
    label: str
    """Short name, written beside the largest places."""
    side: int = 0
    """0, or 1 for the second place of a comparison (another colour)."""
    approximate: bool = False
    """Placed at its country's centre (its town is not known): drawn dashed."""


def radius(stories: int, most: int) -> float:
    """Circle areas in proportion to the stories (square root), never too small to hit."""
    if most <= 0:
        return SMALLEST
    return max(SMALLEST, LARGEST * math.sqrt(stories / most))


def _fmt(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def svg_map(markers: Sequence[Marker], label: str, countries_with_stories: Iterable[str] = (),
            css_class: str = "atlas-map") -> str:
    f = frame()
    lit = set(countries_with_stories)
    parts = [f'<svg class="{escape(css_class)}" viewBox="0 0 {f.width} {f.height}" role="group" '
             f'aria-label="{escape(label)}" focusable="false" preserveAspectRatio="xMidYMid meet">',
             f'<rect class="sea" width="{f.width}" height="{f.height}" fill="#dbe9f4"/>',
             '<g class="land" aria-hidden="true" fill="#f4f1ea" stroke="#a8a29a" stroke-width="0.7" '
             'stroke-linejoin="round" fill-rule="evenodd">']
    for iso, _, d in country_paths():
        lit_class = ' class="lit" fill="#e6dcc6"' if iso in lit else ""
        parts.append(f'<path{lit_class} d="{d}"/>')
    parts.append("</g>")
    most = max((m.stories for m in markers), default=0)
    shown = _apart(sorted(markers, key=lambda m: -m.stories))  # the small ones on top, where they can be reached
    parts.append('<g class="places" stroke="#fff" stroke-width="1.5">')
    for m in shown:
        r = radius(m.stories, most)
        dash = ' stroke-dasharray="3 2"' if m.approximate else ""
        parts.append(
            f'<a href="{escape(m.href)}" class="place side-{m.side}" aria-label="{escape(m.title)}">'
            f'<circle cx="{_fmt(m.x)}" cy="{_fmt(m.y)}" r="{_fmt(r)}" fill="{COLOURS[m.side % 2]}" '
            f'fill-opacity="0.72"{dash}><title>{escape(m.title)}</title></circle></a>')
    parts.append("</g>")
    parts.append(_labels(shown, most, f.width, f.height))
    parts.append("</svg>")
    return "".join(parts)


def _apart(markers: list[Marker]) -> list[Marker]:
    """The markers, those at one spot spread round it, SHOWN apart: equal circles there
    hid one another. Görlitz and Zgorzelec, a bridge apart, were one circle: the name
    written was Görlitz's, the link Zgorzelec's. So were the places of a country placed
    at its centre. A spot is a place and those closer to it than SAME (about 8 km), the
    largest place first; a city's suburbs, each near the next, are not one spot (taken
    so, of 3,000 of benchmarks/atlas.py's towns one moved 142 units, 25 now; 0.8 ms at
    300 places, 17 ms at 3,000). Moving every circle that hid too much of another apart
    instead, pass after pass, took 4 ms at 300 places and 0.45 s at 3,000."""
    cells: dict[tuple[int, int], list[int]] = {}
    for i, m in enumerate(markers):
        cells.setdefault((int(m.x // SAME), int(m.y // SAME)), []).append(i)
    taken: set[int] = set()
    out = list(markers)
    for i, m in enumerate(markers):
        if i in taken:
            continue
        cx, cy = int(m.x // SAME), int(m.y // SAME)
        spot = [i] + [j for dx in (-1, 0, 1) for dy in (-1, 0, 1) for j in cells.get((cx + dx, cy + dy), ())
                      if j > i and j not in taken and math.hypot(markers[j].x - m.x, markers[j].y - m.y) < SAME]
        taken.update(spot)
        if len(spot) == 1:
            continue
        x = sum(markers[j].x for j in spot) / len(spot)
        y = sum(markers[j].y for j in spot) / len(spot)
        # each on its own side of the spot (Görlitz west, Zgorzelec east), SHOWN from the next
        ring = SHOWN / (2 * math.sin(math.pi / len(spot)))
        spot.sort(key=lambda j: (math.atan2(markers[j].y - y, markers[j].x - x), j))
        turn = math.atan2(markers[spot[0]].y - y, markers[spot[0]].x - x)
        for k, j in enumerate(spot):
            angle = turn + 2 * math.pi * k / len(spot)
            out[j] = replace(markers[j], x=x + ring * math.cos(angle), y=y + ring * math.sin(angle))
    return out


def _labels(markers: Sequence[Marker], most: int, width: int, height: int) -> str:
    """Names beside the largest circles, leaving out any that would cover a circle or a name."""
    taken = [(m.x - r, m.y - r, m.x + r, m.y + r) for m in markers for r in (radius(m.stories, most),)]
    out = ['<g class="labels" aria-hidden="true" font-size="22" fill="#1b1b1b" stroke="#fff" '
           'stroke-width="4" paint-order="stroke" stroke-linejoin="round">']
    for m in markers[:LABELS]:
        r = radius(m.stories, most)
        text = m.label if len(m.label) <= 24 else m.label[:23].rstrip(" ,.-") + "…"
        w, h = 12.0 * len(text), 22
        # right of the circle, else left of it, else above, else below
        for x, y, anchor in ((m.x + r + 4, m.y + 7, "start"), (m.x - r - 4, m.y + 7, "end"),
                             (m.x, m.y - r - 6, "middle"), (m.x, m.y + r + 20, "middle")):
            left = {"start": x, "end": x - w, "middle": x - w / 2}[anchor]
            box = (left, y - h + 4, left + w, y + 4)
            if box[0] < 0 or box[1] < 0 or box[2] > width or box[3] > height:
                continue
            if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in taken):
                continue
            taken.append(box)
            out.append(f'<text x="{_fmt(x)}" y="{_fmt(y)}" text-anchor="{anchor}">{escape(text)}</text>')
            break
    out.append("</g>")
    return "".join(out)
