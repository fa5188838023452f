"""A story page shows passages from stories in other places and languages closest in
meaning to its own ("Others lived this too"), with their English, and only those the
reader may see."""

import pytest

from storyatlas import meaning
from storyatlas.archive import Viewer
from tests.conftest import add_story

DAM = [(0.0, 4.0, "Nach 1963 baute man den Damm, und die Überschwemmungen jedes Frühjahr hörten auf.",
        "After 1963 the dam was built and the spring floods stopped.", "de")]
FLOOD = [(0.0, 4.0, "Powódź zniszczyła naszą piwnicę i cały ogród.", "The flood destroyed our cellar and garden.", "pl")]
BREAD = [(0.0, 4.0, "Minha avó fazia pão todos os domingos.", "My grandmother made bread every Sunday.", "pt")]


def test_the_story_page_shows_what_others_lived_elsewhere(client, web_archive):
    dam = add_story(web_archive, "Der Damm", "de", DAM, community="Görlitz", country="DE")
    flood = add_story(web_archive, "Powódź", "pl", FLOOD, community="Zgorzelec", country="PL")
    add_story(web_archive, "Pão", "pt", BREAD, community="Porto", country="PT")
    meaning.index(web_archive)

    page = client.get(f"/stories/{dam}").text
    assert "Others lived this too" in page
    section = page[page.index("Others lived this too"):]
    assert "Powódź zniszczyła naszą piwnicę" in section and "The flood destroyed our cellar" in section
    assert "Zgorzelec" in section and f'href="/stories/{flood}?t=0.0"' in section
    assert "Minha avó" not in section  # bread is not what the dam story lived
    assert '<a class="beside" href="?t=0.0">close to 00:00 in this story</a>' in section

    web_archive.conn.execute("UPDATE stories SET visibility = 'private' WHERE id = ?", (flood,))
    assert "Powódź zniszczyła" not in client.get(f"/stories/{dam}").text


def test_a_place_known_only_by_its_country_is_named_in_the_readers_language(client, web_archive):
    """Both lists of related stories showed "PL" for a story with no community."""
    dam = add_story(web_archive, "Der Damm", "de", DAM, community="Görlitz", country="DE")
    add_story(web_archive, "Powódź", "pl", FLOOD, country="PL")
    add_story(web_archive, "Wały", "pl", FLOOD, region="Dolny Śląsk", country="PL")
    for story_id in (1, 2):
        web_archive.conn.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, 'floods', 1)",
                                 (story_id,))
    meaning.index(web_archive)

    page = client.get(f"/stories/{dam}", params={"lang": "de"}).text
    kindred = page[page.index('class="kindred"'):]
    similar = page[page.index('class="similar"'):page.index('class="kindred"')]
    assert "Powódź · Polen · " in kindred and "· PL ·" not in kindred
    assert "Wały · Dolny Śląsk · " in kindred  # a region, where there is no community
    assert "Polen" in similar and ">PL" not in similar and "PL ·" not in similar


def test_answers_given_before_the_vectors_are_not_kept_after(client, web_archive):
    """The worker makes a story's vectors after it is done, without changing the archive's
    generation: a search or a story page seen in between must not be served from memory."""
    dam = add_story(web_archive, "Der Damm", "de", DAM, community="Görlitz", country="DE")
    add_story(web_archive, "Powódź", "pl", FLOOD, community="Zgorzelec", country="PL")

    def why(query):
        found = client.get("/api/search", params={"q": query}).json()["stories"]
        return {m_why for story in found for m in story["moments"] for m_why in m["why"]}

    assert "meaning" not in why("inundação")
    assert "Others lived this too" not in client.get(f"/stories/{dam}").text
    meaning.index(web_archive)
    assert "meaning" in why("inundação")
    assert "Powódź zniszczyła naszą piwnicę" in client.get(f"/stories/{dam}").text


