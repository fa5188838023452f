"""The words of the vocabulary's languages: a word spelled right that no story says is
offered only words one slip from it."""

import os
import subprocess
import time

import pytest
from starlette.testclient import TestClient

from storyatlas.archive import Viewer
from storyatlas.search import SearchQuery, known_words
from storyatlas.search.fts import FTSBackend
from storyatlas.search.query import parse
from storyatlas.search.themed import called_up
from storyatlas.themes import store
from storyatlas.web.app import create_app
from tests.conftest import add_story

GERMAN = ("de",)
LINES = [(0.0, 4.0, "Wir standen im Keller und haben gedacht, das Wasser kommt nicht.")]


@pytest.fixture(scope="module")
def german(tmp_path_factory) -> known_words.KnownWords:
    return known_words.make(tmp_path_factory.mktemp("cache"), GERMAN)


@pytest.mark.slow
def test_a_known_word_is_one_in_any_case_and_accents_and_a_slip_is_none(german):
    assert all(w in german for w in ("gekocht", "Gekocht", "GEDACHT", "Überschwemmung", "uberschwemmung"))
    assert not any(w in german for w in ("gedackt", "Kelller", "", "xqzzy"))
    assert len(german) > 300_000


def test_a_word_spelled_right_that_no_story_says_is_offered_only_words_one_slip_from_it(archive, german):
    add_story(archive, "Hochwasser", "de", LINES)

    def offered(backend: FTSBackend, typed: str) -> tuple[str, ...]:
        found = backend.search(SearchQuery(typed, Viewer.anonymous(), meaning=False))
        assert not found.stories, typed
        return found.suggestions

    knowing, not_knowing = FTSBackend(archive, german), FTSBackend(archive)
    assert "gedacht" in offered(not_knowing, "gekocht")  # two slips: what a misspelling would be offered
    assert offered(knowing, "gekocht") == ()
    assert offered(knowing, "Oma hat gekocht") == ()
    assert offered(knowing, "gedackt") == offered(not_knowing, "gedackt") == ("gedacht",)  # no word
    assert offered(knowing, "Kellner") == ("keller",)  # a word, one slip from one said


def test_a_querys_language_is_told_by_its_words_of_each_language_before_the_stories(archive, model_cache):
    every = known_words.made(model_cache)
    assert {"es", "fr"} <= every.languages("deporte") and "fr" not in every.languages("clubes")
    # "y" is a French and a Spanish function word; stories in both say each word's stem
    everything = lambda terms: terms  # noqa: E731
    assert parse("Deporte y clubes", holds=everything).language == "fr"
    assert parse("Deporte y clubes", holds=everything, known=every).language == "es"
    assert parse("Protest i aktywizm", holds=everything, known=every).language == "pl"  # "i": English
    # and so the Spanish word calls up sport, not French deportations
    store.vocabulary(archive)
    add_story(archive, "Drancy", "fr", [(0.0, 4.0, "Mes parents ont été déportés ; il y avait le club.")])
    add_story(archive, "Pueblo", "es", [(0.0, 4.0, "Los deportes y los clubes del pueblo.")])
    query = SearchQuery("deportes y clubes", Viewer.anonymous(), meaning=False)
    assert FTSBackend(archive).search(query).themes == ("war",)
    assert "sport" in FTSBackend(archive, every).search(query).themes


@pytest.mark.slow
def test_known_words_made_again_replace_those_of_another_version(tmp_path):
    other = known_words.path(tmp_path, GERMAN).with_name("0123456789ab.npy")  # older tables, or format
    other.parent.mkdir(parents=True)
    other.write_bytes(b"made by another version")
    known_words.make(tmp_path, GERMAN)
    assert not other.exists() and [p.name for p in other.parent.iterdir()] == [known_words.path(tmp_path, GERMAN).name]


@pytest.mark.slow
def test_a_server_makes_the_known_words_once_in_the_background(tmp_path):
    thread = known_words.warm(tmp_path, GERMAN)
    assert thread is not None and known_words.warm(tmp_path, GERMAN) is None  # once a process
    thread.join(timeout=120)
    assert not thread.is_alive()
    made = known_words.loaded(tmp_path, GERMAN)
    assert made is not None and "gekocht" in made
    assert not known_words.path(tmp_path, GERMAN).with_suffix(".lock").exists()


