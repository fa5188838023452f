"""German and Dutch compounds found by their last part ("Arzt" finds "Zahnarzt")."""

import threading

import pytest

from storyatlas.archive import Viewer
from storyatlas.archive.erasure import erase
from storyatlas.search import MARK_CLOSE, MARK_OPEN, SearchQuery, vocabulary
from storyatlas.search.compounds import compounds
from storyatlas.search.fts import FTSBackend
from storyatlas.search.vocabulary import Vocabulary
from tests.conftest import add_story, wait_for

ANYONE = Viewer.anonymous()


@pytest.fixture
def stories(archive):
    add_story(archive, "Zahnarzt", "de", [(0.0, 4.0, "Der Zahnarzt kam nur montags ins Dorf.")])
    add_story(archive, "Flut", "de", [(0.0, 4.0, "Das Jahrhunderthochwasser nahm uns das Haus.")])
    add_story(archive, "Regen", "de", [(0.0, 4.0, "Das Regenwasser stand im Keller.")])
    add_story(archive, "Strand", "de", [(0.0, 4.0, "Im Sommer lagen wir am Strand.")])
    add_story(archive, "Schuhe", "de", [(0.0, 4.0, "Die Schnürsenkel waren gerissen.")])
    add_story(archive, "Mitte", "de", [(0.0, 4.0, "Wir wohnten an der Hauptstraße, die Straße war laut.")])
    add_story(archive, "Feldberg", "de", [(0.0, 4.0, "Die Feldbergstraße lag im Schatten.")])
    add_story(archive, "Bunker", "de", [(0.0, 4.0, "Im Luftschutzkeller saßen wir zu zwölft.")])
    add_story(archive, "Schweigen", "de", [(0.0, 4.0, "Über den Missbrauch sprach niemand.")])
    add_story(archive, "Opa", "nl", [(0.0, 4.0, "Dat was het verhaal van mijn opa, eindelijk verteld.")])
    add_story(archive, "Zeventien", "nl", [(0.0, 4.0, "Ik was zeventien toen de oorlog kwam.")])
    add_story(archive, "Fabrik", "de", [(0.0, 4.0, "Mein Vater arbeitete in der Schuhfabrik.")])
    add_story(archive, "Baracken", "de", [(0.0, 4.0, "Wir wohnten in der Barackensiedlung am Fluss.")])
    add_story(archive, "Pflege", "de", [(0.0, 4.0, "Meine Mutter war Krankenschwester.")])
    add_story(archive, "Mittag", "de", [(0.0, 4.0, "Um die Mittagszeit war es still.")])
    add_story(archive, "Ausland", "de", [(0.0, 4.0, "Mein Bruder ging ins Ausland.")])
    add_story(archive, "Wijn", "nl", [(0.0, 4.0, "Mijn vader werkte in de wijnkelder.")])
    add_story(archive, "Geheim", "de", [(0.0, 4.0, "Der Kinderarzt wusste es.")], visibility="private")
    return archive


def _found(archive, text, known, viewer=ANYONE):
    return FTSBackend(archive, known).search(SearchQuery(text, viewer, meaning=False))


@pytest.mark.parametrize("query, title, said", [
    ("Arzt", "Zahnarzt", "Zahnarzt"),
    ("Ärzte", "Zahnarzt", "Zahnarzt"),  # a form of the last part
    ("Hochwasser", "Flut", "Jahrhunderthochwasser"),
    ("kelder", "Wijn", "wijnkelder"),  # Dutch
    # the stemmer cuts more from a long word's end: "Schuhfabrik" is "schuhfabr"
    ("Fabrik", "Fabrik", "Schuhfabrik"),
    ("Siedlung", "Baracken", "Barackensiedlung"),
    ("Schwester", "Pflege", "Krankenschwester"),
])
def test_a_word_finds_the_compounds_it_ends_and_marks_them(stories, known_words, query, title, said):
    [hit] = _found(stories, query, known_words).stories
    assert hit.title == title
    assert f"{MARK_OPEN}{said}{MARK_CLOSE}" in hit.moments[0].snippet
    assert not _found(stories, query, None).stories  # without the dictionary, as before


@pytest.mark.parametrize("query, titles", [
    ("Wasser", ["Flut", "Regen"]),  # "Jahrhundert-hoch-wasser", "Regen-wasser"
    ("Keller", ["Bunker", "Regen"]),  # "Luft-schutz-keller"
])
def test_a_word_finds_the_compounds_of_three_words_it_ends(stories, known_words, query, titles):
    assert sorted(h.title for h in _found(stories, query, known_words).stories) == titles


