"""A place as people type it ("Zgorzelec, Lower Silesia, PL") read into its parts, a
story's recording date and language checked as it is taken in, and a story's state told
from its consent columns."""

import datetime

import pytest

from storyatlas.archive.records import Place, Story, StoryMetadata
from storyatlas.errors import MediaError


@pytest.mark.parametrize("typed, parts", [
    ("Zgorzelec, Lower Silesia, PL", ("Zgorzelec", "Lower Silesia", "PL")),
    ("Zgorzelec, Lower Silesia, pl", ("Zgorzelec", "Lower Silesia", "PL")),
    ("  Linz ,Upper Austria,  Mühlviertel , at ", ("Linz", "Upper Austria, Mühlviertel", "AT")),
    ("Görlitz, , DE", ("Görlitz", None, "DE")),
    ("Ulm, Baden-Württemberg", ("Ulm", "Baden-Württemberg", None)),
    ("Porto", ("Porto", None, None)),
    ("PT", (None, None, "PT")),
    ("Łódź, 91", ("Łódź", "91", None)),  # two characters, not a country code
    (" , ,", (None, None, None)),
    ("", (None, None, None)),
    (None, (None, None, None)),
])
def test_a_place_is_read_as_community_region_and_country(typed, parts):
    place = Place.parse(typed)
    assert (place.community, place.region, place.country) == parts


def test_a_place_reads_back_as_it_was_typed_tidied():
    assert str(Place.parse(" Linz,Upper Austria ,  at")) == "Linz, Upper Austria, AT"
    assert str(Place.parse("PT")) == "PT" and str(Place()) == ""


def _story(**consent) -> Story:
    return Story(1, "Powódź", None, Place(), None, None, "pl", 0.9, None, None, "private", 60.0,
                 "2026-12-04", **consent)


def test_a_story_waits_for_a_moderator_while_its_teller_asks_for_more_than_it_has():
    assert _story(requested_visibility="public").state == "waiting"
    assert _story(requested_visibility="public", declined=True).state == "waiting"  # asked again
    assert _story(declined=True).state == "declined"
    assert _story().state == "published"


@pytest.mark.parametrize("recorded", ["2026", "2026-02", "2024-02-29", "1950-12-31", "0001", None, ""])
def test_a_recording_date_of_the_calendar_is_kept_as_given(recorded):
    assert StoryMetadata(recorded_on=recorded).validated().recorded_on == recorded


@pytest.mark.parametrize("recorded, message", [
    ("2026-13", "2026-13 is not a date in the calendar"),
    ("2026-00", "2026-00 is not a date in the calendar"),
    ("2025-02-29", "2025-02-29 is not a date in the calendar"),
    ("0000", "0000 is not a date in the calendar"),
    ("2026-3", "must look like 2026, 2026-03 or 2026-03-14"),
    ("March 2026", "must look like 2026, 2026-03 or 2026-03-14"),
    ("2026-03-14T10:00", "must look like 2026, 2026-03 or 2026-03-14"),
    ("²⁰²⁶", "must look like 2026, 2026-03 or 2026-03-14"),  # digits to str.isdigit(), not to int()
    ("２０２６", "must look like 2026, 2026-03 or 2026-03-14"),  # full-width: \d without re.ASCII took them
])
def test_a_recording_date_that_is_no_date_is_refused_saying_why(recorded, message):
    with pytest.raises(MediaError, match=message):
        StoryMetadata(recorded_on=recorded).validated()


def test_a_recording_date_after_today_is_refused_but_tomorrow_is_somewhere_today():
    today = datetime.date.today()
    for later in (today + datetime.timedelta(days=2), datetime.date(today.year + 1, 1, 1)):
        for typed in (later.isoformat(), later.isoformat()[:7], str(later.year)):
            if typed > (today + datetime.timedelta(days=1)).isoformat():
                with pytest.raises(MediaError, match=f"{typed} is after today: give the date it was recorded"):
                    StoryMetadata(recorded_on=typed).validated()
    for near in (today, today + datetime.timedelta(days=1)):
        for typed in (near.isoformat(), near.isoformat()[:7], str(near.year)):
            assert StoryMetadata(recorded_on=typed).validated().recorded_on == typed


@pytest.mark.parametrize("typed, kept", [("de", "de"), ("PL", "pl"), ("yue", "yue"), (None, None), ("", None)])
def test_a_language_is_a_code_kept_in_lower_case(typed, kept):
    assert StoryMetadata(language_hint=typed).validated().language_hint == kept


@pytest.mark.parametrize("typed", ["German", "d", "de-AT", "de ", "12", "łó"])
def test_a_language_that_is_no_code_is_refused(typed):
    with pytest.raises(MediaError, match="the language must be a code such as de, fr or pl"):
        StoryMetadata(language_hint=typed).validated()


def test_a_place_and_a_collection_are_written_one_way_whatever_the_keyboard():
    # "Görlitz" with a combining umlaut was another community to the access policy
    typed = "Go\u0308rlitz, Sachsen, de"
    assert Place.parse(typed) == Place("G\u00f6rlitz", "Sachsen", "DE")
    assert StoryMetadata(collection="Flut in Go\u0308rlitz").validated().collection == "Flut in G\u00f6rlitz"
    # and spaces as a role's community is written: "Nowa  Wieś" was another community than its moderator's
    assert Place.parse("Nowa  Wie\u015b,\u00a0Lower\tSilesia , PL") == Place("Nowa Wie\u015b", "Lower Silesia", "PL")
    tidied = StoryMetadata(collection=" Oral\u00a0 History ", place=Place("Nowa  Wie\u015b")).validated()
    assert (tidied.collection, tidied.place.community) == ("Oral History", "Nowa Wie\u015b")
    # as the web's forms take them: blank is none (a title then comes from the file's name), and at most 500
    blank = StoryMetadata(title="  ", collection="", storyteller=" ").validated()
    assert (blank.title, blank.collection, blank.storyteller) == (None, None, None)
    assert StoryMetadata(title="A" * 3000).validated().title == "A" * 500


def test_what_anyone_says_of_a_story_holds_no_control_characters():
    # its title is printed on its keepers' terminals (`storyatlas stories`): an escape would work there
    said = StoryMetadata(title="Flood\x1b[2J", storyteller="An\x07na", collection="Floods\x00",
                         description="First line\nsecond\x1b[31m", place=Place("Zgorzelec\x1b", "Lower\tSilesia", "PL"))
    kept = said.validated()
    assert (kept.title, kept.storyteller, kept.collection) == ("Flood[2J", "Anna", "Floods")
    assert kept.description == "First line\nsecond[31m"
    assert kept.place == Place("Zgorzelec", "Lower Silesia", "PL")