@pytest.mark.slow
def test_known_words_cut_short_are_read_as_none_and_made_again(tmp_path, caplog):
    at = known_words.path(tmp_path, GERMAN)
    at.parent.mkdir(parents=True)
    at.write_bytes(b"\x93NUMPY cut short")
    assert known_words.loaded(tmp_path, GERMAN) is None and "cannot read the known words" in caplog.text
    known_words.warm(tmp_path, GERMAN).join(timeout=120)
    assert "gekocht" in known_words.loaded(tmp_path, GERMAN)


def test_known_words_whose_count_disagrees_with_their_numbers_are_read_as_none(tmp_path, caplog):
    import numpy as np

    at = known_words.path(tmp_path, GERMAN)
    at.parent.mkdir(parents=True)
    np.save(at, np.array([5, 1, 2], np.uint64))  # five words claimed, one kept
    assert known_words.loaded(tmp_path, GERMAN) is None and "5 words take 9" in caplog.text


def test_known_words_another_process_is_making_are_left_to_it_unless_it_died(tmp_path):
    at = known_words.path(tmp_path, ("fr",))
    at.parent.mkdir(parents=True)
    lock = at.with_suffix(".lock")
    lock.touch()
    known_words.warm(tmp_path, ("fr",)).join(timeout=120)
    assert known_words.loaded(tmp_path, ("fr",)) is None and lock.exists()
    os.utime(lock, (time.time() - 3600,) * 2)  # left by a process that died making them
    known_words._making.clear()
    known_words.warm(tmp_path, ("fr",)).join(timeout=120)
    assert "inondée" in known_words.loaded(tmp_path, ("fr",)) and not lock.exists()


def test_a_word_typed_with_accents_is_of_the_languages_that_write_it_so(archive, model_cache):
    every = known_words.made(model_cache)
    assert every.languages("fermé") == {"fr"} and "ro" in every.languages("ferme")  # Romanian: farms
    assert every.languages("Łódź") == every.languages("lodz") == {"pl"}
    # "la", "a" and "mine" (me) are Romanian function words, two of them French ones
    everything = lambda terms: terms  # noqa: E731
    assert parse("la mine a fermé", holds=everything).language == "ro"
    told = parse("la mine a fermé", holds=everything, known=every)
    assert told.language == "fr" and [t.words for t in told.terms()] == [("mine",), ("fermé",)]
    # a language with two function words fewer is not: Polish's table holds all five words
    assert parse("beim Handy weiss ich bis", holds=everything, known=every).language == "de"
    mine = add_story(archive, "Salsigne", "fr", [(0.0, 4.0, "La mine a fermé en 2004.")])
    add_story(archive, "Kościan", "pl", [(0.0, 4.0, "Za miedzą postawili wielką fermę świń.")])
    query = SearchQuery("la mine a fermé", Viewer.anonymous(), meaning=False)
    assert len(FTSBackend(archive).search(query).stories) == 2  # "fermé" alone
    assert [hit.story_id for hit in FTSBackend(archive, every).search(query).stories] == [mine]


def test_a_word_is_of_the_languages_that_write_the_letters_it_is_typed_with(model_cache):
    every = known_words.made(model_cache)
    # Spanish's table lacks "carbón" (coal); Romanian writes no "ó", and "ü" neither
    assert "ro" in every.languages("carbon") and "ro" not in every.languages("carbón")
    assert "ro" in every.languages("fur") and "ro" not in every.languages("für")
    assert every.languages("straße") == {"de"}  # "ß" is "ss" once case-folded, as the tables have it
    everything = lambda terms: terms  # noqa: E731
    # Romanian has one function word fewer ("la"), and was told by "carbón", "para" and "cocina"
    assert parse("carbón para la cocina", holds=everything, known=every).language == "es"


