"""Every page, rendered in process."""

import re

import pytest
from starlette.testclient import TestClient

from storyatlas.web.security import SecurityHeaders
from tests.conftest import add_story, story_file

LINES = [(0.0, 4.0, "Im Frühling kam das Wasser.", "In spring the water came."),
         (4.5, 9.0, "Die Überschwemmung hat unseren Keller zerstört.", "The flood destroyed our cellar.")]


@pytest.fixture
def stories(web_archive):
    public = add_story(web_archive, "Hochwasser in Görlitz", "de", LINES, country="DE", region="Sachsen",
                       community="Görlitz", collection="Flood memories", recorded_on="2026-03")
    private = add_story(web_archive, "Secret flood", "en", [(0.0, 3.0, "Our cellar was full of water.")],
                        visibility="private", country="FR")
    return public, private


def test_home_lists_public_stories_only(client, stories):
    page = client.get("/").text
    assert "Hochwasser in Görlitz" in page and "Secret flood" not in page
    assert "Stories in the archive: 1" in page


def test_story_page_has_player_captions_transcript_and_metadata(client, stories):
    page = client.get(f"/stories/{stories[0]}?t=4.5").text
    assert 'src="/media/1/listen.webm#t=4.5"' in page
    # the player's captions come from the page's own route, not from the exports
    assert '<track kind="captions"' in page and 'src="/media/1/captions.vtt?track=en"' in page
    assert re.search(r'data-start="4.5".*Überschwemmung.*The flood destroyed our cellar', page, re.S)
    assert "Görlitz, Sachsen, Germany" in page and "March 2026" in page and "Flood memories" in page
    assert 'href="/api/stories/1/export.srt?track=en"' in page
    assert "machine translation" in page


def test_a_story_page_asked_for_nonsense_shows_it_from_the_start_both_languages(client, stories):
    page = client.get(f"/stories/{stories[0]}", params={"t": "-30", "view": "<b>x</b>"}).text
    assert 'src="/media/1/listen.webm#t=0.0"' in page and 'data-start="0.0"' in page

    def player_start(t: str) -> str:
        page = client.get(f"/stories/{stories[0]}", params={"t": t}).text
        return re.search(r'<article class="story" data-story="\d+" data-start="([^"]*)"', page).group(1)

    assert [player_start(t) for t in ("inf", "nan", "-inf", "1e400", "soon", "62.5")] == ["0.0"] * 5 + ["62.5"]
    assert 'class="transcript view-both"' in page
    captions = client.get(f"/media/{stories[0]}/captions.vtt", params={"track": "de"})
    assert captions.status_code == 404


def test_the_language_switch_keeps_the_query_and_not_the_language_chosen_before(client, stories):
    page = client.get("/search", params={"q": "Keller", "country": "DE", "lang": "de"}).text
    switch = page[page.index('<form class="lang"'):]
    switch = switch[:switch.index("</form>")]
    assert '<input type="hidden" name="q" value="Keller">' in switch and 'name="country" value="DE"' in switch
    assert 'type="hidden" name="lang"' not in switch  # else the form would send two


def test_the_forms_token_cookie_is_for_this_site_and_no_script(client):
    cookie = client.get("/upload").headers["set-cookie"].lower()
    # Lax: a page opened from a link elsewhere keeps the token other tabs' forms hold (test_sign_in)
    assert cookie.startswith("csrf=") and "httponly" in cookie and "samesite=lax" in cookie


def test_an_upload_form_sent_with_no_file_chosen_asks_for_one(client, settings):
    """A browser sends an empty part for a file input left empty."""
    client.get("/upload")
    page = client.post("/upload", data={"csrf_token": client.cookies["csrf"]},
                       files={"files": ("", b"", "application/octet-stream")})
    assert page.status_code == 422 and "Choose at least one recording to upload" in page.text
    assert not any((settings.media_dir / "tmp" / "uploads").iterdir())  # the part read was thrown away


def test_clearing_the_filters_keeps_the_words(client, stories):
    page = client.get("/search", params={"q": "Keller", "country": "FR"}).text
    assert '<a href="/search?q=Keller">Clear filters</a>' in page


