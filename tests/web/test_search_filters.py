"""The search page's filters: a value typed in another case is the same one (and shown
chosen), a filter that leaves nothing is shown with a way to remove it, the search box
keeps the filters (with a way to search every story), and a facet counts what its link
finds. Searches by words only (no vectors here); the browser test at the end audits the
filtered page with axe-core in Chromium (skipped without it, except under CI=true)."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from storyatlas.settings import Settings
from storyatlas.themes import store
from storyatlas.themes.tagger import Evidence, Tagging, ThemeTag
from storyatlas.web.app import create_app
from tests.conftest import add_story
from tests.web.test_browser import Problems, _context, browser, chromium_path, playwright_, served  # noqa: F401

LINES = [(0.0, 4.0, "The flood came in the night."), (65.95, 70.0, "We filled sandbags.")]


@pytest.fixture
def floods(web_archive):
    ids = [add_story(web_archive, f"Flood {i}", "de", LINES, country="DE", region="Saxony", community="Görlitz")
           for i in range(3)]
    ids.append(add_story(web_archive, "Flood in Zgorzelec", "pl", LINES, country="PL", community="Zgorzelec",
                         collection='Die "Flut" – Ü'))
    return ids


def _chosen(page: str) -> list[tuple[str, str]]:
    """The facet values the page shows chosen: (where their link leads, their name)."""
    return re.findall(r'<a href="([^"]*)" aria-current="true"><strong>([^<]*)</strong></a>', page)


def _active(page: str) -> list[tuple[str, str, str]]:
    """The active filters the page lists: (facet, value, the link that removes it)."""
    section = page[page.index('<section class="active-filters"'):]
    section = section[:section.index("</section>")]
    return re.findall(r'<li>([^:<]+): <strong>([^<]*)</strong>\s*<a href="([^"]*)">Remove<', section)


@pytest.mark.parametrize("name, typed, shown", [
    ("country", "de", "Germany"), ("community", "görlitz", "Görlitz"), ("community", "GÖRLITZ", "Görlitz"),
    ("community", "Go\u0308rlitz", "Görlitz"),  # the umlaut typed as a combining mark
    ("language", "DE", "German"), ("region", "SAXONY", "Saxony")])
def test_a_filter_typed_in_another_case_is_the_value_shown_chosen(client, floods, name, typed, shown):
    # "country=de" found the three stories, but the facet showed "Germany" as not chosen:
    # its link chose it again rather than removing it
    page = client.get("/search", params={"q": "flood", name: typed}).text
    assert "Stories found: 3" in page
    assert ("/search?q=flood", shown) in _chosen(page)


def test_a_theme_typed_in_another_case_is_the_theme(client, floods, web_archive):
    # "theme=Floods" found nothing: a theme's id was matched as typed
    store.vocabulary(web_archive)
    for story_id in floods[:2]:
        store.save_tagging(web_archive, story_id, Tagging(
            (ThemeTag("floods", 0.9, (Evidence(0, "flood", "english"),)),), (), "test"))
    label = store.vocabulary(web_archive).get("floods").label_in("en")
    page = client.get("/search", params={"q": "sandbags", "theme": "Floods"}).text
    assert "Stories found: 2" in page and ("/search?q=sandbags", label) in _chosen(page)
    assert ("Theme", label, "/search?q=sandbags") in _active(page)


def test_a_filter_that_leaves_nothing_is_shown_with_a_link_to_remove_it(client, floods):
    # "No moment matches" and nothing else: the filter was nowhere on the page to remove
    page = client.get("/search", params={"q": "flood", "country": "fr", "collection": 'Die "Flut" – Ü'}).text
    assert "Stories found: 0" in page
    assert _active(page) == [
        ("Country", "France", "/search?q=flood&amp;collection=Die+%22Flut%22+%E2%80%93+%C3%9C"),
        ("Collection", "Die &#34;Flut&#34; – Ü", "/search?q=flood&amp;country=fr")]
    assert '<a href="/search?q=flood">Clear filters</a>' in page
    # the links lead where they say: the collection alone finds its story
    kept = client.get("/search?q=flood&collection=Die+%22Flut%22+%E2%80%93+%C3%9C").text
    assert "Stories found: 1" in kept and ("Collection", "Die &#34;Flut&#34; – Ü", "/search?q=flood") in _active(kept)


def test_the_filters_are_listed_without_a_query_and_removing_the_last_leads_to_the_bare_page(client, floods):
    page = client.get("/search", params={"country": "DE", "review_state": "PUBLISHED"}).text
    assert _active(page) == [("Country", "Germany", "/search?review_state=PUBLISHED"),
                             ("Review", "Published", "/search?country=DE")]
    assert _active(client.get("/search", params={"country": "DE"}).text) == [("Country", "Germany", "/search")]


def test_the_search_box_keeps_the_filters_and_offers_to_search_every_story(client, floods):
    page = client.get("/search", params={"q": "flood", "country": "pl", "collection": 'Die "Flut" – Ü'}).text
    box = page[page.index('<form class="searchbox"'):]
    box = box[:box.index("</form>")]
    assert re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', box) == [
        ("country", "pl"), ("collection", "Die &#34;Flut&#34; – Ü")]
    assert '<button type="submit" name="everything" value="1" class="secondary">Search all stories</button>' in box
    # what the box sends: a new query within the filters, or everywhere
    assert "Stories found: 1" in client.get("/search", params={"q": "sandbags", "country": "pl",
                                                               "collection": 'Die "Flut" – Ü'}).text
    everywhere = client.get("/search", params={"q": "sandbags", "country": "pl", "everything": "1"},
                            follow_redirects=False)
    assert (everywhere.status_code, everywhere.headers["location"]) == (303, "/search?q=sandbags")
    # the stories a page, when chosen, are kept both ways
    page = client.get("/search", params={"q": "flood", "country": "pl", "limit": "5"}).text
    box = page[page.index('<form class="searchbox"'):]
    assert re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', box[:box.index("</form>")]) == [
        ("country", "pl"), ("limit", "5")]
    assert client.get("/search", params={"q": "sandbags", "country": "pl", "limit": "5", "everything": "1"},
                      follow_redirects=False).headers["location"] == "/search?q=sandbags&limit=5"
    assert "Stories found: 4" in client.get(everywhere.headers["location"]).text
    # without filters (and on the home page) the box has neither
    for path in ("/search?q=flood", "/"):
        page = client.get(path).text
        box = page[page.index('<form class="searchbox"'):]
        assert 'type="hidden"' not in box[:box.index("</form>")] and "Search all stories" not in page


def test_a_facet_counts_the_stories_its_link_finds(client, floods, web_archive):
    # "GÖRLITZ" and "Görlitz" were two values (1 and 3) of a filter that finds all four
    add_story(web_archive, "Flood again", "de", LINES, country="de", community="GÖRLITZ")
    facets = client.get("/api/search", params={"q": "flood"}).json()["facets"]
    assert {"value": "Görlitz", "count": 4} in facets["community"]
    assert {"value": "DE", "count": 4} in facets["country"]
    assert len(facets["community"]) == 2  # Zgorzelec
    found = client.get("/api/search", params={"q": "flood", "community": "Görlitz"}).json()
    assert found["total_stories"] == 4 and found["facets"]["community"] == [{"value": "Görlitz", "count": 4}]


def test_more_results_keep_the_filters(client, floods):
    page = client.get("/search", params={"q": "flood", "country": "de", "limit": 2}).text
    assert page.count('class="hit"') == 2
    assert 'rel="next" href="/search?q=flood&amp;country=de&amp;limit=2&amp;offset=2"' in page
    rest = client.get("/search?q=flood&country=de&offset=2&limit=2").text
    assert rest.count('class="hit"') == 1 and ("Country", "Germany", "/search?q=flood&amp;limit=2") in _active(rest)


def test_the_api_says_what_it_searched_within(client, floods):
    # a client could not tell a mistyped filter (nothing found) from a filter that found nothing
    found = client.get("/api/search", params={"q": "flood", "country": "de", "theme": "", "limit": 2,
                                              "offset": 2}).json()
    assert (found["filters"], found["limit"], found["offset"]) == ({"country": "de"}, 2, 2)
    assert [h["rank"] for h in found["stories"]] == [3]
    assert client.get("/api/search", params={"q": "flood"}).json()["filters"] == {}


# in a browser --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def filtered_server(tmp_path_factory, chromium_path: str, model_cache, known_words):  # noqa: F811 (the fixture of test_browser.py)
    folder = tmp_path_factory.mktemp("filters")
    settings = Settings(archive=folder / "archive", cache=model_cache, model="tiny.en")
    app = create_app(settings, worker=False)
    archive = app.state.archives.get()
    for i in range(2):
        add_story(archive, f"Flood {i}", "de", LINES, country="DE", community="Görlitz")
    with served(app) as base:
        yield base


@pytest.mark.slow
def test_the_filtered_page_passes_an_audit_and_its_box_searches_within_or_everywhere(browser, filtered_server):  # noqa: F811
    problems = Problems()
    context = _context(browser, filtered_server, problems)
    page = problems.watch(context.new_page())
    axe = Axe()
    found = {}
    for path in ("/search?q=flood&country=de", "/search?q=flood&country=FR&community=g%C3%B6rlitz",
                 "/search?country=de"):
        page.goto(path)
        found[path] = [(v["impact"], v["id"], [n["target"] for n in v["nodes"]][:3])
                       for v in axe.run(page).response["violations"]]
    assert not any(found.values()), found

    page.goto("/search?q=flood&country=FR")
    page.fill("#q", "sandbags")
    page.press("#q", "Enter")  # the box's first button: within the filters
    page.wait_for_url("**/search?q=sandbags&country=FR")
    expect(page.locator("#results-h")).to_have_text("Stories found: 0")
    page.get_by_role("button", name="Search all stories").click()
    page.wait_for_url("**/search?q=sandbags")
    expect(page.locator("#results-h")).to_have_text("Stories found: 2")
    expect(page.locator(".active-filters")).to_have_count(0)
    context.close()
    problems.check()
