"""The atlas in the web: /atlas, and the maps of the home and compare pages. Real
archives, stories written by hand, pages fetched as a browser without JavaScript would."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from storyatlas.archive import accounts
from storyatlas.archive.policy import Viewer
from storyatlas.atlas.geometry import centres, frame
from storyatlas.themes import store
from storyatlas.themes.tagger import Evidence, Tagging, ThemeTag
from tests.conftest import add_story


def _story(archive, title, community=None, country=None, region=None, language="de", year="1997", **meta):
    return add_story(archive, title, language, [(0.0, 3.0, "Das Wasser kam.", "The water came.")],
                     community=community, country=country, region=region,
                     recorded_on=f"{year}-05-01" if year else None, **meta)


def _tag(archive, story_id, theme="floods"):
    store.save_tagging(archive, story_id, Tagging((ThemeTag(theme, 0.9, (Evidence(0, "flood", "original"),)),),
                                                  (), "test"))


@pytest.fixture
def stories(archive):
    store.vocabulary(archive)  # the themes to tag with
    ids = {}
    for n in range(3):
        ids[f"zg{n}"] = _story(archive, f"Zgorzelec story {n}", "Zgorzelec", "PL", "Lower Silesia",
                               year="1997" if n else "2010")
    ids["porto0"] = _story(archive, "Porto story 0", "Porto", "PT", language="pt")
    ids["porto1"] = _story(archive, "Porto story 1", "porto", "PT", language="pt", year="2010")
    ids["linz"] = _story(archive, "Linz story", "Linz", "AT", "Upper Austria")
    ids["hubmoor"] = _story(archive, "Hubmoor story", "Hubmoor", "DE")  # no such town: Germany's centre
    ids["nowhere"] = _story(archive, "Nowhere story")
    # what an anonymous visitor may not see: a private story from a town of its own, and a
    # community story and one waiting for review from Zgorzelec
    ids["private"] = _story(archive, "Secret story", "Kwiatkowo", "PL", "Zielone", visibility="private")
    ids["member"] = _story(archive, "Members story", "Zgorzelec", "PL", visibility="community")
    ids["waiting"] = _story(archive, "Waiting story", "Zgorzelec", "PL", visibility="private",
                            requested_visibility="public")
    for key in ("zg0", "porto0", "private"):
        _tag(archive, ids[key])
    return ids


def _places(page: str) -> dict[str, tuple[str, str]]:
    """The circles of the map: accessible name -> (href, the circle's <title>)."""
    svg = page.split('<svg class="atlas-map', 1)[1].split("</svg>", 1)[0]
    found = {}
    for href, label, title in re.findall(
            r'<a href="([^"]+)" class="place[^"]*" aria-label="([^"]+)"><circle [^>]*><title>([^<]+)</title>', svg):
        found[html.unescape(label)] = (html.unescape(href), html.unescape(title))
    return found


def _table(page: str) -> dict[str, int]:
    """The table beside the map: place -> stories."""
    table = page.split('<div class="atlas-places">', 1)[1].split("</table>", 1)[0]
    rows = {}
    for name, count in re.findall(r'<tr><th scope="row"><a href="[^"]+">([^<]+)</a>.*?<td class="num">([\d,]+)</td>',
                                  table):
        rows[html.unescape(name)] = int(count.replace(",", ""))
    return rows


def test_the_map_shows_a_circle_per_community_with_its_count(client, stories):
    page = client.get("/atlas").text
    assert _places(page).keys() == {"Zgorzelec, Poland: stories: 3", "Porto, Portugal: stories: 2",
                                    "Linz, Austria: stories: 1", "Hubmoor, Germany: stories: 1"}
    assert all(label == title for label, (_, title) in _places(page).items())  # the <title> says the same
    assert _table(page) == {"Zgorzelec": 3, "Porto": 2, "Linz": 1, "Hubmoor": 1}
    assert "Stories with no place: 1" in page
    assert 'aria-label="Map of Europe: where the stories come from"' in page


def test_a_story_the_viewer_may_not_see_is_not_counted_and_its_place_not_shown(client, stories, archive):
    page = client.get("/atlas").text
    for word in ("Kwiatkowo", "Zielone", "Secret story", "Members story", "Waiting story"):
        assert word not in page
    assert _table(client.get("/atlas", params={"by": "region"}).text)["Lower Silesia"] == 3
    assert "Kwiatkowo" not in client.get("/").text
    # a member of Zgorzelec sees its community story too; the private one still not
    accounts.add_user(archive, "Zofia", "a long enough password", [("member", "Zgorzelec")], Viewer.keeper())
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/login", data={"csrf_token": token, "name": "Zofia", "password": "a long enough password"},
                       follow_redirects=False).status_code == 303
    page = client.get("/atlas").text
    assert _table(page)["Zgorzelec"] == 4 and "Kwiatkowo" not in page
    listed = client.get("/atlas", params={"community": "Zgorzelec", "country": "PL"}).text
    assert "Members story" in listed and "Waiting story" not in listed


