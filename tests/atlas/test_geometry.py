"""The map's ground: the projection and its frame, the countries' centres, and the
outlines drawn as short SVG paths that stay true to the committed data."""

from __future__ import annotations

import math
import random
import re

import pytest

from storyatlas.atlas import geometry

WEST, SOUTH, EAST, NORTH = geometry.VIEW


def test_the_projection_is_centred_where_europes_statistical_maps_are():
    """ETRS89-LAEA: 52°N 10°E is the plane's origin, and the way back finds it."""
    assert geometry.project(10, 52) == (0.0, 0.0)
    assert geometry._unproject(0.0, 0.0) == (10.0, 52.0)
    lon, lat = geometry._unproject(*geometry.project(-9.14, 38.72))
    assert (round(lon, 9), round(lat, 9)) == (-9.14, 38.72)
    # the point opposite the centre is 2 from it; rounding may put it a hair further
    assert geometry._unproject(2.0 + 1e-12, 0.0)[1] == pytest.approx(-52.0)


def test_every_edge_of_the_view_is_inside_the_frame_and_touches_it():
    f = geometry.frame()
    edge = [(WEST + (EAST - WEST) * i / 200, lat) for i in range(201) for lat in (SOUTH, NORTH)]
    edge += [(lon, SOUTH + (NORTH - SOUTH) * i / 200) for i in range(201) for lon in (WEST, EAST)]
    points = [f.point(*p) for p in edge]
    assert all(f.inside(x, y, margin=1e-6) for x, y in points)
    xs, ys = zip(*points)
    assert min(xs) == pytest.approx(0, abs=1e-6) and max(xs) == pytest.approx(f.width, abs=1e-6)
    assert min(ys) == pytest.approx(0, abs=1e-6) and max(ys) == pytest.approx(f.height, abs=1)  # height rounded


def test_what_lies_north_or_south_of_the_frame_is_outside_it():
    f = geometry.frame()
    svalbard, sahara = f.point(15.6, 78.2), f.point(10.0, 25.0)
    assert 0 < svalbard[0] < f.width and 0 < sahara[0] < f.width  # across, they would fit
    assert not f.inside(*svalbard) and not f.inside(*sahara)


def test_a_country_without_a_code_is_no_place_a_story_names():
    """Northern Cyprus and the Siachen Glacier have no ISO code in the outlines: a story
    whose country is not given must not be placed at either."""
    nameless = [c.name for c in geometry.countries() if not c.iso]
    assert nameless and None not in geometry.centres()


def test_a_ring_with_no_area_has_its_centre_at_its_point():
    area, x, y = geometry._area_centroid(((21.0, 52.2),) * 4)
    assert area == 0.0 and (x, y) == geometry.project(21.0, 52.2)


def _distance(p, a, b) -> float:
    (x, y), (x1, y1), (x2, y2) = p, a, b
    length = math.hypot(x2 - x1, y2 - y1)
    return abs((y2 - y1) * (x - x1) - (x2 - x1) * (y - y1)) / length if length else math.hypot(x - x1, y - y1)


@pytest.mark.parametrize("seed", range(5))
def test_simplifying_keeps_every_point_further_than_the_tolerance_from_the_line(seed):
    """Douglas-Peucker's promise: each point left out lies within the tolerance of the
    line between the two kept points around it; the ends are always kept."""
    rng = random.Random(seed)
    points = [(i * 1.0, rng.uniform(-2, 2) if rng.random() < 0.3 else rng.uniform(-0.3, 0.3)) for i in range(200)]
    kept = geometry.simplify(points, 0.6)
    assert kept[0] == points[0] and kept[-1] == points[-1] and 2 < len(kept) < len(points)
    where = [points.index(p) for p in kept]
    for a, b in zip(where, where[1:]):
        assert all(_distance(points[i], points[a], points[b]) <= 0.6 for i in range(a + 1, b))


def test_simplifying_a_straight_line_leaves_its_ends_and_a_loop_its_far_point():
    line = [(x * 1.0, 2.0 * x) for x in range(10)]
    assert geometry.simplify(line, 0.1) == [line[0], line[-1]]
    loop = [(0.0, 0.0), (1.0, 0.1), (5.0, 0.0), (1.0, -0.1), (0.0, 0.0)]  # closed: its ends are one point
    assert geometry.simplify(loop, 0.5) == [(0.0, 0.0), (5.0, 0.0), (0.0, 0.0)]
    assert geometry.simplify(line[:2], 0.1) == line[:2] and geometry.simplify([], 0.1) == []
    far_ends = [(0.0, 0.0), (50.0, 0.5), (100.0, 0.0)]  # half a unit off a long line: within 0.6
    assert geometry.simplify(far_ends, 0.6) == [far_ends[0], far_ends[-1]]


@pytest.mark.parametrize("value, text", [(12.0, "12"), (3.5, "3.5"), (0.5, ".5"), (-0.5, "-.5"), (-0.04, "0"),
                                         (0.0, "0"), (-12.25, "-12.2"), (100.0, "100"), (10.05, "10.1")])
def test_coordinates_are_written_as_short_as_svg_reads_them(value, text):
    assert geometry._num(value) == text


def _points(d: str) -> list[list[tuple[float, float]]]:
    """The rings an "M x y l dx dy ... z" path draws, read back."""
    rings = []
    for part in d.split("z")[:-1]:
        start, _, moves = part[1:].partition("l")
        numbers = [float(n) for n in re.findall(r"-?(?:\d+\.?\d*|\.\d+)", moves)]
        ring = [tuple(float(n) for n in re.findall(r"-?(?:\d+\.?\d*|\.\d+)", start))]
        for dx, dy in zip(numbers[::2], numbers[1::2]):
            ring.append((ring[-1][0] + dx, ring[-1][1] + dy))
        rings.append(ring)
    return rings


def test_an_outline_is_drawn_where_the_country_is_with_no_space_svg_does_not_need():
    f = geometry.frame()
    poland = next(c for c in geometry.countries() if c.iso == "PL")
    d = geometry._path(poland.rings, f)
    assert " -" not in d and "l " not in d and not re.search(r"\b0\.", d)
    drawn = _points(d)
    assert len(drawn) == 1 and 30 < len(drawn[0]) < len(poland.rings[0])
    outline = [f.point(*p) for p in poland.rings[0]]
    for x, y in drawn[0]:  # every drawn point is one of the outline's, to the tenth kept
        assert min(math.hypot(x - ox, y - oy) for ox, oy in outline) < 0.2


def test_a_ring_is_drawn_when_it_comes_near_the_frame_and_not_when_it_is_too_small_to_see():
    f = geometry.frame()
    near = ((56, 45), (60, 45), (60, 47), (56, 47))  # the Caspian shore, east of the frame
    assert all(f.width < f.point(*p)[0] < f.width * 1.2 for p in near)
    assert geometry._path((near,), f).count("z") == 1  # drawn: a line between two points out there may cross in
    speck = ((20.0, 50.0), (20.0001, 50.0), (20.0001, 50.0001), (20.0, 50.0001))
    assert geometry._path((speck,), f) == ""


def test_only_countries_inside_the_frame_are_drawn():
    drawn = {name for _, name, _ in geometry.country_paths()}
    assert {"Poland", "Portugal", "Iceland", "Malta"} <= drawn and "China" not in drawn
    assert all(d.startswith("M") and d.endswith("z") for _, _, d in geometry.country_paths())
