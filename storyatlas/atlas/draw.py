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
from dataclasses import dataclass
from html import escape

from storyatlas.atlas.geometry import country_paths, frame

LARGEST = 30.0  # radius, in the map's units (1000 across), of the place with the most stories
SMALLEST = 4.5
LABELS = 12  # the largest places get their name written beside them, when there is room
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
    shown = sorted(markers, key=lambda m: -m.stories)  # the small ones on top, where they can be reached
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
