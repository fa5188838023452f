"""Where the search and theme pages' links lead: past the last page, to a moment, into a
theme; and a query that writes right to left. Searches by words only (no vectors here)."""

import re

import pytest

from storyatlas.themes import store
from storyatlas.themes.tagger import Evidence, Tagging, ThemeTag
from tests.conftest import add_story


@pytest.fixture
def floods(web_archive):
    lines = [(0.0, 4.0, "The flood came in the night."), (65.95, 70.0, "We filled sandbags.")]
    ids = [add_story(web_archive, f"Flood {i}", "en", lines, country="DE", region="Saxony", community="Görlitz")
           for i in range(3)]
    ids.append(add_story(web_archive, "Flood by country only", "pl", [(0.0, 4.0, "Rzeka zalała całe osiedle.",
                                                                        "The flood took the whole estate.")],
                         country="PL"))
    store.vocabulary(web_archive)  # the repository's, with "floods"
    for story_id in ids:
        store.save_tagging(web_archive, story_id, Tagging(
            (ThemeTag("floods", 0.9, (Evidence(0, "flood", "english"),)),), (), "test"))
    return ids


def test_a_page_past_the_last_says_the_stories_are_on_the_pages_before(client, floods):
    # an old link or a typed offset said "No moment matches" under "Stories found: 3"
    page = client.get("/search", params={"q": "flood", "country": "DE", "offset": 40}).text
    assert "Stories found: 3" in page and "No moment matches" not in page
    assert 'There are no more results past this point. <a href="/search?q=flood&amp;country=DE">' in page


def test_more_results_keep_the_number_per_page(client, floods):
    page = client.get("/search", params={"q": "flood", "limit": 1}).text
    assert page.count('class="hit"') == 1
    assert 'rel="next" href="/search?q=flood&amp;limit=1&amp;offset=1"' in page
    # and so do a filter chosen and one removed, which start again at the first page
    assert 'href="/search?q=flood&amp;limit=1&amp;country=DE"' in page
    page = client.get("/search", params={"q": "flood", "country": "DE", "limit": 1, "offset": 1}).text
    assert 'href="/search?q=flood&amp;limit=1">Remove' in page


def test_a_moments_link_starts_no_later_than_the_moment(client, floods):
    # rounded to the nearest tenth, 65.95 s opened the story at 66.0, past its first word
    page = client.get("/search", params={"q": "sandbags"}).text
    assert f'href="/stories/{floods[0]}?t=65.9"' in page and "?t=66.0" not in page


def test_a_query_written_right_to_left_keeps_to_itself(client, floods):
    # a right-to-left override typed in the query turned the rest of the sentence (and of the title) around
    page = client.get("/search", params={"q": "\u202efloodzz"}).text
    assert "<title>\u2068\u202efloodzz\u2069 · Story Atlas</title>" in page
    assert "No moment matches “\u2068\u202efloodzz\u2069”." in page


def test_a_theme_page_searches_within_its_theme(client, floods):
    # its "Search" link asked for no words, and a search of no words shows no story
    page = client.get("/themes/floods").text
    assert "q=&amp;theme=" not in page
    form = re.search(r'<form class="searchbox" role="search" method="get" action="/search">(.*?)</form>', page, re.S)
    assert '<input type="hidden" name="theme" value="floods">' in form.group(1)
    assert '<label for="theme-q">Search the stories of this theme</label>' in form.group(1)
    assert 'id="theme-q" name="q"' in form.group(1)
    found = client.get("/api/search", params={"q": "flood", "theme": "floods"}).json()
    assert found["total_stories"] == 4


def test_a_theme_page_names_a_country_counted_as_a_region(client, floods):
    # a story placed by its country alone was counted under "PL" in the chart and heading
    page = client.get("/themes/floods").text
    assert "Stories by region: Saxony 3, Poland 1" in page and "<h3>Poland</h3>" in page and "<h3>PL</h3>" not in page
    assert '?t=0.0"' in page


def test_the_themes_page_shows_no_empty_chart(client, web_archive):
    # nothing tagged yet (or nothing the visitor may see): an empty image under its caption
    add_story(web_archive, "Untagged", "en", [(0.0, 3.0, "I kept bees.")])
    page = client.get("/themes").text
    assert "<svg" not in page and "Stories per theme" not in page
    assert 'href="/themes/floods"' in page  # the themes are listed still


@pytest.fixture
def moderator(client, web_archive):
    from storyatlas.archive import Viewer, accounts

    store.vocabulary(web_archive)
    accounts.add_user(web_archive, "Mod", "s3cret-moderator", [("moderator", "Görlitz")], Viewer.keeper())
    client.post("/login", data={"csrf_token": _token(client, "/login"), "name": "Mod", "password": "s3cret-moderator"})
    return client


def _token(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def test_a_refused_new_theme_keeps_what_was_typed(moderator):
    # the form came back empty: label, description, and the trigger words of every language
    page = moderator.post("/moderate/themes", data={
        "csrf_token": _token(moderator, "/moderate/themes"), "id": "floods", "label": "Dams",
        "description": "Dams that broke", "triggers_en": "dam, levee", "triggers_de": "deich", "label_de": "Deiche"})
    assert page.status_code == 422 and "exists already" in page.text
    for kept in ('name="id" pattern="[a-z][a-z0-9_]{1,40}" required value="floods"', 'name="label" value="Dams"',
                 ">Dams that broke</textarea>", ">dam, levee</textarea>", ">deich</textarea>", 'value="Deiche"'):
        assert kept in page.text, kept


def test_a_refused_edit_keeps_what_was_typed_under_the_themes_own_name(moderator, web_archive):
    before = store.vocabulary(web_archive).get("floods")
    page = moderator.post("/moderate/themes/floods", data={
        "csrf_token": _token(moderator, "/moderate/themes"), "label": " ", "description": "Changed",
        "triggers_en": "flood, dam"})
    assert page.status_code == 422 and "A theme needs a label" in page.text
    assert ">flood, dam</textarea>" in page.text and ">Changed</textarea>" in page.text
    assert f"<h1>{before.label} " in page.text  # the heading: the theme as it is
    assert store.vocabulary(web_archive).get("floods") == before


def test_the_vocabularys_table_heads_its_counts_as_stories(moderator):
    # the column of story counts was headed "Home" (and read so to a screen reader)
    page = moderator.get("/moderate/themes").text
    assert '<th scope="col">Label</th><th scope="col">Stories</th>' in page