def test_filters_by_theme_language_and_year_change_the_counts(client, stories):
    assert _table(client.get("/atlas", params={"theme": "floods"}).text) == {"Zgorzelec": 1, "Porto": 1}
    assert _table(client.get("/atlas", params={"language": "pt"}).text) == {"Porto": 2}
    # a place is named as most of its stories counted spell it
    assert _table(client.get("/atlas", params={"year": "2010"}).text) == {"Zgorzelec": 1, "porto": 1}
    assert _table(client.get("/atlas", params={"year": "2010", "language": "de"}).text) == {"Zgorzelec": 1}
    page = client.get("/atlas", params={"theme": "floods"}).text
    # the filters offer only what the viewer's stories have, with their counts
    assert '<option value="floods" selected>' in page
    assert re.search(r'<option value="2010">2010 \(2\)</option>', page)
    # the place's link keeps the filters: it opens exactly the stories counted
    href, _ = next(v for k, v in _places(page).items() if k.startswith("Zgorzelec"))
    assert parse_qs(urlsplit(href).query, keep_blank_values=True)["theme"] == ["floods"]


def test_a_place_opens_its_stories(client, stories):
    href, _ = next(v for k, v in _places(client.get("/atlas").text).items() if k.startswith("Porto"))
    assert href.startswith("/atlas?") and href.endswith("#stories")
    listed = client.get(href.split("#")[0]).text
    stories_part = listed.split('<section id="stories"', 1)[1]
    assert "Stories from Porto, Portugal" in stories_part
    assert "Porto story 0" in stories_part and "Porto story 1" in stories_part  # "porto" is Porto
    assert "Zgorzelec story" not in stories_part and "stories: 2" in stories_part
    # the stories with no place are one link away too
    nowhere = re.search(r'<a href="([^"]+)">Stories with no place: 1</a>', client.get("/atlas").text).group(1)
    part = client.get(html.unescape(nowhere).split("#")[0]).text.split('<section id="stories"', 1)[1]
    assert "Nowhere story" in part and "Linz story" not in part


def test_grouped_by_region_and_by_country(client, stories):
    by_region = _table(client.get("/atlas", params={"by": "region"}).text)
    # a story with no region stands under its community
    assert by_region == {"Lower Silesia": 3, "Porto": 2, "Upper Austria": 1, "Hubmoor": 1}
    by_country = _table(client.get("/atlas", params={"by": "country"}).text)
    assert by_country == {"Poland": 3, "Portugal": 2, "Austria": 1, "Germany": 1}
    href, _ = next(v for k, v in _places(client.get("/atlas", params={"by": "country"}).text).items()
                   if k.startswith("Poland"))
    listed = client.get(html.unescape(href).split("#")[0]).text.split('<section id="stories"', 1)[1]
    assert listed.count('<a href="/stories/') == 3


def test_an_unknown_town_is_placed_at_its_countrys_centre(client, stories):
    page = client.get("/atlas").text
    x, y = frame().point(*centres()["DE"])
    circle = re.search(r'aria-label="Hubmoor, Germany: stories: 1"><circle cx="([\d.]+)" cy="([\d.]+)"[^>]*'
                       r'stroke-dasharray', page)
    assert circle and abs(float(circle.group(1)) - x) < 0.1 and abs(float(circle.group(2)) - y) < 0.1
    assert "Hubmoor</a> <span class=\"muted\">(at the country&#39;s centre: the town is not known)" in page


