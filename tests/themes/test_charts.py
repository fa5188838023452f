"""Bar charts drawn on the server: bars in proportion within the chart, numbers in text
for screen readers, labels escaped."""

import re

from storyatlas.themes.charts import bar_chart, paired_chart

ROOM = 560 - 190 - 60  # the chart's width less the labels' column and the numbers' margin


def _widths(svg: str) -> list[int]:
    return [int(w) for w in re.findall(r'<rect x="190" y="\d+" width="(\d+)"', svg)]


def test_bars_are_in_proportion_with_their_numbers_in_the_text_alternative():
    svg = bar_chart("Themes", [("Floods", 10), ("Work", 5), ("<b>Family</b>", 0)])
    assert _widths(svg) == [ROOM, ROOM // 2, 2]  # nothing said is still a sliver
    assert "<title>Themes: Floods 10, Work 5, &lt;b&gt;Family&lt;/b&gt; 0</title>" in svg
    assert "<b>" not in svg and "&lt;b&gt;Family&lt;/b&gt;" in svg
    assert _widths(bar_chart("Nothing yet", [("Floods", 0)])) == [2]  # no division by zero


def test_two_places_side_by_side_share_one_scale_and_a_zero_draws_no_bar():
    svg = paired_chart("Görlitz and Zgorzelec", [("Floods", 2, 8), ("Work", 4, 0)], ("Görlitz", "<i>Z</i>"))
    widths = [int(w) for w in re.findall(r'<rect x="190" y="(?!4")[\d.]+" width="(\d+)"', svg)]  # not the key
    assert widths == [round(ROOM / 4), ROOM, ROOM // 2, 0]
    assert "Floods: Görlitz 2, &lt;i&gt;Z&lt;/i&gt; 8; Work: Görlitz 4, &lt;i&gt;Z&lt;/i&gt; 0" in svg
    assert "<i>" not in svg


def test_a_long_label_keeps_to_its_column_in_two_lines_or_cut_and_whole_in_the_title():
    label = "Emergencies and preparedness"  # ran off the column's left edge: "ergencies and preparedness"
    paired = paired_chart("Compared", [(label, 1, 2)], ("A", "B"))
    assert re.findall(r"<tspan[^>]*>([^<]*)</tspan>", paired) == ["Emergencies and", "preparedness"]
    assert f"<title>Compared: {label}: A 1, B 2</title>" in paired
    one_line = re.findall(r"<tspan[^>]*>([^<]*)</tspan>", bar_chart("Themes", [(label, 3)]))
    assert one_line == ["Emergencies and prepare…"]
    long = re.findall(r"<tspan[^>]*>([^<]*)</tspan>", paired_chart("C", [("Überschwemmungen und Hochwasser"
                                                                            "katastrophen im Tal", 1, 1)], ("A", "B")))
    assert long == ["Überschwemmungen und", "Hochwasserkatastrophen…"]
