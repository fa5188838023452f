"""Bar charts drawn on the server as SVG: readable without JavaScript, with their
numbers in text for screen readers."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

_BAR = 22
_GAP = 6
_LABEL_W = 190
_WIDTH = 560
_LABEL_CHARS = 24
"""What the labels' column holds at 13 px: "Emergencies and preparedness" ran off its left edge."""


def _label(label: str, x: int, y: float, lines: int = 1) -> str:
    """A label right-aligned at ``x``, in up to ``lines`` lines of the column's width
    around ``y``, cut with "…" where it is longer (the chart's title holds it whole)."""
    said: list[str] = []
    for word in label.split():
        if said and len(said[-1]) + 1 + len(word) <= _LABEL_CHARS:
            said[-1] += " " + word
        else:
            said.append(word)
    said = said[:lines - 1] + [" ".join(said[lines - 1:])] if len(said) > lines else said or [""]
    said = [line if len(line) <= _LABEL_CHARS else line[:_LABEL_CHARS - 1].rstrip() + "…" for line in said]
    first = y - 8 * (len(said) - 1)
    spans = "".join(f'<tspan x="{x}" y="{first + 16 * i:.1f}">{escape(line)}</tspan>' for i, line in enumerate(said))
    return f'<text text-anchor="end" font-size="13" fill="#1b1b1b">{spans}</text>'


def bar_chart(title: str, rows: Sequence[tuple[str, int]], colour: str = "#0b5394") -> str:
    """Horizontal bars, one per (label, count)."""
    rows = list(rows)
    biggest = max((n for _, n in rows), default=0) or 1
    height = len(rows) * (_BAR + _GAP) + _GAP
    room = _WIDTH - _LABEL_W - 60
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{_WIDTH}" '
             f'height="{height}" viewBox="0 0 {_WIDTH} {height}">',
             f'<title>{escape(title)}: ' + escape(", ".join(f"{label} {n}" for label, n in rows)) + "</title>"]
    for i, (label, n) in enumerate(rows):
        y = _GAP + i * (_BAR + _GAP)
        width = max(2, round(room * n / biggest))
        parts.append(_label(label, _LABEL_W - 8, y + _BAR * 0.7))
        parts.append(f'<rect x="{_LABEL_W}" y="{y}" width="{width}" height="{_BAR}" fill="{colour}" rx="2"/>')
        parts.append(f'<text x="{_LABEL_W + width + 6}" y="{y + _BAR * 0.7:.1f}" font-size="13" '
                     f'fill="#1b1b1b">{n}</text>')
    parts.append("</svg>")
    return "".join(parts)


def paired_chart(title: str, rows: Sequence[tuple[str, int, int]], names: tuple[str, str]) -> str:
    """Two bars per label: one for each of two places."""
    rows = list(rows)
    biggest = max((max(a, b) for _, a, b in rows), default=0) or 1
    pair = 2 * _BAR // 2 * 2
    height = len(rows) * (pair + _GAP) + _GAP + 24
    room = _WIDTH - _LABEL_W - 60
    colours = ("#0b5394", "#b45f06")
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{_WIDTH}" '
             f'height="{height}" viewBox="0 0 {_WIDTH} {height}">',
             f'<title>{escape(title)}: ' + escape("; ".join(
                 f"{label}: {names[0]} {a}, {names[1]} {b}" for label, a, b in rows)) + "</title>"]
    for k, name in enumerate(names):
        x = _LABEL_W + k * 180
        parts.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{colours[k]}"/>'
                     f'<text x="{x + 18}" y="15" font-size="13" fill="#1b1b1b">{escape(name[:22])}</text>')
    for i, (label, *values) in enumerate(rows):
        y = 24 + _GAP + i * (pair + _GAP)
        parts.append(_label(label, _LABEL_W - 8, y + pair * 0.6, lines=2))
        for k, n in enumerate(values):
            width = max(2, round(room * n / biggest)) if n else 0
            yy = y + k * (pair // 2)
            parts.append(f'<rect x="{_LABEL_W}" y="{yy}" width="{width}" height="{pair // 2 - 2}" '
                         f'fill="{colours[k]}" rx="2"/>')
            parts.append(f'<text x="{_LABEL_W + width + 6}" y="{yy + pair // 2 - 5}" font-size="12" '
                         f'fill="#1b1b1b">{n}</text>')
    parts.append("</svg>")
    return "".join(parts)