def test_the_map_reads_without_javascript_and_loads_nothing_from_elsewhere(client, stories):
    for path in ("/atlas", "/", "/compare?a=Zgorzelec&b=PT", "/atlas?community=Porto&country=PT"):
        page = client.get(path).text
        assert "<svg" in page and "<table>" in page and "<caption>Places and their stories</caption>" in page, path
        # the only scripts are the site's own, and the map needs none of them
        assert set(re.findall(r'<script[^>]*src="([^"]+)"', page)) <= {"/static/common.js"}, path
        assert "<script>" not in page and " on" + "click=" not in page
        addresses = set(re.findall(r"(?:https?:)?//[^\s\"'<>)]+", page))
        # an SVG chart names its namespace; a name, never fetched
        assert addresses <= {"http://www.w3.org/2000/svg"}, (path, addresses)
        assert not re.search(r'(?:src|href|action)="(?!/|#)', page), path


def test_home_shows_the_map_by_country_and_compare_shows_both_places(client, stories):
    home = client.get("/").text
    assert set(_places(home)) == {"Poland: stories: 3", "Portugal: stories: 2", "Austria: stories: 1",
                                  "Germany: stories: 1"}
    assert 'href="/atlas"' in home
    compare = client.get("/compare", params={"a": "Zgorzelec", "b": "PT"}).text
    places = _places(compare)
    assert set(places) == {"Zgorzelec, Poland: stories: 3", "Porto, Portugal: stories: 2"}
    assert 'class="place side-0"' in compare and 'class="place side-1"' in compare
    # a country code typed is shown by the country's name, in the reader's language
    assert 'aria-label="Map of Europe: where the stories of Zgorzelec and of Portugal come from"' in compare
    assert "Zgorzelec: stories: 3 · Portugal: stories: 2" in compare
    assert 'value="PT"' in compare  # the form keeps what was typed
    german = client.get("/compare", params={"a": "PL", "b": "PT", "lang": "de"}).text
    assert "Polen: Geschichten: 3 · Portugal: Geschichten: 2" in german


def test_the_atlas_speaks_the_readers_language(client, stories):
    page = client.get("/atlas", params={"lang": "de"}).text
    assert "Atlas der Geschichten" in page and "Zgorzelec, Polen: Geschichten: 3" in page
    assert "Geschichten ohne Ort: 1" in page


def test_odd_requests_answer_a_page(client, stories):
    assert client.get("/atlas", params={"by": "planet", "offset": "x"}).status_code == 200
    page = client.get("/atlas", params={"community": "Atlantis"}).text
    assert "No stories here that you may see." in page


def test_a_place_with_many_stories_opens_them_a_page_at_a_time(client, archive):
    for n in range(103):
        _story(archive, f"Görlitz story {n:03}", "Görlitz", "DE")
    ask = {"community": "Görlitz", "country": "DE", "by": "region"}
    page, seen, offsets = client.get("/atlas", params={**ask, "lang": "en"}).text, [], []
    for _ in range(4):  # three pages, and a fourth if a page links to itself
        part = page.split('<section id="stories"', 1)[1]
        seen += re.findall(r'<a href="/stories/(\d+)', part)
        more = re.search(r'<a rel="next" href="([^"]+)"', part)
        if not more:
            break
        query = parse_qs(urlsplit(html.unescape(more.group(1))).query, keep_blank_values=True)
        assert query["by"] == ["region"] and "lang" not in query  # the cookie keeps the language
        offsets += query["offset"]
        page = client.get(html.unescape(more.group(1)).split("#")[0]).text
    assert offsets == ["50", "100"] and len(seen) == len(set(seen)) == 103
    for odd, shown in (("-5", 50), ("99999999999999999999", 0)):
        page = client.get("/atlas", params={**ask, "offset": odd})
        assert page.status_code == 200 and page.text.split('<section id="stories"', 1)[1].count(
            '<a href="/stories/') == shown


def test_the_links_keep_the_grouping_and_an_empty_filter_is_none(client, stories, archive):
    _story(archive, "Somewhere in France", country="FR")  # a country, but no community or region
    by_region = client.get("/atlas", params={"by": "region"}).text
    href, _ = next(v for k, v in _places(by_region).items() if k.startswith("Lower Silesia"))
    assert parse_qs(urlsplit(href).query)["by"] == ["region"]
    assert _table(client.get("/atlas", params={"theme": "", "language": "", "year": ""}).text) == _table(
        client.get("/atlas").text)
    nowhere = re.search(r'<a href="([^"]+)">Stories with no place: 1</a>', client.get("/atlas").text).group(1)
    part = client.get(html.unescape(nowhere).split("#")[0]).text.split('<section id="stories"', 1)[1]
    assert "Stories from no place" in part and "Nowhere story" in part and "Somewhere in France" not in part