def test_search_page_groups_moments_with_facets_and_links_to_the_moment(client, stories):
    page = client.get("/search", params={"q": "Keller"}).text
    assert 'href="/stories/1?t=4.5"' in page and "<mark>Keller</mark>" in page
    assert "Secret flood" not in page
    assert re.search(r"Germany</a>\s*<span class=\"count\">1</span>", page)
    filtered = client.get("/search", params={"q": "Keller", "country": "FR"}).text
    assert "No moment matches" in filtered and "Clear filters" in filtered


def test_each_facet_value_links_to_the_search_with_it_chosen_or_taken_away(client, stories):
    from html import escape
    from urllib.parse import urlencode

    page = client.get("/search", params={"q": "Überschwemmung Keller & co", "country": "DE"}).text
    asked = {"q": "Überschwemmung Keller & co", "country": "DE"}
    for href in (urlencode({**asked, "region": "Sachsen"}), urlencode({**asked, "year": "2026"}),
                 urlencode({"q": asked["q"]})):  # the country chosen: its link takes it away
        assert f'href="/search?{escape(href)}"' in page, href


def test_empty_and_misspelled_queries_get_help(client, stories):
    assert "Type a word or a phrase" in client.get("/search").text
    assert "riv* finds the words that begin so" in client.get("/search").text
    page = client.get("/search", params={"q": "Keler"}).text
    assert "Did you mean" in page and 'href="/search?q=keller"' in page
    # the query whole, the word not found written as offered
    page = client.get("/search", params={"q": "wasser Keler"}).text
    assert 'href="/search?q=wasser+keller">wasser keller</a>' in page
    assert client.get("/api/search", params={"q": "wasser Keler"}).json()["suggested_queries"] == ["wasser keller"]


def test_a_query_of_words_too_common_to_search_alone_says_so_and_links_to_them_quoted(client, stories, web_archive):
    add_story(web_archive, "Over", "en", [(0.0, 3.0, "And then it was over.")])
    page = client.get("/search", params={"q": "it was"}).text
    assert "holds only words too common to search alone" in page and "No moment matches" not in page
    assert 'href="/search?q=%22it+was%22">&#34;it was&#34;</a>' in page
    assert "then <mark>it was</mark> over" in client.get("/search", params={"q": '"it was"'}).text
    assert client.get("/api/search", params={"q": "it was -Keller"}).json()["word_for_word"] == '"it was" -Keller'
    assert client.get("/api/search", params={"q": "Wasser"}).json()["word_for_word"] is None
    # nothing asked for at all
    page = client.get("/search", params={"q": "-Keller"}).text
    assert "only says which words to leave out" in page and "too common" not in page
    assert client.get("/api/search", params={"q": "-Keller"}).json()["only_left_out"] is True


def test_a_word_typed_with_a_star_finds_the_words_it_begins(client, stories, web_archive, monkeypatch):
    from storyatlas.search import vocabulary

    page = client.get("/search", params={"q": "überschw*"}).text
    assert "Die <mark>Überschwemmung</mark> hat" in page and "only the shortest" not in page
    add_story(web_archive, "Banks", "en", [(0.0, 3.0, "The river left the riverside.")])
    monkeypatch.setattr(vocabulary, "BEGUN", 1)
    page = client.get("/search", params={"q": "Riv*"}).text
    assert re.search("So many words begin with “.?Riv.?” that only the shortest are searched", page)
    assert client.get("/api/search", params={"q": "riv*"}).json()["begun_cut"] == ["riv"]


def test_private_story_is_never_shown(client, stories):
    private = stories[1]
    for path in (f"/stories/{private}", f"/media/{private}/listen.webm", f"/api/stories/{private}",
                 f"/api/stories/{private}/export.vtt", f"/api/stories/{private}/progress"):
        assert client.get(path).status_code == 404, path
    assert client.get("/api/search", params={"q": "cellar"}).json()["total_stories"] == 1
    assert "FR" not in str(client.get("/api/search", params={"q": "cellar"}).json()["facets"])