@pytest.mark.parametrize("query", ["Rand", "Land", "Enkel", "Trasse", "Brauch", "haal", "lijk", "tien", "Zeitung",
                                   "Schwerin"])
def test_a_word_ending_another_by_chance_does_not_find_it(stories, known_words, query):
    # "St" is no word; "aus" is a function word ("Ausland", abroad, is no land); a
    # shoelace is "Schnür-senkel", no grandchild ("Enkel") after a joining "s"; a main
    # street "Haupt-straße", no route ("Trasse"): the index holds "straße"; nor is a
    # "Feld-berg-straße" one, though "Bergs" (a mountain's) is a word; "miss" and "ver"
    # are prefixes: abuse ("Missbrauch") is no custom ("Brauch"), a story ("verhaal")
    # no fetching ("haal"); "-lijk" makes adverbs ("eindelijk", at last), no corpses ("lijk"),
    # and "-tien" numbers: seventeen ("zeventien") is no ten ("tien"); "Zeitung" inside a
    # long word would be "zeit", a word, as in "Mittagszeit"; "Schwerin" (a city) "schw",
    # by an ending ("-erin") the stemmer cuts there, as from "Krankenschwester"
    assert not _found(stories, query, known_words).stories


def test_a_compound_said_only_in_a_story_the_viewer_may_not_see_is_not_found(stories, known_words):
    assert [h.title for h in _found(stories, "Arzt", known_words).stories] == ["Zahnarzt"]
    assert sorted(h.title for h in _found(stories, "Arzt", known_words, Viewer.keeper()).stories) == \
        ["Geheim", "Zahnarzt"]


def test_a_compound_is_not_found_by_its_first_part_nor_by_a_phrase_or_a_word_left_out(stories, known_words):
    assert not _found(stories, "Zahn", known_words).stories
    assert not _found(stories, '"der Arzt"', known_words).stories
    assert [h.title for h in _found(stories, "Dorf -Arzt", known_words).stories] == ["Zahnarzt"]


def test_compounds_come_from_the_terms_ending_with_the_words_stem(known_words):
    vocabulary = Vocabulary(sorted(["de_zahnarzt", "de_kinderarzt", "de_arzt", "de_strand", "de_natur",
                                    "en_zahnarzt", "nl_wijnkelder"]))
    assert sorted(vocabulary.ending("de", "arzt")) == ["de_arzt", "de_kinderarzt", "de_zahnarzt"]
    assert compounds(vocabulary, known_words, "Arzt") == ("de_zahnarzt", "de_kinderarzt")
    assert compounds(vocabulary, known_words, "Tür") == ()  # a stem of three letters ends too many words


def test_which_compounds_a_word_stands_for_is_chosen_among_those_the_viewer_may_see(stories, known_words,
                                                                                      monkeypatch):
    # the private vet ("Tierarzt") is the shortest compound, the first chosen among all
    add_story(stories, "Tier", "de", [(0.0, 4.0, "Der Tierarzt kam spät.")], visibility="private")
    monkeypatch.setattr("storyatlas.search.compounds.MOST", 1)
    assert [h.title for h in _found(stories, "Arzt", known_words).stories] == ["Zahnarzt"]
    assert [h.title for h in _found(stories, "Arzt", known_words, Viewer.keeper()).stories] == ["Tier"]


def test_compounds_are_found_while_a_large_archives_vocabulary_is_read_again_and_never_one_gone(
        stories, known_words, settings, monkeypatch):
    monkeypatch.setattr(vocabulary, "_READ_AT_ONCE", 0)  # as a large archive's is: read again in the background
    backend = FTSBackend(stories, known_words)

    def found(text):
        return [h.title for h in backend.search(SearchQuery(text, ANYONE, meaning=False)).stories]

    assert found("Arzt") == ["Zahnarzt"]  # the vocabulary read
    release, read = threading.Event(), vocabulary._read
    monkeypatch.setattr(vocabulary, "_read", lambda conn: release.wait(10) and read(conn))
    dentist = next(h.story_id for h in _found(stories, "Zahnarzt", known_words).stories)
    add_story(stories, "Hof", "de", [(0.0, 4.0, "Der Tierarzt kam auf den Hof.")])
    # while it is read again, the list in memory proposes the compounds it holds ...
    assert found("Arzt") == ["Zahnarzt"]
    assert str(stories.path) in vocabulary._refreshing
    # ... and the index as it is now confirms each: an erased story's compound is not found
    erase(stories, settings.media_dir, dentist, "cli:test", "asked")
    assert found("Arzt") == []
    release.set()
    wait_for(lambda: str(stories.path) not in vocabulary._refreshing, 5, "the reading to end")
    assert found("Arzt") == ["Hof"]