def test_a_trigger_with_a_short_stem_stands_for_the_forms_its_dictionary_gives(archive, model_cache):
    every = known_words.made(model_cache)
    assert not every.lemmas("wojny", "pl").isdisjoint(every.lemmas("wojna", "pl"))  # war
    assert every.lemmas("tenait", "fr").isdisjoint(every.lemmas("tennis", "fr"))  # both "fr_ten"
    assert every.lemmas("mâl", "ro") < every.lemmas("mal", "ro")  # silt; typed so, silt or shore
    assert every.form_of("wojny", "wojna", "pl") and every.form_of("partir", "partire", "it")
    assert not every.form_of("partir", "partita", "it")  # "partita" is "partire"'s too
    store.vocabulary(archive)
    # "wojna"'s stem, "wojn", is too short to stand for its forms by itself
    assert called_up(archive, "w czasie wojny", "pl").themes == ()
    assert called_up(archive, "w czasie wojny", "pl", every).themes == ("war",)
    assert called_up(archive, "wojnie", known=every).themes == ("war",)
    # Romanian "fur" (I steal) is a form of a theft's word, but "für" is German, and a function word
    assert called_up(archive, "für", known=every).themes == ()
    assert called_up(archive, "partir", known=every).themes == ()  # not sport's "partita"
    # typed without accents, "malul" is the shore's ("mal"), not the silt's ("mâl")
    assert called_up(archive, "pe malul Mării Galbene", known=every).themes == ()
    assert called_up(archive, "mâlul", known=every).themes == ("floods",)
    # typed with accents a trigger lacks, another word: "fermé" (closed) is no "ferme" (a
    # farm), "szłam" (I walked) no "szlam" (sludge); "wojną" is a form of "wojna" (war)
    for word, theme in (("fermé", "farming"), ("szłam", "floods"), ("wojną", "war")):
        assert called_up(archive, word).themes == (theme,)
    assert [called_up(archive, w, known=every).themes for w in ("fermé", "szłam", "wojną")] == [(), (), ("war",)]


def test_a_word_calls_up_the_trigger_its_dictionary_makes_it_a_form_of_before_those_it_meets_by_stem(
        archive, model_cache):
    every = known_words.made(model_cache)
    store.vocabulary(archive)
    # "turni" (shifts) has the stem of German "Turnier" (a tournament) too, "trains" that of
    # German "Trainer", "colegios" (schools) that of Romanian "coleg" (a colleague)
    for query, stem_alone, dictionary in (("i turni di notte in fabbrica", ("sport", "work"), ("work",)),
                                         ("trains", ("sport", "transport"), ("transport",)),
                                         ("colegios", ("schools", "work"), ("schools",))):
        assert called_up(archive, query).themes == stem_alone
        assert called_up(archive, query, known=every).themes == dictionary
    # a form of each trigger it meets, by the dictionary: "deportes" is sport's "deporte"
    # and Spanish "deportar"'s ("que tú deportes"), so it calls up all they are triggers of
    assert called_up(archive, "deportes", known=every).themes == ("migration", "sport", "war")


def test_a_word_calls_up_a_trigger_its_dictionary_makes_it_a_form_of_whatever_their_stems(archive, model_cache):
    every = known_words.made(model_cache)
    store.vocabulary(archive)
    # "gestreikt" (went on strike) stems to "gestreikt", "streiken" to "streik"; "mężem"
    # (with the husband) to "mężem", "mąż" to "mąż"; "w kościele" (in church), "na dworcu"
    # (at the station), "w hucie" (at the steelworks)
    for query, theme in (("wir haben drei Wochen gestreikt", "protest"), ("z mężem", "family"),
                         ("w kościele", "religion"), ("na dworcu", "transport"), ("w hucie", "mining")):
        assert called_up(archive, query).themes == ()
        assert called_up(archive, query, known=every).themes == (theme,)
    # only a word of one language: Italian "ora" (now) is Portuguese "orar"'s (to pray) too
    assert "pt" in every.languages("ora") and every.form_of("ora", "orar", "pt")
    assert called_up(archive, "ora", known=every).themes == ()


@pytest.mark.slow
def test_known_words_a_stopped_server_was_making_are_made_at_once(tmp_path):
    gone = subprocess.Popen(["true"])
    gone.wait()  # a process no longer running
    at = known_words.path(tmp_path, GERMAN)
    at.parent.mkdir(parents=True)
    lock = at.with_suffix(".lock")
    lock.write_text(str(gone.pid))
    known_words.warm(tmp_path, GERMAN).join(timeout=120)
    assert "gekocht" in known_words.loaded(tmp_path, GERMAN) and not lock.exists()


def test_the_web_search_offers_a_word_spelled_right_nothing_two_slips_from_it(settings):
    app = create_app(settings)
    add_story(app.state.archives.get(), "Hochwasser", "de", LINES)
    with TestClient(app) as client:
        def offered(q: str) -> list[str]:
            return client.get("/api/search", params={"q": q}).json()["suggestions"]

        assert offered("gekocht") == [] and offered("gedackt") == ["gedacht"]
        page = client.get("/search", params={"q": "gekocht"}).text
        assert "gedacht" not in page