def test_the_related_stories_are_found_off_the_event_loop(client, web_archive, monkeypatch):
    """At a million segments they take a quarter of a second: on the event loop that
    would hold up every other request to the process."""
    import asyncio

    from storyatlas.archive import discover
    from storyatlas.web import pages

    dam = add_story(web_archive, "Der Damm", "de", DAM, community="Görlitz", country="DE")
    add_story(web_archive, "Powódź", "pl", FLOOD, community="Zgorzelec", country="PL")
    meaning.index(web_archive)
    on_the_loop = []

    def spy(found):
        def wrapped(*args, **kwargs):
            try:
                asyncio.get_running_loop()
                on_the_loop.append(found.__name__)
            except RuntimeError:  # no loop runs in this thread
                pass
            return found(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(pages, "_kindred", spy(pages._kindred))
    monkeypatch.setattr(discover, "similar_stories", spy(discover.similar_stories))
    page = client.get(f"/stories/{dam}").text
    assert "Powódź zniszczyła naszą piwnicę" in page and on_the_loop == []


@pytest.mark.slow
def test_what_an_admin_was_shown_is_not_remembered_for_a_visitor(app, client, web_archive):
    """The related stories are remembered per reader: a private story an admin's page
    showed must not come back, from memory, on a visitor's."""
    import re

    from starlette.testclient import TestClient

    from storyatlas.archive import Viewer, accounts
    from storyatlas.themes import store

    store.vocabulary(web_archive)  # installed now, not by the first page that reads themes
    dam = add_story(web_archive, "Der Damm", "de", DAM, community="Görlitz", country="DE")
    add_story(web_archive, "Powódź", "pl", FLOOD, community="Zgorzelec", country="PL", visibility="private")
    for story_id in (1, 2):  # the same theme: a "similar story" too
        web_archive.conn.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, 'floods', 1)",
                                 (story_id,))
    meaning.index(web_archive)
    accounts.add_user(web_archive, "Ada", "correct horse battery", [("admin", None)], Viewer.keeper())
    with TestClient(app) as admin:
        token = re.search(r'name="csrf_token" value="([^"]+)"', admin.get("/login").text).group(1)
        admin.post("/login", data={"csrf_token": token, "name": "Ada", "password": "correct horse battery"})
        state = web_archive.search_state()
        seen = admin.get(f"/stories/{dam}").text
        assert "Powódź zniszczyła naszą piwnicę" in seen and 'href="/stories/2"' in seen
        page = client.get(f"/stories/{dam}").text
        assert web_archive.search_state() == state  # so the admin's answer was still current
    assert "Powódź" not in page and "/stories/2" not in page


def test_others_lived_this_too_names_other_places_and_five_of_them_at_most(client, web_archive):
    """The same place's stories are under "similar stories"; kindred ones come from elsewhere."""
    dam = add_story(web_archive, "Der Damm", "de", DAM, community="Görlitz", country="DE")
    add_story(web_archive, "Nachbarn", "pl", FLOOD, community="Görlitz", country="DE")
    add_story(web_archive, "Sąsiedzi", "pl", FLOOD, community="GÖRLITZ", country="DE")  # as the policy reads it
    for i, place in enumerate(("Zgorzelec", "Opole", "Wrocław", "Kłodzko", "Nysa", "Racibórz")):
        add_story(web_archive, f"Powódź {i}", "pl", FLOOD, community=place, country="PL")
    meaning.index(web_archive)

    page = client.get(f"/stories/{dam}").text
    kindred = page[page.index('class="kindred"'):]
    kindred = kindred[:kindred.index("</ul>")]
    assert "Nachbarn" not in kindred and "Sąsiedzi" not in kindred and kindred.count("<li") == 5


@pytest.mark.slow
def test_others_lived_this_too_shows_first_the_stories_sharing_a_theme_with_this_one(client, web_archive):
    """Closeness alone put "for thirty years I thought school wasn't for me" beside "I
    lived thirty-five years in the same flat"."""
    dam = add_story(web_archive, "Der Damm", "de", DAM, community="Görlitz", country="DE")
    bridge = [(0.0, 4.0, "Most na rzece zbudowano w 1970 roku.", "The bridge over the river was built in 1970.", "pl")]
    for place in ("Opole", "Wrocław", "Kłodzko", "Nysa", "Racibórz", "Brzeg"):
        add_story(web_archive, f"Most w {place}", "pl", bridge, community=place, country="PL")
    banks = add_story(web_archive, "Wały", "pl", [(0.0, 4.0, "Po powodzi wały podniesiono o metr.",
                                                   "After the flood the embankments were raised by a metre.", "pl")],
                      community="Zgorzelec", country="PL")
    meaning.index(web_archive)
    assert banks not in [h.story_id for h in meaning.kindred(web_archive, dam, Viewer.anonymous())]  # further
    web_archive.conn.executemany("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, 'floods', 1)",
                                 [(dam,), (banks,)])

    page = client.get(f"/stories/{dam}").text
    kindred = page[page.index('class="kindred"'):]
    kindred = kindred[:kindred.index("</ul>")]
    assert "Po powodzi wały" in kindred and kindred.count("<li") == 5


