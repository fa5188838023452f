"""Choosing the interface's language and writing dates and numbers in it."""

import pytest

from storyatlas.archive.records import Place
from storyatlas.errors import said
from storyatlas.web.i18n import Translator, languages, negotiate, sentence


@pytest.mark.parametrize("query, cookie, header, expected", [
    ("pl", "de", "fr", "pl"),  # ?lang= first
    ("ja", "de", "fr", "de"),  # then the cookie, when the query names no catalog
    (None, "ja", "fr", "fr"),  # then the browser
    (None, None, "fr;q=0.4, IT-ch;q=0.8, de;q=0.6", "it"),  # by weight, a region and any case
    (None, None, "es, de", "es"),  # equal weights: the order sent
    (None, None, "fr;q=0.9, de", "de"),  # no weight is 1
    (None, None, "de;q=0, fr;q=0.1", "fr"),  # q=0 is "not this one"
    (None, None, "pl;q=0", "en"),
    (None, None, "de;q=high, fr;q=0.5", "fr"),  # a weight that is no number: that part is skipped
    (None, None, None, "en"),
    (None, None, "", "en"),
])
def test_the_language_is_asked_for_by_link_then_cookie_then_browser(query, cookie, header, expected):
    assert negotiate(query, cookie, header) == expected


def test_the_interface_languages_are_offered_by_code_each_in_its_own_name():
    codes = [code for code, _ in languages()]
    assert codes == sorted(codes) and {"en", "de", "fr", "es", "it", "pl"} <= set(codes)
    assert dict(languages())["de"] == "Deutsch" and dict(languages())["pl"] == "Polski"


def test_dates_full_or_partial_and_numbers_read_as_the_reader_writes_them():
    german = Translator("de")
    assert german.date("2026") == "2026"
    assert german.date("2026-03") == "März 2026"
    assert german.date("2026-03-14") == "14. März 2026"
    assert german.date("2026-03-14T10:00:00Z") == "14. März 2026"
    assert german.date("in the spring") == "in the spring" and german.date(None) == ""
    assert german.number(4096.5) == "4.096,5" and Translator("en").number(4096.5) == "4,096.5"
    assert german.said(said("{n} of {total:,}", n=1.5, total=4096)) == "1,5 of 4.096"  # a template no catalog has
    # only numbers take the reader's marks, not a name with a comma or a dot in it
    assert german.said(said("{name}: {size:,}", name="Oder, 1997.ogg", size=4096)) == "Oder, 1997.ogg: 4.096"
    assert Translator("pl").date("2026-03") == "marzec 2026"  # a month standing alone, not "marca"
    assert german.said(None) == ""


def test_a_text_a_catalog_lacks_is_said_in_english_and_one_asked_without_values_as_it_stands():
    german = Translator("de")
    assert "{role}" in german("admin.role_of")  # the template as it stands, not a KeyError
    german.messages = {}  # a catalog that has not caught up with a new page yet
    assert german("nav.search") == Translator("en")("nav.search") != "nav.search"


def test_codes_are_named_in_the_readers_language_or_left_as_they_are():
    french = Translator("fr")
    assert french.name("visibility", "private") == french("consent.private") != "private"
    assert french.name("visibility", None) == "–"
    assert Translator("de").name("embargo_until", "2030-01-31") == "31. Januar 2030"
    english = Translator("en")
    assert english.roles([]) == english("admin.no_role")
    assert english.roles([("admin", None), ("moderator", "Zgorzelec")]) == (
        f'{english("roles.admin")}, {english("admin.role_of", role=english("roles.moderator"), community="Zgorzelec")}')
    assert french.name("visibility", "someday") == "someday"
    assert french.name("review", "someday", english="soon") == "soon"
    assert french.language_name("de") == "allemand" and french.country_name("de") == "Allemagne"
    assert french.place_name("PL") == "Pologne" and french.place_name("Zgorzelec") == "Zgorzelec"
    assert Translator("en").audit_action("sign-in") != "sign-in" and Translator("en").audit_action("odd") == "odd"
    assert french.audit_action("review state") == "état de relecture modifié"  # an action of two words
    assert french.name("roles", [("moderator", "Zgorzelec")]) == french.roles([("moderator", "Zgorzelec")]) != (
        "moderator")
    assert french.place(Place("Zgorzelec", None, "PL")) == "Zgorzelec, Pologne"
    assert french.country_name("XX") == "XX"  # a code no one knows, as it is
    assert french.date("2026-13") == "2026-13"  # not a date: as written
    assert sentence("the file is empty") == "The file is empty" and sentence("") == ""