def test_errors_are_html_pages_outside_the_api(client):
    response = client.get("/stories/999")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert "does not exist" in response.text


@pytest.mark.parametrize("header, expected", [
    ("de-DE,de;q=0.9,en;q=0.5", ("Geschichten im Archiv", 'lang="de"')),
    ("pl", ("Opowieści w archiwum", 'lang="pl"')),
    ("ja, fr;q=0.4", ("dans les archives", 'lang="fr"')),
    ("ja", ("Stories in the archive", 'lang="en"')),
])
def test_interface_language_follows_the_browser(client, stories, header, expected):
    page = client.get("/", headers={"accept-language": header}).text
    assert all(e in page for e in expected)


def test_language_switch_is_remembered_and_formats_dates(client, stories):
    page = client.get(f"/stories/{stories[0]}", params={"lang": "de"})
    assert "März 2026" in page.text and "Deutschland" in page.text
    assert page.cookies.get("lang") == "de"
    assert 'lang="de"' in client.get("/").text  # the cookie now decides


@pytest.mark.parametrize("code", ["de", "fr", "es", "it", "pl"])
def test_every_page_is_translated(client, stories, code):
    from storyatlas.web.i18n import catalogs

    for path in ("/", "/search?q=Keller", f"/stories/{stories[0]}", "/record", "/upload"):
        page = client.get(path, params={"lang": code}).text
        assert catalogs()[code]["nav.search"] in page, (code, path)


def test_a_place_reads_with_its_country_named_in_the_readers_language(client, web_archive):
    told = add_story(web_archive, "Powódź", "pl", [(0.0, 1.0, "Woda przyszła nocą.")], community="Zgorzelec",
                     region="Dolny Śląsk", country="PL")
    regional = add_story(web_archive, "Region only", "en", [(0.0, 1.0, "The water came.")], region="Lower Silesia",
                         country="PL")
    assert "Zgorzelec, Dolny Śląsk, Polen" in client.get("/", params={"lang": "de"}).text
    assert "<dd>Zgorzelec, Dolny Śląsk, Poland</dd>" in client.get(f"/stories/{told}", params={"lang": "en"}).text
    assert "<dd>Lower Silesia, Poland</dd>" in client.get(f"/stories/{regional}", params={"lang": "en"}).text


def test_every_catalog_holds_every_message():
    """A message only in English shows in English on a German page: the storyteller's own
    page and the keepers' were, until 2026-12-01."""
    from storyatlas.web.i18n import catalogs

    english = catalogs()["en"]
    for code, messages in catalogs().items():
        assert sorted(set(english) - set(messages)) == [], code
        assert sorted(set(messages) - set(english)) == [], code
        for key, text in messages.items():  # the same placeholders as the English
            assert set(re.findall(r"{\w+}", text)) == set(re.findall(r"{\w+}", english[key])), (code, key)


def test_user_text_is_escaped(client, web_archive):
    add_story(web_archive, "<script>alert(1)</script>", "en", [(0.0, 1.0, "<img src=x onerror=alert(2)>")])
    page = client.get("/stories/1").text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page


def test_pages_satisfy_their_content_security_policy(client, stories):
    for path in ("/", "/search?q=Keller", f"/stories/{stories[0]}", "/record", "/upload", "/nowhere"):
        response = client.get(path)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        html = response.text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path  # no inline scripts
        assert not re.search(r"\son[a-z]+=", html), path  # no inline handlers
        assert not re.search(r"\sstyle=", html), path  # no inline styles


POLICY = {"default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self' data:",
          "media-src": "'self' blob:", "connect-src": "'self'", "object-src": "'none'", "base-uri": "'none'",
          "frame-ancestors": "'none'", "form-action": "'self'"}
PROTECTIONS = {"x-content-type-options": "nosniff", "referrer-policy": "same-origin", "x-frame-options": "DENY",
               "permissions-policy": "microphone=(self), camera=(), geolocation=()"}


