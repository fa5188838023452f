"""Theme, comparison and moderation pages."""

import re

import pytest
from starlette.testclient import TestClient

from storyatlas.archive import accounts, tags
from storyatlas.archive.policy import Viewer
from storyatlas.themes import store
from storyatlas.web.app import create_app
from tests.themes.conftest import tagged  # noqa: F401  (fixture)


@pytest.mark.slow
def test_themes_page_lists_themes_with_counts_and_a_chart(client, tagged):
    page = client.get("/themes").text
    assert re.search(r'href="/themes/t_floods">Floods \(test\)</a> <span class="count">stories: 2', page)
    assert "<svg" in page and "Floods (test) 2" in page  # the chart's text alternative


@pytest.mark.slow
def test_theme_page_shows_where_it_occurs_with_moments_per_region(client, tagged):
    page = client.get("/themes/t_floods").text
    assert "Germany 1" in page and "Poland 1" in page  # chart text by country
    assert "<h3>Saxony</h3>" in page and "<h3>Lower Silesia</h3>" in page
    assert f'href="/stories/{tagged["de_flood"]}?t=' in page
    assert client.get("/themes/nothing").status_code == 404


@pytest.mark.slow
def test_theme_labels_follow_the_interface_language(client, tagged):
    assert "Hochwasser (Test)" in client.get("/themes", params={"lang": "de"}).text


@pytest.mark.slow
def test_compare_page_shows_shared_and_own_themes(client, tagged):
    page = client.get("/compare", params={"a": "Saxony", "b": "Lower Silesia"}).text
    shared = page.split("Themes both share")[1].split("</section>")[0]
    assert "Floods (test)" in shared and "<svg" in page
    page = client.get("/compare", params={"a": "Saxony", "b": "Masovia"}).text
    only_masovia = page.split("Only in Masovia")[1].split("</section>")[0]
    assert "Eviction (test)" in only_masovia


@pytest.mark.slow
def test_story_page_shows_themes_places_and_similar_stories_elsewhere(client, tagged):
    page = client.get(f"/stories/{tagged['de_flood']}").text
    assert 'href="/themes/t_floods">Floods (test)</a>' in page
    similar = page.split("Similar stories elsewhere")[1]
    assert f'href="/stories/{tagged["pl_flood"]}"' in similar


@pytest.mark.slow
def test_search_says_why_each_moment_matched(client, tagged):
    page = client.get("/search", params={"q": "despejo"}).text
    assert "Also found through the themes:" in page and "Eviction (test)" in page
    assert '<span class="badge">theme</span>' in page
    data = client.get("/api/search", params={"q": "bailiff"}).json()
    assert data["stories"][0]["moments"][0]["why"] == ["translation"]
    # found in its English alone: the words as said, and the English below with the word marked
    moment = client.get("/search", params={"q": "bailiff"}).text.split('class="moment"')[1].split("</li>")[0]
    assert '<span class="snippet">Komornik przyszedł w listopadzie.</span>' in moment
    assert "The <mark>bailiff</mark> came in November.</p>" in moment
    themed = client.get("/api/search", params={"q": "flood", "theme": "t_eviction"}).json()
    assert themed["total_stories"] == 0


MODERATOR_PASSWORD = "s3cret-moderator"


@pytest.fixture
def moderated(settings, tagged):
    app = create_app(settings)
    # a moderator of one community edits the archive's one vocabulary
    accounts.add_user(app.state.archives.get(), "Mod", MODERATOR_PASSWORD, [("moderator", "Görlitz")],
                      Viewer.keeper())
    with TestClient(app) as c:
        yield c, app


def _sign_in(client, password=MODERATOR_PASSWORD):
    return client.post("/login", data={"csrf_token": _token(client, "/login"), "name": "Mod", "password": password})