def test_many_stories_alike_from_the_storys_own_place_leave_room_for_another_place(client, web_archive):
    """Twelve closest were taken, then the story's own community's left out: nothing was left."""
    dam = add_story(web_archive, "Der Damm", "de", DAM, community="Görlitz", country="DE")
    for i in range(13):
        add_story(web_archive, f"Nachbarn {i}", "pl", FLOOD, community="Görlitz", country="DE")
    add_story(web_archive, "Powódź", "pl", FLOOD, community="Zgorzelec", country="PL")
    meaning.index(web_archive)

    page = client.get(f"/stories/{dam}").text
    kindred = page[page.index('class="kindred"'):]
    assert "Powódź · Zgorzelec" in kindred[:kindred.index("</ul>")]


def test_a_misspelling_meaning_finds_stories_for_still_gets_did_you_mean(client, web_archive):
    # the words find nothing, meaning finds the flood: "did you mean" was shown only
    # when nothing was found, or beside moments holding some of the words
    flood = add_story(web_archive, "Powódź", "pl", FLOOD, community="Zgorzelec", country="PL")
    meaning.index(web_archive)
    found = client.get("/api/search", params={"q": "floood"}).json()
    assert [s["story_id"] for s in found["stories"]] == [flood] and not found["relaxed"]
    page = client.get("/search", params={"q": "floood"}).text
    assert f'href="/stories/{flood}' in page and 'href="/search?q=flood">flood</a>' in page


def test_the_search_says_how_many_stories_only_come_close_in_meaning(client, web_archive):
    """"floods" counted 71 stories of 288, 14 of them floods: meaning's closest reach far
    past what the words find, and the count did not say so."""
    dam = add_story(web_archive, "Der Damm", "de", DAM, community="Görlitz", country="DE")
    add_story(web_archive, "Powódź", "pl", FLOOD, community="Zgorzelec", country="PL")
    add_story(web_archive, "Pão", "pt", BREAD, community="Porto", country="PT")
    meaning.index(web_archive)
    found = client.get("/api/search", params={"q": "dam"}).json()
    assert (found["total_stories"], found["by_words"]) == (2, 1)
    assert found["stories"][0]["story_id"] == dam and "translation" in found["stories"][0]["moments"][0]["why"]
    page = client.get("/search", params={"q": "dam"}).text
    assert "Stories found: 2</h2>" in page and "By their words or themes: 1 · only close in meaning: 1" in page
    alone = client.get("/search", params={"q": "dam", "lang": "de", "community": "Görlitz"}).text
    assert "Passende Geschichten: 1</h2>" in alone and "der Bedeutung nach" not in alone


def test_the_stories_counted_by_their_words_are_only_those_the_reader_may_see(client, web_archive):
    dam = add_story(web_archive, "Der Damm", "de", DAM, community="Görlitz", country="DE")
    add_story(web_archive, "Powódź", "pl", FLOOD, community="Zgorzelec", country="PL")
    meaning.index(web_archive)
    assert client.get("/api/search", params={"q": "dam"}).json()["by_words"] == 1
    web_archive.conn.execute("UPDATE stories SET visibility = 'private' WHERE id = ?", (dam,))
    found = client.get("/api/search", params={"q": "dam"}).json()
    # the private dam, which alone says "dam", is neither counted nor shown
    assert found["by_words"] == 0 and dam not in [s["story_id"] for s in found["stories"]]
    assert "By their words or themes: 1" not in client.get("/search", params={"q": "dam"}).text