def test_every_answer_carries_the_browsers_protections(client, stories):
    """Pages, JSON, errors, captions, static files and a refused host name alike: scripts,
    styles, forms and media only from this site, no plugins, no framing by another site,
    no guessing of a file's type, the address kept from other sites, and only the
    microphone (for recording), never the camera or the location."""
    for path, headers in (("/", {}), (f"/stories/{stories[0]}", {}), ("/api/search?q=Keller", {}),
                          ("/nowhere", {}), (f"/media/{stories[0]}/captions.vtt", {}), ("/static/app.css", {}),
                          ("/", {"host": "elsewhere.example"})):
        response = client.get(path, headers=headers)
        assert response.status_code in (200, 400, 404), path
        policy = dict(d.strip().split(" ", 1) for d in response.headers["content-security-policy"].split(";"))
        assert policy == POLICY, path
        for name, value in PROTECTIONS.items():
            assert response.headers.get_list(name) == [value], (path, name)


def test_a_protection_an_answer_sets_itself_is_kept_and_not_sent_twice():
    async def framed(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"X-Frame-Options", b"SAMEORIGIN")]})
        await send({"type": "http.response.body", "body": b"framed by its own site"})

    response = TestClient(SecurityHeaders(framed)).get("/")
    assert response.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
    assert response.headers["referrer-policy"] == "same-origin"


def test_static_files_are_served(client):
    for name in ("app.css", "story.js", "record.js", "upload.js", "common.js"):
        assert client.get(f"/static/{name}").status_code == 200


def test_search_answers_change_as_soon_as_the_archive_does(client, web_archive, stories):
    assert client.get("/api/search", params={"q": "Keller"}).json()["total_stories"] == 1
    assert client.get("/api/search", params={"q": "Keller"}).json()["total_stories"] == 1  # from the cache
    add_story(web_archive, "Another cellar", "de", [(0.0, 2.0, "Der Keller war voll.")])
    assert client.get("/api/search", params={"q": "Keller"}).json()["total_stories"] == 2
    web_archive.conn.execute("UPDATE stories SET visibility = 'private' WHERE id = ?", (stories[0],))
    assert client.get("/api/search", params={"q": "Keller"}).json()["total_stories"] == 1


def test_the_storyteller_is_told_in_their_language_that_their_choice_was_saved(client):
    """"saved" and "nothing changed" were English on every storyteller's page."""
    from storyatlas.web.i18n import Translator

    sent = client.post("/api/stories", files=[("files", ("opowiesc.ogg", story_file("pl").read_bytes(), "audio/ogg"))])
    token = sent.json()["stories"][0]["receipt"]
    page = f"/mine/{token}"
    client.get(page, params={"lang": "pl"})  # the form, its token, and Polish from here on
    polish = Translator("pl")

    def choose(naming):
        return client.post(page, data={"csrf_token": client.cookies["csrf"], "action": "consent",
                                       "visibility": "public", "storyteller_naming": naming})

    saved = choose("first")
    assert saved.status_code == 200 and polish("keep.done_saved") in saved.text
    again = choose("first")
    assert polish("keep.done_nothing") in again.text and "nothing changed" not in again.text


@pytest.mark.parametrize("lang, heading", [("en", "Not found"), ("pl", "Nie znaleziono")])
def test_a_page_not_found_is_headed_so_not_as_a_fault(client, lang, heading):
    for path in ("/stories/99", "/no/such/page"):
        page = client.get(path, headers={"accept-language": lang})
        assert page.status_code == 404
        assert re.search(r"<title>([^<]*)</title>", page.text).group(1) == f"{heading} · Story Atlas"
        assert re.search(r"<h1>([^<]*)</h1>", page.text).group(1) == heading
    # any other refusal is still headed as something that went wrong, with what to do
    refused = client.get("/mine/not-a-link", headers={"accept-language": lang})
    assert refused.status_code == 403 and heading not in refused.text
    assert re.search(r"<h1>([^<]*)</h1>", refused.text).group(1) in ("Something went wrong", "Coś poszło nie tak")