def _token(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def test_moderation_needs_a_moderator_signed_in(client, tagged):
    assert client.get("/moderate", follow_redirects=False).headers["location"] == "/login?next=/moderate/review"
    assert client.get("/moderate/themes").status_code == 403


@pytest.mark.slow
def test_a_moderator_adds_and_edits_a_theme_and_the_archive_is_retagged(moderated):
    client, app = moderated
    assert client.get("/moderate/themes").status_code == 403
    wrong = _sign_in(client, "guess-guess-guess")
    assert wrong.status_code == 403 and "Wrong name or password" in wrong.text
    _sign_in(client)
    form = {"csrf_token": _token(client, "/moderate/themes"), "id": "t_bees", "label": "Bees",
            "triggers_en": "bee, beekeeper, tomato", "label_de": "Bienen"}
    added = client.post("/moderate/themes", data=form, follow_redirects=False)
    assert added.status_code == 303 and added.headers["location"] == "/moderate/themes/t_bees?saved=1"
    archive = app.state.archives.get()
    assert store.vocabulary(archive).get("t_bees").labels == {"de": "Bienen"}
    task = app.state.queue.huey.dequeue()
    assert task.name == "retag"
    app.state.queue.huey.execute(task)
    assert "t_bees" in {t.theme_id for t in tags.story_themes(archive, 4, Viewer.keeper())}

    edit = {"csrf_token": _token(client, "/moderate/themes/t_bees"), "label": "Bees and honey",
            "triggers_en": "bee, honey"}
    assert client.post("/moderate/themes/t_bees", data=edit).status_code == 200
    assert store.vocabulary(archive).get("t_bees").triggers == {"en": ("bee", "honey")}
    bad = client.post("/moderate/themes/t_bees", data={"csrf_token": _token(client, "/moderate/themes/t_bees"),
                                                      "label": "x"})
    assert bad.status_code == 422 and "trigger words" in bad.text
    unnamed = client.post("/moderate/themes/t_bees",
                          data=edit | {"csrf_token": _token(client, "/moderate/themes/t_bees"), "label": " "})
    assert unnamed.status_code == 422 and "A theme needs a label" in unnamed.text
    assert store.vocabulary(archive).get("t_bees").label == "Bees and honey"
    assert client.post("/moderate/themes/t_bees", data=edit | {"csrf_token": "forged"}).status_code == 403


@pytest.mark.slow
def test_a_moderator_cannot_add_a_theme_over_one_already_there(moderated):
    client, app = moderated
    _sign_in(client)
    archive = app.state.archives.get()
    before = store.vocabulary(archive).get("t_floods")
    token = _token(client, "/moderate/themes")
    taken = client.post("/moderate/themes", data={"csrf_token": token, "id": "t_floods", "label": "Dams",
                                                  "triggers_en": "dam"})
    assert taken.status_code == 422 and "exists already" in taken.text
    accepted = client.post("/moderate/suggestions", data={"csrf_token": token, "phrase": "food bank",
                                                          "id": "t_floods"})
    assert accepted.status_code == 422 and "exists already" in accepted.text
    assert store.vocabulary(archive).get("t_floods") == before


def test_a_shipped_themes_description_reads_in_the_interface_language_until_a_moderator_edits_it(client, app):
    """The descriptions were English on every page. One a moderator edits shows as written:
    the old translation no longer says what the theme is about."""
    from dataclasses import replace
    from html import unescape

    from storyatlas.web.i18n import Translator

    archive = app.state.archives.get()
    floods = store.vocabulary(archive).get("floods")
    german = Translator("de").theme_description(floods.description)
    assert german != floods.description
    for path in ("/themes/floods", "/themes"):
        page = unescape(client.get(path, params={"lang": "de"}).text)
        assert german in page and floods.description not in page, path

    store.save_theme(archive, replace(floods, description="Rivers, and the town after the water."))
    page = unescape(client.get("/themes/floods", params={"lang": "de"}).text)
    assert "Rivers, and the town after the water." in page and german not in page


def test_every_catalog_holds_every_shipped_theme_description():
    from storyatlas.themes.vocabulary import default_vocabulary
    from storyatlas.web.i18n import catalogs, theme_catalogs

    shipped = [t.description for t in default_vocabulary().themes]
    assert set(theme_catalogs()) == set(catalogs()) - {"en"}
    for code, found in theme_catalogs().items():
        assert list(found) == shipped, code  # each one, in the file's order, none left behind by an edit
        assert all(found.values()), code


@pytest.mark.slow
def test_only_a_moderator_opens_or_changes_a_theme(moderated):
    client, app = moderated
    archive = app.state.archives.get()
    accounts.add_user(archive, "Mia", "s3cret-member-mia", [("member", "Görlitz")], Viewer.keeper())
    before = store.vocabulary(archive).get("t_floods")
    token = _token(client, "/login")
    form = {"csrf_token": token, "label": "Dams", "triggers_en": "dam"}
    anonymous = client.get("/moderate/themes/t_floods")
    assert anonymous.status_code == 403 and "Sign in as a moderator first" in anonymous.text
    assert client.post("/moderate/themes/t_floods", data=form).status_code == 403
    client.post("/login", data={"csrf_token": token, "name": "Mia", "password": "s3cret-member-mia"})
    member = client.get("/moderate/themes/t_floods")
    assert member.status_code == 403 and "You moderate no community" in member.text
    assert client.post("/moderate/themes/t_floods", data=form | {"csrf_token": _token(client, "/")}).status_code == 403
    assert store.vocabulary(archive).get("t_floods") == before
    assert app.state.queue.huey.dequeue() is None  # nothing to re-tag


@pytest.mark.slow
def test_a_theme_form_is_read_as_people_type_it(moderated):
    client, app = moderated
    _sign_in(client)
    assert client.get("/moderate/themes/t_nothing").status_code == 404
    token = _token(client, "/moderate/themes")
    blank = client.post("/moderate/themes", data={"csrf_token": token, "id": "t_bees", "label": "  ",
                                                   "triggers_en": "bee"})
    assert blank.status_code == 422 and "A theme needs a label" in blank.text
    added = client.post("/moderate/themes", data={"csrf_token": token, "id": "t_bees", "label": " Bees   and\thoney ",
                                                  "triggers_en": "Bee, , HONEY ", "triggers_de": " "})
    theme = store.vocabulary(app.state.archives.get()).get("t_bees")
    assert theme.label == "Bees and honey" and theme.triggers == {"en": ("bee", "honey")}
    assert "Saved. The archive is being re-tagged." in added.text  # the redirect's page
    assert "Saved." not in client.get("/moderate/themes/t_bees").text


@pytest.mark.slow
def test_suggestions_come_only_from_the_stories_a_moderator_looks_after(moderated, settings):
    from storyatlas.themes.run import tag_story
    from tests.conftest import add_story

    client, app = moderated
    archive = app.state.archives.get()
    lines = {"Leeds": "The pigeon loft was where we met.", "Görlitz": "The flea market opened at dawn."}
    for community, line in lines.items():
        for n in range(3):
            tag_story(archive, add_story(archive, f"{community} {n}", "en", [(0.0, 3.0, line)], community=community),
                      settings.cache)
    for n in range(3):  # so the flea market is in fewer than half of Görlitz's stories
        tag_story(archive, add_story(archive, f"Beans {n}", "en", [(0.0, 3.0, f"We planted beans in row {n}.")],
                                     community="Görlitz"), settings.cache)
    _sign_in(client)
    page = client.get("/moderate/suggestions").text
    assert "flea market" in page and "Görlitz 0" in page
    assert "pigeon loft" not in page and "Leeds 0" not in page

    accepted = client.post("/moderate/suggestions", data={"csrf_token": _token(client, "/moderate/suggestions"),
                                                          "phrase": "flea market", "id": "t_markets"},
                           follow_redirects=False)
    assert accepted.headers["location"] == "/moderate/themes/t_markets?saved=1"
    assert store.vocabulary(archive).get("t_markets").label == "Flea market"
    assert app.state.queue.huey.dequeue().name == "retag"


@pytest.mark.slow
def test_themes_are_listed_by_how_many_stories_then_by_name_and_charted_when_they_have_stories(client, tagged, archive):
    from storyatlas.themes import Theme

    for theme_id, label in (("t_a", "Zebras (test)"), ("t_z", "Apples (test)")):  # no stories: ties, by name
        store.save_theme(archive, Theme(theme_id, label, "", {}, {"en": (label.split()[0].lower(),)}))
    page = client.get("/themes").text
    listed = re.findall(r'href="/themes/(t_\w+)"', page.split("</svg>", 1)[1])
    assert listed == ["t_floods", "t_eviction", "t_z", "t_a"]
    chart = re.search(r'class="chart"[^>]*>\s*<title>([^<]*)</title>', page).group(1)
    assert chart.endswith(": Floods (test) 2, Eviction (test) 1")  # the themes no story has are not charted


def test_a_theme_is_charted_by_every_region_it_occurs_in(client, tagged):
    charts = re.findall(r"<title>([^<]*)</title>", client.get("/themes/t_floods").text)
    assert any("Saxony 1" in c and "Lower Silesia 1" in c for c in charts)


@pytest.mark.slow
def test_compare_reads_the_places_as_typed_and_charts_the_themes_by_their_labels(client, tagged):
    spaced = client.get("/compare", params={"a": " Saxony ", "b": "Lower Silesia "}).text
    chart = next(c for c in re.findall(r"<title>([^<]*)</title>", spaced) if "Floods" in c)
    assert "Floods (test): Saxony 1, Lower Silesia 1" in chart and "t_floods" not in chart
    assert "Themes both share" not in client.get("/compare", params={"a": "Saxony"}).text  # one place: no comparison
    nothing = client.get("/compare", params={"a": "Leeds", "b": "Yorkshire"}).text  # no themes on either side
    assert "Themes both share" in nothing and 'class="chart"' not in nothing


@pytest.mark.slow
def test_the_compare_chart_holds_twenty_themes_at_most(client, tagged, archive):
    for n in range(25):  # a story of Saxony with 25 more themes, one of Lower Silesia with 2
        archive.conn.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, ?, 0.5)",
                             (tagged["de_flood"], f"t_extra_{n:02d}"))
    for n in range(2):
        archive.conn.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, ?, 0.5)",
                             (tagged["pl_flood"], f"t_own_{n}"))
    page = client.get("/compare", params={"a": "Saxony", "b": "Lower Silesia"}).text
    chart = next(c for c in re.findall(r"<title>([^<]*)</title>", page) if ": Saxony " in c)
    rows = chart.split(": ", 1)[1].split("; ")  # the chart's title names each of its rows
    assert len(rows) == 20 and rows[0] == "Floods (test): Saxony 1, Lower Silesia 1"
    # each place's own themes in turn: Saxony's filled the chart, and Lower Silesia's were not drawn
    assert {"t_own_0: Saxony 0, Lower Silesia 1", "t_own_1: Saxony 0, Lower Silesia 1"} <= set(rows)
    assert "t_extra_24" in page  # still listed below the chart
