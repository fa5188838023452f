"""Word search in every vocabulary language: word forms, folding, stop words, ranking by
how many of the query's words a moment holds, "did you mean", -word, OR and phrases."""

import threading
import time

import pytest

from storyatlas import stems
from storyatlas.archive import Viewer, index_points, word_index
from storyatlas.archive.erasure import erase
from storyatlas.archive.records import IndexPoint
from storyatlas.search import MARK_CLOSE, MARK_OPEN, SearchQuery, suggest, vocabulary
from storyatlas.search.fts import FTSBackend
from storyatlas.search.query import parse, query_language
from storyatlas.stems import query_forms, stop_words
from storyatlas.text import fold
from tests.conftest import add_story, old_archive, wait_for

KEEPER = Viewer.keeper()


def _ids(results):
    return [h.story_id for h in results.stories]


@pytest.fixture
def backend(archive):
    add_story(archive, "Hochwasser", "de", [
        (0.0, 4.0, "Das Wasser stand im Keller.", "The water stood in the basement."),
        (4.0, 8.0, "Die Überschwemmung kam über die Straße.", "The flood came over the road."),
    ])
    add_story(archive, "Powódź", "pl", [
        (0.0, 4.0, "Pamiętam powódź w Łódź.", "I remember the flood in Lodz."),
        (4.0, 8.0, "Cała piwnica była pod wodą.", "The whole basement was under water."),
    ])
    add_story(archive, "Inondation", "fr", [
        (0.0, 4.0, "L'inondation a tout pris, dit ma sœur.", "The flooding took everything, my sister says."),
    ])
    add_story(archive, "The night", "en", [
        (0.0, 3.0, "We pumped the cellar all night."),
        (3.0, 6.0, "The cellar was full of mud."),
        (6.0, 9.0, "The neighbours came in the morning."),
        (9.0, 12.0, "Our families lived on this street."),
    ])
    return FTSBackend(archive)


def _search(backend, text, viewer=KEEPER, **options):
    return backend.search(SearchQuery(text, viewer, **options))


@pytest.mark.parametrize("query, story, said", [
    ("Kellern", 1, "Keller"),
    ("Überschwemmungen", 1, "Überschwemmung"),
    ("uberschwemmungen", 1, "Überschwemmung"),
    ("powodzi", 2, "powódź"),
    ("powodzią", 2, "powódź"),
    ("piwnicy", 2, "piwnica"),
    ("wodzie", 2, "wodą"),  # Polish "d" alternates with "dz" (``stems.alternated``): "w wodzie", in the water
    ("inondations", 3, "inondation"),
])
def test_word_forms_meet_in_the_language_spoken(backend, query, story, said):
    results = _search(backend, query)
    assert _ids(results) == [story]
    moment = results.stories[0].moments[0]
    assert moment.why == ("words",)
    assert f"{MARK_OPEN}{said}" in moment.snippet  # the word as said is marked


@pytest.mark.parametrize("query, said", [
    ("Foto", "Fotos"), ("Kollegin", "Kolleginnen"), ("Nachbar", "Nachbarn"), ("Schaufel", "Schaufeln"),
    ("Nachbarinnen", "Nachbarin"), ("Partys", "Party"),
])
def test_a_german_plural_the_stemmer_keeps_apart_is_met_by_its_word(archive, query, said):
    # Snowball leaves "-s" after a vowel, "-nen" of "-in" and "-n" after "-el" and "-ar" on
    story = add_story(archive, "Flut", "de", [(0.0, 4.0, f"Ich weiß noch: {said} im Wasser.")])
    add_story(archive, "Tisch", "de", [(0.0, 4.0, "Wir saßen am Tisch.")])
    results = _search(FTSBackend(archive), query, meaning=False)
    assert _ids(results) == [story]
    assert f"{MARK_OPEN}{said}{MARK_CLOSE}" in results.stories[0].moments[0].snippet


@pytest.mark.parametrize("query, story, said", [
    ("Strasse", 1, "Straße"), ("soeur", 3, "sœur"), ("Lodz", 2, "Łódź"), ("LODZ", 2, "Łódź"),
])
def test_letters_without_a_key_are_folded(backend, query, story, said):
    results = _search(backend, query)
    assert story in _ids(results)
    hit = next(h for h in results.stories if h.story_id == story)
    assert f"{MARK_OPEN}{said}{MARK_CLOSE}" in hit.moments[0].snippet


@pytest.mark.parametrize("query", ["Köln", "Koln", "Kaffee Köln"])
def test_a_word_stored_with_its_accents_decomposed_is_marked_where_it_is_found(archive, query):
    # text pasted from some systems keeps "ö" as "o" and a combining diaeresis
    story = add_story(archive, "Reise", "de", [(0.0, 4.0, "Wir fuhren nach Ko\u0308ln und tranken Kaffee.")])
    results = _search(FTSBackend(archive), query)
    assert _ids(results) == [story]
    assert f"{MARK_OPEN}Ko\u0308ln{MARK_CLOSE}" in results.stories[0].moments[0].snippet


def test_fold_writes_out_letters_that_have_no_diacritic_to_take_off():
    assert [fold(w) for w in ("Straße", "sœur", "Łódź", "Æble", "Ørsted", "Đakovo", "Þór", "ıs")] == \
           ["strasse", "soeur", "lodz", "aeble", "orsted", "dakovo", "thor", "is"]
    # ligatures, full-width letters and superscripts (pasted from PDFs and East Asian keyboards) as typed
    assert [fold(w) for w in ("ﬂood", "Ｗａｓｓｅｒ", "m²", "Hochwasser-2002")] == \
           ["flood", "wasser", "m2", "hochwasser2002"]


def test_stop_words_alone_make_no_hit(backend):
    for text in ("the", "the of and", "der die das", "w i z", "The Of AND", "Der Die Das", "über die"):
        assert _search(backend, text).stories == (), text
        assert parse(text) is None, text
    # told why, and how to search them all the same
    assert _search(backend, "The of and -keller").word_for_word == '"The of and" -keller'
    assert _search(backend, "c'est").word_for_word == '"c\'est"'
    [hit] = _search(backend, _search(backend, "über die").word_for_word).stories
    assert "kam über die Straße" in hit.moments[0].text
    assert _search(backend, "keller").word_for_word == "" and not _search(backend, "keller").only_left_out
    # a word that is a stop word elsewhere but a whole word in English is still searched
    assert parse("war") is not None
    assert "the" in stop_words("en") and "und" in stop_words("de") and "sie" in stop_words("pl")


def test_a_word_of_spacys_stop_lists_that_carries_a_subject_is_searched(archive):
    # "mine", "casa" and "Jahre" are on spaCy's stop lists: "the mine" was "the" alone, and
    # "la nostra casa sul fiume" every story on a river
    mine = add_story(archive, "Mine", "en", [(0.0, 4.0, "The mine closed and the town went quiet.")])
    casa = add_story(archive, "Casa", "it", [(0.0, 4.0, "La nostra casa sul fiume è crollata.")])
    add_story(archive, "Fiume", "it", [(0.0, 4.0, "Il fiume è salito nella notte.")])
    backend = FTSBackend(archive)
    [hit] = _search(backend, "the mine", meaning=False).stories
    assert hit.story_id == mine and f"{MARK_OPEN}mine{MARK_CLOSE}" in hit.moments[0].snippet
    assert _ids(_search(backend, "la nostra casa sul fiume", meaning=False)) == [casa]
    assert {"mine", "casa", "faccia", "jahre"}.isdisjoint(stop_words("en") | stop_words("it") | stop_words("de"))
    assert {"the", "nostra", "sul"} <= stop_words("en") | stop_words("it")


def test_a_stop_word_is_read_as_a_query_splits_it(archive):
    # spaCy's Dutch "zo'n", folded whole, was "zon", the sun: "de zon" was stop words alone
    sun = add_story(archive, "Zon", "nl", [(0.0, 4.0, "De zon scheen op het water.")])
    backend = FTSBackend(archive)
    assert _ids(_search(backend, "de zon", meaning=False)) == [sun]
    assert _ids(_search(backend, "de zon", language="nl", meaning=False)) == [sun]
    assert {"zo", "n"} <= stop_words("nl") and {"ll", "s"} <= stop_words("en")  # "zo'n", "'ll", "'s"
    assert "neuf" not in stop_words("fr")  # new, or nine: a hyphen ("dix-neuf") makes a phrase, not words


@pytest.mark.parametrize("language, said, query", [
    ("ro", "Am văzut inundațiile din 1970.", "inundație"),  # another form, with its accents
    ("ro", "Am vazut inundatie mare.", "inundație"),  # typed without accents where it was written
    ("fr", "C'était le premier jour.", "premiere"),  # "première" typed without its accent grave
])
def test_a_query_word_meets_forms_its_stem_alone_would_miss(archive, language, said, query):
    story = add_story(archive, "Said", language, [(0.0, 4.0, said)])
    assert _ids(_search(FTSBackend(archive), query)) == [story]


def test_a_quoted_phrase_typed_without_an_accent_on_its_last_letter_finds_it(archive):
    story = add_story(archive, "Casa", "es", [(0.0, 4.0, "Perdí la casa en la inundación.")])
    assert _ids(_search(FTSBackend(archive), '"perdi la casa"')) == [story]


def test_a_moment_with_every_word_ranks_first_and_the_is_never_marked(backend):
    results = _search(backend, "pumped the cellar")
    assert _ids(results) == [4] and not results.relaxed
    assert results.stories[0].moments[0].start == 0.0
    relaxed = _search(backend, "pumped the cellar sandbags")  # no moment holds all: relaxed
    assert relaxed.relaxed and _ids(relaxed) == [4]
    moments = relaxed.stories[0].moments
    assert [m.start for m in moments] == [0.0, 3.0]  # two of the words, then one; never "the" alone
    for hit in (*results.stories, *relaxed.stories):
        for m in hit.moments:
            assert f"{MARK_OPEN}the{MARK_CLOSE}" not in m.snippet.lower(), m.snippet


def test_more_of_the_words_ranks_a_story_higher(backend, archive):
    add_story(archive, "Mud", "en", [(0.0, 3.0, "Mud, mud, mud and more mud in the cellar, mud everywhere.")])
    relaxed = _search(backend, "pumped cellar sandbags")
    assert relaxed.relaxed and _ids(relaxed)[0] == 4  # pumped + cellar beats cellar said often
    # so a page of one holds it (by words alone: fusion reads 200 stories more)
    assert _ids(_search(backend, "pumped cellar sandbags", limit=1, meaning=False)) == [4]
    # stories holding as many of the words: the newest first
    assert _ids(_search(backend, "basement sandbags")) == [2, 1]
    assert _ids(_search(backend, "basement sandbags", limit=1, meaning=False)) == [2]


def test_a_page_is_filled_past_stories_the_viewer_may_not_see(backend, archive):
    # private stories saying the word as often (twice) and more densely come first in
    # the index's own ranking
    for i in range(30):
        add_story(archive, f"Secret {i}", "en", [(0.0, 3.0, "Cellar, the cellar.")], visibility="private")
    found = _search(backend, "cellar", Viewer(), limit=1, meaning=False)
    assert _ids(found) == [4] and found.total_stories == 1


def test_the_moment_shown_is_the_shortest_holding_the_word_its_snippet_around_the_word(archive):
    words = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen".split()
    long_line = " ".join(words * 2) + " and then the cellar filled with water from the river."
    middle = " ".join(words) + " the cellar " + " ".join(words) + " end."
    story = add_story(archive, "Long", "en", [(0.0, 20.0, long_line), (20.0, 22.0, "The cellar again."),
                                             (30.0, 40.0, middle)])
    [hit] = FTSBackend(archive).search(SearchQuery("cellar", KEEPER)).stories
    assert hit.story_id == story and [m.start for m in hit.moments] == [20.0, 30.0, 0.0]
    cellar = f"{MARK_OPEN}cellar{MARK_CLOSE}"
    # sixteen words: three before the word, the rest after; near the end, the last sixteen
    assert hit.moments[1].snippet == (f"…fourteen fifteen the {cellar} one two three four five six seven eight "
                                      "nine ten eleven twelve…")
    assert hit.moments[2].snippet == f"…ten eleven twelve thirteen fourteen fifteen and then the {cellar} filled " \
                                     "with water from the river."
    assert hit.moments[0].snippet == f"The {cellar} again."


def test_of_moments_holding_as_many_words_the_shortest_with_its_english_comes_first_then_the_earliest(archive):
    story = add_story(archive, "Kurz", "de", [
        (0.0, 4.0, "Keller.", "The cellar was full of water and of mud and of everything we had."),
        (4.0, 8.0, "Der Keller war voll.", "Cellar full."),
        (8.0, 12.0, "Der Keller war nass.", "Cellar damp."),
    ])
    [hit] = FTSBackend(archive).search(SearchQuery("Keller", KEEPER, meaning=False)).stories
    assert hit.story_id == story and [m.start for m in hit.moments] == [4.0, 8.0, 0.0]


def test_did_you_mean_offers_words_as_said_from_stories_one_may_see(backend, archive):
    results = _search(backend, "familes")
    assert results.stories == () and "families" in results.suggestions
    assert not any(s.startswith("famili") and s != "families" for s in results.suggestions)  # not the stem
    assert "powódź" in _search(backend, "powudz").suggestions  # as said, accents and all
    add_story(archive, "Secret", "en", [(0.0, 3.0, "Zwieblowski hid there.")], visibility="private")
    # a word said since the vocabulary was read is offered once it is read again
    deadline = time.monotonic() + 10
    while "zwieblowski" not in _search(backend, "zwiablowski").suggestions:
        assert time.monotonic() < deadline, "the vocabulary was not read again"
        time.sleep(0.05)
    assert "zwieblowski" not in _search(backend, "zwiablowski", Viewer()).suggestions


def test_a_slip_that_leaves_a_word_unstemmed_is_offered_the_word_spelled_most_like_it(archive):
    # "tuvioms" is no form the stemmer knows, so its stem is the whole word, and "tuvimos"'
    # is "tuv"; "siguienhdo" is as close by stems to "siguiente" as to "siguiendo"
    add_story(archive, "Río", "es", [(0.0, 4.0, "Tuvimos que salir. Seguimos siguiendo el río."),
                                     (4.0, 8.0, "Llegamos a la siguiente aldea.")])
    backend = FTSBackend(archive)
    add_story(archive, "Women", "en", [(0.0, 4.0, "A woman came, then the women of the village.")])
    # two letters swapped are one slip: "woemn" is a slip from "women", two from "woman"
    for typed, meant in (("tuvioms", "tuvimos"), ("siguienhdo", "siguiendo"), ("aldae", "aldea"),
                         ("woemn", "women"), ("wmoan", "woman")):
        results = _search(backend, typed, meaning=False)
        assert not results.stories and results.suggestions[0] == meant, (typed, results.suggestions)


def test_did_you_mean_offers_the_form_said_most_like_the_word_typed(archive):
    # "Rzeszowie" and "Rzeszowa" are one term; the first segment says the one less like it
    add_story(archive, "Rzeszów", "pl", [(0.0, 4.0, "Mieszkałam w Rzeszowie."), (4.0, 8.0, "Wyjechałam z Rzeszowa.")])
    backend = FTSBackend(archive)
    assert _search(backend, "rzszowa", meaning=False).suggestions == ("rzeszowa",)
    assert _search(backend, "rzeszwoie", meaning=False).suggestions == ("rzeszowie",)
    # in lower case as written, not case-folded ("strasse")
    add_story(archive, "Straße", "de", [(0.0, 4.0, "Die Straße war nass.")])
    assert _search(backend, "strase", meaning=False).suggestions == ("straße",)
    # a common stem's form the first two segments do not say: more are read when those say none as like it
    add_story(archive, "Casa", "es", [(0.0, 4.0, "Tenía miedo."), (4.0, 8.0, "Tener casa era difícil."),
                                      (8.0, 12.0, "Tenemos tiempo."), (12.0, 16.0, "Seguimos teniendo esperanza.")])
    assert _search(backend, "teinendo", meaning=False).suggestions[0] == "teniendo"


def test_a_slip_in_a_words_first_two_letters_is_offered_the_word(archive, monkeypatch):
    # the candidates are kept by their first two letters: "lfood" shares none with "flood"
    add_story(archive, "Flood", "en", [(0.0, 4.0, "The flood reached the cellar of the bakery.")])
    backend = FTSBackend(archive)
    for typed, meant in (("lfood", "flood"), ("fhood", "flood"), ("clelar", "cellar"), ("ellar", "cellar"),
                         ("xbakery", "bakery"), ("bkery", "bakery")):
        results = _search(backend, typed, meaning=False)
        assert not results.stories and results.suggestions[:1] == (meant,), (typed, results.suggestions)
    # never a word of a story the searcher may not see, this way either
    add_story(archive, "Secret", "en", [(0.0, 4.0, "The granary burned.")], visibility="private")
    assert _search(backend, "rganary", meaning=False).suggestions[:1] == ("granary",)
    assert "granary" not in _search(backend, "rganary", Viewer(), meaning=False).suggestions
    # those seven lists are made only when no word found is as like: not for a slip after
    # them, even one that changes how the word is stemmed ("bakrey" is its own stem,
    # "bakery"'s "bakeri"), found first by undoing it
    monkeypatch.setattr(suggest, "_beginnings", lambda stem: pytest.fail(f"asked for {stem}", pytrace=False))
    assert _search(backend, "bakrey", meaning=False).suggestions[:1] == ("bakery",)


def test_a_word_with_two_slips_is_offered_the_word(archive):
    # a word with two slips is seldom stemmed as the word would be ("saultaqrlo" is its
    # own stem, "salutarlo"'s is "salut"): too far by stems, close by the word's beginning
    add_story(archive, "Piazza", "it", [(0.0, 4.0, "Volevo salutarlo in piazza, alla manifestazione.")])
    add_story(archive, "Studia", "pl", [(0.0, 4.0, "Studiowałam na uniwersytecie w Krakowie.")])
    add_story(archive, "Leaving", "en", [(0.0, 4.0, "They were leaving the village.")], visibility="private")
    backend = FTSBackend(archive)
    for typed, meant in (("saultaqrlo", "salutarlo"), ("manifezstazinoe", "manifestazione"),
                         ("uniwertytecrie", "uniwersytecie"), ("leauign", "leaving"),
                         # one of them in the first two letters, which candidates are kept apart by
                         ("amnifestazinoe", "manifestazione"), ("aslutarol", "salutarlo")):
        results = _search(backend, typed, meaning=False)
        assert not results.stories and results.suggestions[:1] == (meant,), (typed, results.suggestions)
    assert "leaving" not in _search(backend, "leauign", Viewer(), meaning=False).suggestions


def test_a_word_spelled_right_that_no_story_says_is_not_offered_a_word_it_only_looks_like(archive):
    # most words nothing holds are spelled right; "esa" and "verso" share only their
    # first letters with them (four or more slips), "sto" is a Polish stem "stoczni" begins with
    add_story(archive, "Casa", "es", [(0.0, 4.0, "Esa casa era pequeña.")])
    add_story(archive, "Verso", "it", [(0.0, 4.0, "Andavamo verso il mare.")])
    add_story(archive, "Sto", "pl", [(0.0, 4.0, "Było nas sto osób.")])
    add_story(archive, "Scooter", "en", [(0.0, 4.0, "I rode my scooter to work.")])
    backend = FTSBackend(archive)
    # "sciopero" (a strike) is three slips from "scooter", however long it is
    for typed in ("ensayando", "verschwiegen", "stoczni", "sciopero"):
        results = _search(backend, typed, meaning=False)
        assert not results.stories and results.suggestions == (), (typed, results.suggestions)
    # two slips in five letters are still offered
    assert _search(backend, "vresi", meaning=False).suggestions[:1] == ("verso",)


def test_a_dictionary_word_is_offered_no_function_word_of_its_language(archive, known_words):
    add_story(archive, "Sandbags", "en", [(0.0, 4.0, "The neighbours brought sandbags and soup.")])
    add_story(archive, "Kiedy", "pl", [(0.0, 4.0, "Pamiętam, kiedy przyszła woda.")])
    backend = FTSBackend(archive, known_words)
    # "and" is one slip from "sand", "kiedy" (when) from "kiery" (hearts, of cards): the
    # words typed were meant, and a function word finds nothing alone
    assert "and bag" not in _search(backend, "sand bag", meaning=False).suggested_queries
    assert "kiedy" not in _search(backend, "kiery", meaning=False).suggestions
    # a word of no dictionary still is: the function word may be what was meant
    assert _search(backend, "kiedey", meaning=False).suggestions == ("kiedy",)


def test_two_words_typed_apart_are_offered_as_the_one_word_stories_say(archive):
    add_story(archive, "Sandbags", "en", [(0.0, 4.0, "The neighbours brought sandbags and soup.")])
    add_story(archive, "Sandsäcke", "de", [(0.0, 4.0, "Wir haben Sandsäcke vor die Tür gelegt.")])
    add_story(archive, "Conscripts", "en", [(0.0, 4.0, "The conscripts marched away.")])
    add_story(archive, "Secret", "en", [(0.0, 4.0, "The firefighters came at night.")], visibility="private")
    backend = FTSBackend(archive)
    assert _search(backend, "sand bags", meaning=False).suggested_queries[:1] == ("sandbags",)
    assert _search(backend, "flood  Sand Säcke", meaning=False).suggested_queries[:1] == ("flood  sandsäcke",)
    assert _search(backend, "con scripts", meaning=False).suggestions[:1] == ("conscripts",)  # "con": a function word
    assert "firefighters" in _search(backend, "fire fighters", meaning=False).suggestions
    assert "firefighters" not in _search(backend, "fire fighters", Viewer(), meaning=False).suggestions


def test_a_number_no_story_says_is_offered_no_other(archive):
    add_story(archive, "Years", "de", [(0.0, 4.0, "Das Hochwasser von 2005 kam nach 200 Jahren wieder.")])
    backend = FTSBackend(archive)
    # a year no story names: "2005" and "200" are other years, not what was meant
    for typed in ("2002", "Hochwasser 2002"):
        assert _search(backend, typed, meaning=False).suggestions == (), typed
    assert _search(backend, "Hochwaser 2005", meaning=False).suggestions == ("hochwasser",)


def test_the_words_of_the_language_a_querys_function_words_tell_are_offered_first(archive):
    add_story(archive, "Acier", "fr", [(0.0, 4.0, "Mon père travaillait à l'aciérie.")])
    add_story(archive, "Cieszę", "pl", [(0.0, 4.0, "Cieszę się, że wróciłem.")])
    add_story(archive, "Mina", "es", [(0.0, 4.0, "Cerró la mina en 1992 y nos quedamos sin nada.")])
    backend = FTSBackend(archive)
    # alone, "cierre" tells no language: the words most like it first
    assert _search(backend, "cierre", meaning=False).suggestions == ("aciérie", "cieszę", "cerró")
    # "de la" tells Spanish: "cerró" was offered third, after French and Polish
    results = _search(backend, "cierre de la mina", meaning=False)
    assert results.suggestions == ("cerró", "aciérie", "cieszę")
    assert results.suggested_queries[0] == "cerró de la mina"


def test_a_word_that_calls_up_a_theme_is_spelled_right_and_offered_nothing(archive):
    from storyatlas.themes import store

    add_story(archive, "Staje", "pl", [(0.0, 4.0, "Pociąg staje w Kłodzku.")])
    add_story(archive, "Straw", "en", [(0.0, 4.0, "We slept on straw in the barn.")])
    backend = FTSBackend(archive)
    assert _search(backend, "strajk", meaning=False).suggestions  # a word like it, before the themes are known
    store.vocabulary(archive)  # seeded, as once a story is tagged: Polish "strajk" (a strike) calls up protest
    results = _search(backend, "strajk", meaning=False)
    assert results.themes == ("protest",) and results.suggestions == ()
    assert _search(backend, "strwa", meaning=False).suggestions[:1] == ("straw",)


def test_a_query_typed_with_combining_accents_is_read_as_written_with_them_whole(archive):
    add_story(archive, "Köln", "de", [(0.0, 4.0, "In Köln stieg das Wasser.")])
    backend = FTSBackend(archive)
    assert len(_search(backend, "Ko\u0308ln", meaning=False).stories) == 1  # was "Ko" and "ln"
    results = _search(backend, "Ko\u0308ln stie\u0301gg", meaning=False)
    assert results.suggested_queries == ("Köln stieg",)  # was "Ko\u0308ln stieǵg"


def test_two_words_run_together_are_offered_apart(archive):
    add_story(archive, "River", "en", [(0.0, 4.0, "The night the river came into the cellar.")])
    add_story(archive, "Wasser", "de", [(0.0, 4.0, "Ich hörte, wie das Wasser stieg.")])
    add_story(archive, "Secret", "en", [(0.0, 4.0, "The granary burned down.")], visibility="private")
    # a form of a common stem that the first segments saying it do not say ("lavora": "lavor")
    add_story(archive, "Fabbrica", "it", [(0.0, 4.0, "Lavoro in fabbrica."), (4.0, 8.0, "Lavorare era duro."),
                                          (8.0, 12.0, "Mio padre lavorava di notte."), (12.0, 16.0, "Chi lavora?")])
    backend = FTSBackend(archive)
    for typed, apart in (("rivercame", "river came"), ("thecellar", "the cellar"), ("wasserstieg", "wasser stieg"),
                         ("granaryburned", "granary burned"), ("chilavora", "chi lavora")):
        results = _search(backend, typed, meaning=False)
        assert not results.stories and results.suggestions[:1] == (apart,), (typed, results.suggestions)
    assert _search(backend, "flood rivercame", meaning=False).suggested_queries[0] == "flood river came"
    # never two words of a story the searcher may not see
    assert "granary burned" not in _search(backend, "granaryburned", Viewer(), meaning=False).suggestions
    # a form looked for past the first segments: in English translations too, and never a private story's
    add_story(archive, "Flut", "de", [(0.0, 4.0, "Die Flut kam.", "The flood came."),
                                      (4.0, 8.0, "Wieder Fluten.", "Floods again."),
                                      (8.0, 12.0, "Der Keller lief voll.", "The cellar flooded.")])
    add_story(archive, "Sonno", "it", [(0.0, 4.0, "Dormire era difficile."), (4.0, 8.0, "Dormo poco.")])
    add_story(archive, "Schlaf", "it", [(0.0, 4.0, "Chi dormiva?")], visibility="private")
    assert _search(backend, "cellarflooded", meaning=False).suggestions[:1] == ("cellar flooded",)
    assert _search(backend, "chidormiva", meaning=False).suggestions[:1] == ("chi dormiva",)
    assert "chi dormiva" not in _search(backend, "chidormiva", Viewer(), meaning=False).suggestions


def test_did_you_mean_offers_the_query_with_each_word_not_found_written_as_offered(archive):
    add_story(archive, "Car", "en", [(0.0, 4.0, "The car crashed, a bad accident. The cellar flooded.")])
    add_story(archive, "Granny", "fr", [(0.0, 4.0, "Ma mémé faisait du pain le dimanche.")])
    backend = FTSBackend(archive)
    for typed, offered in (("flood Cellr", "flood cellar"), ("cellr accidnet", "cellar accident"),
                           ('"the cellr" -car', '"the cellar" -car'), ("Ma meme", "Ma mémé")):
        assert _search(backend, typed, meaning=False).suggested_queries == (offered,), typed


def test_words_of_stories_one_may_not_see_crowd_out_no_suggestion(backend, archive):
    add_story(archive, "Meadow", "en", [(0.0, 3.0, "The kelmarud of the meadow.")])
    assert _search(backend, "kelmarod", Viewer()).suggestions == ("kelmarud",)
    # eleven words closer to what was typed, said only where the visitor may not look
    add_story(archive, "Secret", "en", [(0.0, 3.0, " ".join(f"kelmarod{c}" for c in "bcdfghklmnp"))],
              visibility="private")
    assert "kelmarodb" in _search(backend, "kelmarod").suggestions  # the keeper's
    assert _search(backend, "kelmarod", Viewer()).suggestions == ("kelmarud",)


def test_a_large_vocabulary_is_read_again_in_the_background_and_never_offers_a_word_gone(
        backend, archive, settings, monkeypatch):
    monkeypatch.setattr(vocabulary, "_READ_AT_ONCE", 0)  # as a large archive's is
    assert "families" in _search(backend, "familes").suggestions
    story = add_story(archive, "Secret", "en", [(0.0, 3.0, "Zwieblowski hid there.")])
    deadline = time.monotonic() + 10
    while "zwieblowski" not in _search(backend, "zwiablowski").suggestions:
        assert time.monotonic() < deadline, "the vocabulary was not read again in the background"
        time.sleep(0.05)
    erase(archive, settings.media_dir, story, "cli:test", "asked")
    # the list in memory still holds the word; each candidate is confirmed in the index as it is
    assert "zwieblowski" not in _search(backend, "zwiablowski").suggestions


def test_the_vocabulary_is_read_again_only_when_the_words_index_changes(backend, archive, monkeypatch):
    reads, read = [], vocabulary._read
    monkeypatch.setattr(vocabulary, "_read", lambda conn: reads.append(conn) or read(conn))
    assert "families" in _search(backend, "familes").suggestions
    with archive.transaction() as c:  # what a moderator changes: not a word of the index
        c.execute("UPDATE stories SET title = 'Renamed', review_state = 'reviewed' WHERE id = 1")
    assert "families" in _search(backend, "familes").suggestions
    assert len(reads) == 1
    add_story(archive, "Barn", "en", [(0.0, 3.0, "Zwieblowski hid there.")])
    assert "zwieblowski" in _search(backend, "zwiablowski").suggestions and len(reads) == 2
    # a word corrected to another: as many segments and words as before, another vocabulary
    with archive.transaction() as c:
        c.execute("UPDATE segments SET text = 'Zwieblowsky hid there.' WHERE text = 'Zwieblowski hid there.'")
    assert "zwieblowsky" in _search(backend, "zwiablowsky").suggestions and len(reads) == 3


def test_the_vocabulary_is_read_in_the_background_once_at_a_time_and_knows_what_it_read(backend, archive, monkeypatch):
    monkeypatch.setattr(vocabulary, "_READ_AT_ONCE", 0)  # as a large archive's is
    _search(backend, "familes")  # the first reading, at once
    release, reads, read = threading.Event(), [], vocabulary._read

    def slow(conn):
        reads.append(conn)
        release.wait(10)
        return read(conn)

    monkeypatch.setattr(vocabulary, "_read", slow)
    add_story(archive, "Barn", "en", [(0.0, 3.0, "Zwieblowski hid there.")])
    _search(backend, "zwiablowski")
    wait_for(lambda: reads, 5, "the reading in the background")
    # searches and a server starting while it reads start no other reading
    _search(backend, "zwiablowski")
    vocabulary.warm(archive.path)
    time.sleep(0.3)
    assert len(reads) == 1
    release.set()
    path = str(archive.path)
    wait_for(lambda: path not in vocabulary._refreshing, 5, "the reading to end")
    assert "zwieblowski" in _search(backend, "zwiablowski").suggestions and len(reads) == 1
    # a reading started as a server starts keeps the state it read, so the next query reads nothing again
    vocabulary.warm(archive.path)
    wait_for(lambda: len(reads) == 2 and path not in vocabulary._refreshing, 5, "the warm-up")
    assert vocabulary._vocabularies[path][0] == vocabulary.words_state(archive.conn)
    _search(backend, "zwiablowski")
    time.sleep(0.3)
    assert len(reads) == 2


def test_did_you_mean_is_computed_only_when_few_or_no_moments_match(backend, monkeypatch):
    calls = []
    monkeypatch.setattr(suggest, "_said", lambda *a: calls.append(a) or "x")
    _search(backend, "cellar")
    assert calls == []


def test_minus_leaves_a_word_out_and_or_takes_either(backend):
    assert set(_ids(_search(backend, "basement"))) == {1, 2}
    assert _ids(_search(backend, "basement -Keller")) == [2]
    assert _ids(_search(backend, "basement NOT Keller")) == [2]  # as other search engines write it
    assert _ids(_search(backend, 'basement -"im Keller"')) == [2]
    assert _search(backend, "-basement").stories == ()
    assert _search(backend, "basement -Keller -piwnica").stories == ()  # every word left out is
    # a word written with an apostrophe is left out whole, typed with either
    assert _search(backend, "sœur -d'inondation").stories == ()
    assert _search(backend, "sœur -d’inondation").stories == ()
    assert set(_ids(_search(backend, "powódź OR inondation"))) == {2, 3}
    assert _ids(_search(backend, "Keller OR sœur Wasser")) == [1]  # (Keller or sœur) and Wasser


def test_a_quoted_phrase_matches_its_words_in_order(backend):
    assert _ids(_search(backend, '"the cellar"')) == [4]
    found = _search(backend, '"pumped the cellar"').stories[0].moments
    assert [m.start for m in found] == [0.0]
    assert f"{MARK_OPEN}pumped the cellar{MARK_CLOSE}" in found[0].snippet
    assert _search(backend, '"cellar the pumped"').stories == ()
    # a quote left open runs to the end
    assert _search(backend, '"cellar the pumped').stories == () and _ids(_search(backend, '"pumped the cellar')) == [4]
    # a stop word quoted alone is searched (every story's English says "the")
    assert set(_ids(_search(backend, '"the"'))) == {1, 2, 3, 4} and _search(backend, "the").stories == ()
    assert _ids(_search(backend, '"Straße"')) == [1] and _ids(_search(backend, '"strasse"')) == [1]
    # each word in any of its forms (the index holds terms, not the words as said)
    assert _ids(_search(backend, '"Strassen"')) == [1] and _ids(_search(backend, '"pumping the cellars"')) == [4]


def test_a_hyphenated_word_is_its_words_together_and_one_with_an_apostrophe_its_words(archive):
    apart = add_story(archive, "Apart", "en", [(0.0, 3.0, "I got a letter in the mail."),
                                               (3.0, 6.0, "We went to Baden and later to Württemberg.")])
    together = add_story(archive, "Together", "en", [(0.0, 3.0, "She sent me an e-mail."),
                                                     (3.0, 6.0, "Baden-Württemberg is a state.")])
    french = add_story(archive, "Eau", "fr", [(0.0, 3.0, "Une inondation a tout pris.")])
    backend = FTSBackend(archive)
    for query in ("e-mail", '"e-mail"', "Baden-Württemberg"):
        assert _ids(_search(backend, query)) == [together], query
    assert _ids(_search(backend, "-e-mail letter")) == [apart]
    assert _ids(_search(backend, "l'inondation")) == [french]  # the article left out: any inondation


def test_a_story_whose_moments_hold_a_phrase_more_often_ranks_higher(backend, archive):
    # story 4 says "the cellar" in two moments; the newer story in three, and in one it
    # says "pumped the cellar" too (all the words of the query in one moment, as in 4)
    often = add_story(archive, "Cellars", "en", [
        (0.0, 3.0, "We pumped the cellar again."), (3.0, 6.0, "The cellar flooded in May."),
        (6.0, 9.0, "The cellar smelled for a year.")])
    assert _ids(_search(backend, '"the cellar"'))[:2] == [often, 4]
    assert _ids(_search(backend, '"pumped the cellar"')) == [4, often]  # by id when as often
    # a page holds the first stories of the whole ranking, not of the first found (by
    # words alone: fusion reads 200 stories more)
    assert _ids(_search(backend, '"the cellar"', limit=1, meaning=False)) == [often]
    assert _ids(_search(backend, '"the cellar"', limit=1, offset=1, meaning=False)) == [4]


def test_a_relaxed_phrase_ranks_the_moment_with_more_words_above_the_story_saying_one_often(backend, archive):
    # a phrase needs the moments (not the stories' rows): the relaxed query is ranked there
    add_story(archive, "Nights", "en", [(i * 3.0, i * 3.0 + 3.0, "Night came again.") for i in range(4)])
    relaxed = _search(backend, '"pumped the cellar" night sandbags')
    assert relaxed.relaxed and _ids(relaxed)[0] == 4  # the phrase and "night" in one moment


def test_did_you_mean_offers_the_closest_few_words_for_those_not_found_only(backend, archive):
    add_story(archive, "Music", "en", [(0.0, 3.0, "The cello in the cellar, the cell, the cellon, the cellos.")])
    assert _search(backend, "cellor").suggestions == ("cello", "cellar", "cellon")  # the closest three ("cell")
    results = _search(backend, "pumped celler")  # a misspelling beside a word found
    assert results.relaxed and _ids(results) == [4] and results.suggestions[0] == "cellar"
    # a word found is not offered another ("cellars" was offered "cell"), a far word gets none
    for text in ("cellars sandbags", "cellars cezzzzz", '"the cellar" sandbagz'):
        results = _search(backend, text)
        assert results.relaxed and results.suggestions == (), text
    # a phrase of words all said, but not in that order, gets none; a word misspelled in a phrase does
    assert _search(backend, '"cellar the pumped"').suggestions == ()
    assert _search(backend, '"the celar"').suggestions[0] == "cellar"
    assert _search(backend, "celler cellor").suggestions.count("cellar") == 1  # offered for both, shown once
    for far_or_short in ("strxxt", "mu"):  # "street" is a third off; a word of two letters is not looked up
        assert _search(backend, far_or_short).suggestions == (), far_or_short
    add_story(archive, "Secret", "en", [(0.0, 3.0, "The celler hid them.")], visibility="private")
    # a word only stories out of sight say is not found for a visitor: words they may see are offered
    visitor = _search(backend, "celler", Viewer())
    assert visitor.stories == () and visitor.suggestions[0] == "cellar" and "celler" not in visitor.suggestions
    in_a_phrase = _search(backend, '"the celler"', Viewer())  # a phrase's words, each through the policy too
    assert in_a_phrase.stories == () and in_a_phrase.suggestions[0] == "cellar"
    assert "celler" not in in_a_phrase.suggestions
    assert _ids(_search(backend, "celler")) != []


def test_the_word_found_is_marked_in_a_text_stored_with_decomposed_accents(archive):
    # "e\u0301t\u0301e": three words as stored, two once composed (as the index reads it);
    # the stored terms then do not line up with the text's words, and are marked afresh
    story = add_story(archive, "Decomposed", "de", [(0.0, 4.0, "Wir sahen e\u0301t\u0301e im Keller.")])
    found = _search(FTSBackend(archive), "Keller", meaning=False)
    assert _ids(found) == [story]
    assert f"{MARK_OPEN}Keller{MARK_CLOSE}" in found.stories[0].moments[0].snippet


def test_the_english_is_searched_with_english_forms(backend):
    results = _search(backend, "flooding")
    assert set(_ids(results)) == {1, 2, 3}
    german = next(h for h in results.stories if h.story_id == 1)
    assert german.moments[0].why == ("translation",)
    assert f"{MARK_OPEN}flood{MARK_CLOSE}" in german.moments[0].snippet


def test_the_index_follows_changes_of_the_text_and_reindex(backend, archive):
    with archive.transaction() as c:  # as redaction and corrections change a segment's text
        c.execute("UPDATE segments SET text = 'Das Wasser stand im […].' WHERE text LIKE '%Keller%'")
    assert _search(backend, "Keller").stories == ()
    archive.conn.execute("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, segment_terms, row)")
    assert not {"keller", "de_kell"} & {r[0] for r in archive.conn.execute("SELECT term FROM temp.v")}
    assert _search(backend, "Keler").suggestions == ()
    archive.conn.execute("DELETE FROM segment_terms")
    archive.conn.execute("DELETE FROM story_terms")
    assert _search(backend, "Wasser").stories == ()
    assert backend.rebuild() == 9
    assert _ids(_search(backend, "Wasser")) == [1] and _search(backend, "Keller").stories == ()


def test_a_query_word_stands_for_its_forms_in_each_language():
    forms = query_forms("Kellern")
    assert "de_kell" in forms and "en_kellern" in forms and "xx_kellern" in forms
    assert "pl_powodz" in query_forms("powodzi") and "pl_powodz" in query_forms("powódź")
    # a Polish stem's last consonant alternated, both ways: "fabryka", "w fabryce"; "siostra", "siostrze";
    # and an "e" before it that comes and goes: "koniec", "w końcu"; "matka", "matek"
    for one, other in (("fabryka", "fabryce"), ("siostra", "siostrze"), ("droga", "drodze"), ("ręka", "ręce"),
                       ("koniec", "końcu"), ("matka", "matek"), ("sierpień", "sierpniu")):
        assert stems.term(one, "pl") != stems.term(other, "pl")
        assert stems.term(one, "pl") in query_forms(other) and stems.term(other, "pl") in query_forms(one)
    assert stems.alternated("de_fabrik") == set() and stems.alternated("pl_dom") == set()  # Polish, 2 letters kept
    # a word told from a function word by its accents stands for no form of that word: "jąkał" (stuttered), "jak"
    assert "pl_jąc" in query_forms("jąkał") and not {"pl_jak", "pl_jac"} & set(query_forms("jąkał"))


def test_and_joins_words_in_any_language_and_a_language_given_decides_the_stop_words():
    # "AND" is the syntax, not a word ("and" is no stop word in German)
    assert [[t.words for t in c] for c in parse("Keller AND Wasser", "de").clauses] == [[("Keller",)], [("Wasser",)]]
    # "die" is a German stop word but an English word: the language given decides
    assert parse("die", "de") is None and [[t.words for t in c] for c in parse("die", "en").clauses] == [[("die",)]]


def test_a_word_typed_again_is_asked_of_the_index_once(backend):
    # FTS5 reads a word's whole list once for each time a query names it
    assert [[t.words for t in c] for c in parse("Water water OR WATER flood water").clauses] == \
        [[("Water",)], [("flood",)]]
    assert [[t.words for t in c] for c in parse('"the river" "The River" river').clauses] == \
        [[("the", "river")], [("river",)]]
    once, again = _search(backend, "water"), _search(backend, "water Water WATER")
    assert _ids(again) == _ids(once) == [2, 1]
    assert [h.moments for h in again.stories] == [h.moments for h in once.stories]


def test_a_query_takes_the_stop_words_of_the_language_most_of_its_words_are_stop_words_of():
    assert query_language(["die", "der", "Flut"]) == "de"
    # a tie goes to English, the archive's common language, then to the language listed first
    assert query_language(["in", "a", "flood"]) == "en"  # in German, Italian and Romanian too
    assert query_language(["in", "die", "Flut"]) == "de"  # in Dutch too


def test_the_function_words_spacys_stop_lists_lack_are_stop_words_too():
    # Italian "i" and "o", French "fut", Polish "potem" and "kogo", Spanish "estuve"
    assert all(stems.is_stop_word(w, lang) for w, lang in
               [("i", "it"), ("o", "it"), ("fut", "fr"), ("potem", "pl"), ("kogo", "pl"), ("estuve", "es")])
    assert [t.words for t in parse("il fut déporté").terms()] == [("déporté",)]
    told = parse("estuve en la fábrica")  # French by "en" and "la" with "estuve" a word
    assert told.language == "es" and [t.words for t in told.terms()] == [("fábrica",)]
    told = parse("potem kogo zobaczyłem")
    assert told.language == "pl" and [t.words for t in told.terms()] == [("zobaczyłem",)]


def test_a_word_that_is_a_stop_word_elsewhere_counts_where_the_stories_say_the_query_in_its_own_language(archive):
    # "war" and "die" are German stop words and English words: the stories tell which
    war = add_story(archive, "War", "en", [(0.0, 4.0, "In the war years we ate turnips.")])
    add_story(archive, "Turnips", "en", [(0.0, 4.0, "For years we ate turnips.")])
    die = add_story(archive, "Old", "en", [(0.0, 4.0, "They say the good die young.")])
    flood = add_story(archive, "Flut", "de", [(0.0, 4.0, "Es war die Flut, sie kam in der Nacht.")])
    backend = FTSBackend(archive)
    [hit] = _search(backend, "war years", meaning=False).stories  # not every story saying "years"
    assert hit.story_id == war and f"{MARK_OPEN}war years{MARK_CLOSE}" in hit.moments[0].snippet
    assert _ids(_search(backend, "die young", meaning=False)) == [die]
    # German where German stories say the other word: "die" leaves no English story found
    assert _ids(_search(backend, "die Flut", meaning=False)) == [flood]
    assert parse("war years", holds=lambda terms: set()).language == "de"  # nothing to tell by: the stop words
    assert parse("in der Flut", holds=lambda terms: {"en_in"}).language == "de"  # most words German stop words


def test_a_word_english_stories_say_stands_for_its_english_forms_in_a_query_told_english(archive):
    # German "Trainer" is stemmed "train": "the train was late" met it beside its
    # translation's "late", the only moment with both words, ahead of the trains
    coach = add_story(archive, "Trainer", "de", [(0.0, 4.0, "Der Trainer brachte uns spät nach Hause.",
                                                 "The coach took us home late.")])
    train = add_story(archive, "Train", "en", [(0.0, 4.0, "The train was late again."),
                                               (4.0, 8.0, "We waited on the cold platform.")])
    backend = FTSBackend(archive)
    assert _ids(_search(backend, "the train was late", meaning=False)) == [train]
    assert parse("the train was late").told and not parse("train late").told
    # typed without a function word, a word is every language's: the coach too
    assert set(_ids(_search(backend, "train late", meaning=False))) == {coach, train}
    # a word English stories do not say stays every language's in an English query
    assert _ids(_search(backend, "the Trainer", meaning=False)) == [coach]
    # a query told another language keeps every language's forms: the telling may be
    # wrong ("a" and "man" are German function words), and they are its words into others
    child = add_story(archive, "Kind", "de", [(0.0, 4.0, "Das Kind spielte im Hof.")])
    kind = add_story(archive, "Kind man", "en", [(0.0, 4.0, "He was a kind man.")])
    assert parse("a kind man").language == "de"
    assert set(_ids(_search(backend, "a kind man", meaning=False))) == {child, kind}


def test_only_the_stories_a_searcher_may_see_tell_whether_a_word_stands_for_its_english_forms(archive):
    # were a private story's "train" to cut a visitor's query to English forms, the
    # visitor would find nothing where the coach was found, and so learn of the story
    coach = add_story(archive, "Trainer", "de", [(0.0, 4.0, "Der Trainer brachte uns spät nach Hause.",
                                                 "The coach took us home late.")])
    train = add_story(archive, "Train", "en", [(0.0, 4.0, "The train was late again.")], visibility="private")
    backend = FTSBackend(archive)
    found = _search(backend, "the train was late", Viewer(), meaning=False)
    assert _ids(found) == [coach] and not found.relaxed  # its moment holds both words, as before
    assert _ids(_search(backend, "the train was late", meaning=False)) == [train]


def test_between_languages_as_likely_the_stories_words_decide_before_stop_words(archive):
    # "mine" is a Romanian stop word and an English word; "teh" is in no language: "teh mine"
    # was Romanian, and searched "teh" alone
    mine = add_story(archive, "Mine", "en", [(0.0, 4.0, "The mine closed and the town went quiet.")])
    found = _search(FTSBackend(archive), "teh mine", meaning=False)
    assert _ids(found) == [mine] and found.relaxed
    assert f"{MARK_OPEN}mine{MARK_CLOSE}" in found.stories[0].moments[0].snippet
    assert parse("teh mine", holds=lambda terms: {"en_mine"} & terms).language == "en"
    # "sera e io": as many stop words in Spanish ("será", "e") as in Italian, listed before it
    evening = add_story(archive, "Sera", "it", [(0.0, 4.0, "Quella sera e io eravamo soli in casa.")])
    assert _ids(_search(FTSBackend(archive), "sera e io", meaning=False)) == [evening]
    assert parse("sera e io", holds=lambda terms: {"it_ser"} & terms).language == "it"
    # English ties too: "most" is an English stop word and Polish for a bridge, "przez"
    # (across) a Polish one: "przez most" was English and searched "przez" alone
    bridge = add_story(archive, "Most", "pl", [(0.0, 4.0, "Chodziłam przez most po chleb.")])
    add_story(archive, "Most of us", "en", [(0.0, 4.0, "Most of us walked.")])
    assert _ids(_search(FTSBackend(archive), "przez most", meaning=False)) == [bridge]
    assert parse("przez most", holds=lambda terms: {"pl_most"} & terms).language == "pl"
    assert parse("przez most").language == "en"  # nothing to tell by: English, as before


def test_only_the_stories_a_searcher_may_see_tell_a_querys_language(archive):
    # "sera e io" is Italian where Italian stories say "sera" (above): were a private story
    # to tell it, a searcher who may not see it would find "io" no more, and learn its word
    io = add_story(archive, "Júpiter", "es", [(0.0, 4.0, "Vimos Io, la luna de Júpiter.")])
    evening = add_story(archive, "Sera", "it", [(0.0, 4.0, "Quella sera e io eravamo soli in casa.")])
    archive.conn.execute("UPDATE stories SET visibility = 'private' WHERE id = ?", (evening,))
    backend = FTSBackend(archive)
    anonymous = _search(backend, "sera e io", Viewer(), meaning=False)
    assert _ids(anonymous) == [io]
    assert _ids(_search(backend, "sera e io", meaning=False)) == [evening]


def test_a_word_never_meets_a_language_it_is_a_function_word_of(archive):
    # "war" alone is an English word and German for "was"; "casa", on spaCy's Italian stop list, is a word
    war = add_story(archive, "War", "en", [(0.0, 4.0, "The war took my father.")])
    add_story(archive, "Dorf", "de", [(0.0, 4.0, "Es war einmal ein Dorf am Fluss.")])
    casa = add_story(archive, "Casa", "it", [(0.0, 4.0, "La nostra casa era vicino al fiume.")])
    backend = FTSBackend(archive)
    assert _ids(_search(backend, "war", meaning=False)) == [war]
    assert _ids(_search(backend, "casa", meaning=False)) == [casa]
    assert stems.function_word_in("war") == {"de"} and stems.function_word_in("casa") == frozenset()
    assert stems.function_word_in("weg") == stems.function_word_in("faccia") == frozenset()  # nouns too: way, face
    assert stems.function_word_in("care") == {"ro"}  # Romanian "which"; Polish and Romanian lists are our own
    # "she'll" and "we'd", folded, were "shell" and "wed": a query splits at the apostrophe
    shell = add_story(archive, "Shell", "en", [(0.0, 4.0, "A shell fell on the shed the day they wed.")])
    for text in ("shell", "shed", "wed"):
        assert _ids(_search(backend, text, meaning=False)) == [shell], text
    # French "car" ("because"), which Snowball's French list lacks (scripts/function_words.py, ADDED)
    car = add_story(archive, "Car", "en", [(0.0, 4.0, "The car broke down on the bridge.")])
    add_story(archive, "Pluie", "fr", [(0.0, 4.0, "Nous sommes restés car il pleuvait.")])
    assert _ids(_search(backend, "car", meaning=False)) == [car]


def test_polish_and_romanian_function_words_meet_no_word_of_another_language(archive):
    # Romanian "cât" (how much) folds to "cat", "alt" (other) is German "old"; the
    # project's own lists, since Snowball has none for Polish or Romanian
    cat = add_story(archive, "Cat", "en", [(0.0, 4.0, "Our cat hid under the stairs.")])
    alt = add_story(archive, "Alt", "de", [(0.0, 4.0, "Der alte Mann war schon alt.")])
    add_story(archive, "Cât", "ro", [(0.0, 4.0, "Nu știam cât timp a trecut, alt om ne-a ajutat.")])
    add_story(archive, "Ile", "pl", [(0.0, 4.0, "Ile lat minęło, nie wiem.")])
    ile = add_story(archive, "Île", "fr", [(0.0, 4.0, "Sur l'île, la mer montait.")])
    teeth = add_story(archive, "Zęby", "pl", [(0.0, 4.0, "Bolały mnie zęby całą zimę.")])
    backend = FTSBackend(archive)
    assert _ids(_search(backend, "cat", meaning=False)) == [cat]
    assert _ids(_search(backend, "alt", meaning=False)) == [alt]
    assert _ids(_search(backend, "île", meaning=False)) == [ile]
    # "żeby" (so that) is left out of the list: folded, it is "zęby", teeth
    assert _ids(_search(backend, "zęby", meaning=False)) == [teeth]
    assert stems.function_word_in("ile") == {"pl"} and stems.function_word_in("tie") == {"ro"}  # Romanian "ție"


@pytest.mark.parametrize("language, said, typed, other", [
    ("fr", "Ma mémé faisait du pain le dimanche.", "mémé", "C'est la même chose, je ne sais pas."),
    ("fr", "Je suis né à Lyon en 1932.", "né", "Je ne sais pas, il ne venait plus."),
    ("es", "Tomábamos té con leche en la cocina.", "té", "No te lo digo, te lo juro."),
    ("es", "Me rompí una uña en la fábrica.", "uña", "Era una casa con una puerta."),
    ("pl", "Dziadek miał wielki wąs.", "wąs", "Czy was widział ktoś wtedy?"),
    ("pl", "Ciągle się jąkał przy ojcu.", "jąkał", "Jak to było wtedy, nie wiem."),
    ("de", "Der Garten war schön im Mai.", "schön", "Es war schon spät am Abend."),
])
def test_a_word_its_accents_tell_from_a_function_word_is_found_and_never_meets_it(archive, language, said, typed,
                                                                                  other):
    # folded after stemming, "mémé" was "même" and "schön" was "schon": the word alone
    # found nothing (a stop word), or every story saying the function word
    story = add_story(archive, "Said", language, [(0.0, 4.0, said)])
    add_story(archive, "Other", language, [(0.0, 4.0, other)])
    [hit] = _search(FTSBackend(archive), typed, meaning=False).stories
    assert hit.story_id == story and f"{MARK_OPEN}{typed}{MARK_CLOSE}" in hit.moments[0].snippet
    assert stems.kept_accents(stems.term(typed, language))
    assert not stems.kept_accents(stems.term(fold(typed), language))  # typed without: the function word


def test_a_word_typed_without_the_accents_that_tell_it_from_a_function_word_is_offered(archive):
    # "meme" is "même", a function word: it finds nothing, so "did you mean" offers the
    # word meant, also where every word typed is a function word ("ma meme")
    add_story(archive, "Granny", "fr", [(0.0, 4.0, "Ma mémé faisait du pain le dimanche.")])
    add_story(archive, "Same", "fr", [(0.0, 4.0, "C'est la même chose, je ne sais pas.")])
    add_story(archive, "Nail", "es", [(0.0, 4.0, "Me rompí una uña en la fábrica.")], visibility="private")
    backend = FTSBackend(archive)
    for typed, offered in (("meme", "mémé"), ("Ma meme", "mémé"), ("una", "uña"), ("la una", "uña")):
        results = _search(backend, typed, meaning=False)
        assert not results.stories and results.suggestions[0] == offered, typed
    # never a word of a story the searcher may not see, nor one asked to be left out
    assert "uña" not in _search(backend, "una", Viewer(), meaning=False).suggestions
    assert _search(backend, "ma -meme", meaning=False).suggestions == ()


def test_a_function_word_written_with_accents_its_lists_leave_out_is_still_one():
    # Italian "né" and "sì", which the lists write "ne" and "si" (stems.WRITTEN_TOO);
    # Romanian "ceilalți" with a comma below or, as older texts write it, a cedilla
    for word, lang in (("né", "it"), ("sì", "it"), ("ceilalți", "ro"), ("ceilalţi", "ro")):
        assert stems.is_stop_word(word, lang) and not stems.told_apart(word, lang), word


def test_an_archive_indexed_with_other_function_words_is_indexed_again(tmp_path, caplog, monkeypatch):
    import sqlite3

    from storyatlas.archive import Archive, db

    path = tmp_path / "old.sqlite3"
    # as the index was made before migration 0027: "mémé" folded like "même"
    old_archive(path, 26, "fr", "Ma mémé faisait du pain.",
                lambda text, lang: stems.index_terms(text, lang).replace("fr_mém", "fr_mem"))
    assert "fr_mem " in sqlite3.connect(path).execute("SELECT terms FROM segment_terms").fetchone()[0]
    with Archive(path) as archive:
        assert _ids(FTSBackend(archive).search(SearchQuery("mémé", KEEPER, meaning=False))) == [1]
        assert archive.conn.execute("SELECT version FROM word_index_grammar").fetchone()[0] == \
            stems.grammar_version()
    # the lists changed since (another version): made again as the archive opens
    old = sqlite3.connect(path, isolation_level=None)
    old.execute("UPDATE word_index_grammar SET version = 'other lists'")
    old.execute("DELETE FROM segment_terms")
    db.register_search_functions(old)
    old.execute("INSERT INTO stories (id, title, language) VALUES (2, 'Two', 'fr')")
    old.execute("INSERT INTO segments (story_id, transcript_id, idx, start, end, text) "
                "VALUES (2, 1, 0, 0.0, 2.0, 'Le pain.')")
    old.close()
    monkeypatch.setattr(word_index, "REBUILD_BATCH", 1)
    monkeypatch.setattr(db, "PROGRESS_EVERY", 0.0)
    with caplog.at_level("WARNING"), Archive(path) as archive:
        assert _ids(FTSBackend(archive).search(SearchQuery("mémé", KEEPER, meaning=False))) == [1]
    # said without -v, and how far it is: a large archive's server would seem to hang as it starts
    assert "making the words index again from the archive's 2 segments (" in caplog.text
    assert "words index: 1 of 2 segments made again" in caplog.text and "words index made again in" in caplog.text


def test_a_query_of_stop_words_only_searches_those_the_stories_say_as_words_of_another_language(archive):
    # "in der war": German stop words all, but "war" is an English word the English stories say
    war = add_story(archive, "War", "en", [(0.0, 4.0, "In the war we ate turnips.")])
    add_story(archive, "Flut", "de", [(0.0, 4.0, "Es war die Flut, sie kam in der Nacht.")])
    krieg = add_story(archive, "Krieg", "de", [(0.0, 4.0, "Im Krieg hatten wir Hunger.")])
    backend = FTSBackend(archive)
    for text in ("in der war", "der war"):
        [hit] = _search(backend, text, meaning=False).stories  # not the German "Es war", a stop word there
        assert hit.story_id == war and hit.moments[0].snippet == f"In the {MARK_OPEN}war{MARK_CLOSE} we ate turnips."
    # a language given decides: in German every word is a stop word; in English "der" is a word no story says
    assert _search(backend, "in der war", language="de", meaning=False).stories == ()
    [hit] = _search(backend, "in der war", language="en", meaning=False).stories
    assert hit.story_id == war and f"{MARK_OPEN}war{MARK_CLOSE}" in hit.moments[0].snippet
    # stop words alone, or stop words no story says as another language's words, find nothing
    for text in ("in der", "der die das", "in der die"):
        assert _search(backend, text, meaning=False).stories == (), text
    assert _ids(_search(backend, "der Krieg", meaning=False)) == [krieg]
    assert war in _ids(_search(backend, "the war", meaning=False))
    [[term]] = parse("in der war", holds=lambda terms: {"en_war", "de_war"} & terms).clauses
    assert term.words == ("war",) and term.languages == ("en",) and set(term.all_forms()) == {"en_war"}
    assert parse("in der war", holds=lambda terms: set()) is None


@pytest.mark.parametrize("language, said, typed", [
    ("pt", "A inundação levou a nossa casa.", "inundacao"),
    ("fr", "Les rues inondées du quartier.", "inondees"),
    ("es", "Policía cerró el puente.", "policia"),
    ("es", "El río se llevó el puente y la policía lo cerró.", "policia"),  # the moment starts at it, not the line
    ("ro", "Inundație în tot satul.", "inundatie"),
])
def test_a_word_typed_without_its_accents_finds_it_said_with_them(archive, language, said, typed):
    # their stems differ ("inundação" is "inund", "inundacao" "inundaca"): both are indexed
    story = add_story(archive, "Said", language, [(0.0, 4.0, said)], timed=True)
    [hit] = FTSBackend(archive).search(SearchQuery(typed, KEEPER, meaning=False)).stories
    [moment] = hit.moments
    assert hit.story_id == story and moment.why == ("words",)
    words = said.rstrip(".").split()
    at = next(i for i, w in enumerate(words) if fold(w) == typed)
    assert f"{MARK_OPEN}{words[at]}{MARK_CLOSE}" in moment.snippet  # the word as said is marked
    assert moment.at == pytest.approx(4.0 * at / len(words))  # and the moment starts at it
    assert stems.UNACCENTED not in word_index.story_row(archive.conn, story).split()  # the story's row: terms only
    # the words of a phrase are still its own, in order
    phrase = " ".join(said.rstrip(".").split()[:2])
    assert _ids(FTSBackend(archive).search(SearchQuery(f'"{phrase}"', KEEPER, meaning=False))) == [story]


@pytest.mark.parametrize("language, said, typed, marked", [
    ("pl", "Wczoraj rozmawiałyśmy z sąsiadkami o wodzie.", "rozmawialam", "rozmawiałyśmy"),
    ("pl", "Sąsiad wszystko załatwił w urzędzie.", "zalatwic", "załatwił"),
    ("pt", "A inundação levou a nossa casa.", "inundacoes", "inundação"),
    ("pt", "A inundação levou a nossa casa.", "inundaçoes", "inundação"),  # one accent of two
    ("fr", "Ils nous ont donné du pain.", "donnee", "donné"),
])
def test_another_form_typed_without_its_accents_finds_the_word_said_with_them(archive, language, said, typed, marked):
    # "rozmawialam" stems to itself, "rozmawiałyśmy" to "rozmaw": the accents of the
    # typed word's ending are given back ("rozmawiałam") before it is stemmed
    story = add_story(archive, "Said", language, [(0.0, 4.0, said)])
    [hit] = FTSBackend(archive).search(SearchQuery(typed, KEEPER, meaning=False)).stories
    assert hit.story_id == story and f"{MARK_OPEN}{marked}{MARK_CLOSE}" in hit.moments[0].snippet


def test_accents_given_back_to_a_word_leave_its_root_as_typed_and_its_stem_long_enough_to_mean_it(archive):
    add_story(archive, "Dom", "pl", [(0.0, 4.0, "Ona ma dom nad rzeką, rozmawiałam z Pawłem.")])
    # "maił" stems to "ma" ("has"); "Pawlas", a surname, is not "Pawłas", which stems as "Paweł"
    for typed in ("mail", "Pawlas"):
        assert FTSBackend(archive).search(SearchQuery(typed, KEEPER, meaning=False)).stories == ()
    assert "pl_ma" not in query_forms("mail")
    assert stems.term("rozmawiałyśmy", "pl") in query_forms("rozmawialam")


def test_did_you_mean_offers_a_word_as_said_with_its_accents(archive):
    add_story(archive, "Riada", "es", [(0.0, 4.0, "Preguntó por su madre.")])
    # another form, typed without accents: Spanish endings are not given their accents back
    found = FTSBackend(archive).search(SearchQuery("preguntaramos", KEEPER, meaning=False))
    assert found.total_stories == 0 and found.suggestions == ("preguntó",)
    # a word misspelled without its accents is closest to the word's stem without them,
    # and is offered the word as said ("inund" is too short to be compared with it)
    add_story(archive, "Cheia", "pt", [(0.0, 4.0, "A inundação levou a nossa casa.")])
    found = FTSBackend(archive).search(SearchQuery("inundacau", KEEPER, meaning=False))
    assert found.total_stories == 0 and found.suggestions == ("inundação",)


def test_stories_indexed_before_are_found_without_their_accents_after_the_upgrade(tmp_path):
    import sqlite3

    from storyatlas.archive import Archive

    path = tmp_path / "old.sqlite3"
    # as the index was made before migration 0022: each word's own term only
    old_archive(path, 21, "pt", "A inundação levou a nossa casa.",
                lambda text, lang: stems.index_terms(text, lang).partition(f" {stems.UNACCENTED} ")[0])
    before = sqlite3.connect(path).execute("SELECT terms FROM segment_terms").fetchone()[0]
    assert before == "pt_a pt_inund pt_lev pt_a pt_noss pt_cas"
    with Archive(path) as archive:
        assert _ids(FTSBackend(archive).search(SearchQuery("inundacao", KEEPER, meaning=False))) == [1]
        assert _ids(FTSBackend(archive).search(SearchQuery('"nossa casa"', KEEPER, meaning=False))) == [1]


@pytest.mark.parametrize("language, said, typed, marked", [
    ("pt", "Depois a inundação levou a nossa casa.", "a inundacao levou", "a inundação levou"),
    ("pl", "Wczoraj rozmawiałyśmy z sąsiadkami o wodzie.", "rozmawialam z sasiadkami", "rozmawiałyśmy z sąsiadkami"),
    ("fr", "Ils nous ont donné du pain.", "donnee du pain", "donné du pain"),
    ("es", "Después había agua en la calle.", "despues habia agua", "Después había agua"),
    ("es", "Tenía muchos años entonces.", "tenia muchos anos", "Tenía muchos años"),
    ("pl", "Woda stała się brudna.", "stala sie brudna", "stała się brudna"),  # stems of two letters
])
def test_a_quoted_phrase_typed_without_its_accents_finds_it_said_with_them(archive, language, said, typed, marked):
    # each word in any of its forms, as for words alone; in order (the same words reversed are no hit)
    story = add_story(archive, "Said", language, [(0.0, 4.0, said)], timed=True)
    add_story(archive, "Apart", language, [(0.0, 4.0, " ".join(reversed(said.rstrip(".").split())) + ".")])
    [hit] = FTSBackend(archive).search(SearchQuery(f'"{typed}"', KEEPER, meaning=False)).stories
    [moment] = hit.moments
    words = said.rstrip(".").split()
    assert hit.story_id == story and f"{MARK_OPEN}{marked}{MARK_CLOSE}" in moment.snippet
    assert moment.at == pytest.approx(4.0 * words.index(marked.split()[0]) / len(words))  # at its first word


def test_a_phrase_is_looked_for_in_a_bounded_number_of_forms():
    said = stems.words(" ".join(["rozmawialam"] * 8))
    own, given = stems.term("rozmawialam", "pl"), stems.term("rozmawiałyśmy", "pl")
    one = stems.reaccented("rozmawialam", "pl", 1) | {own}
    assert (len(one) - 1) ** 8 > 64
    forms = stems.phrase_forms(said, "pl")  # too many to try each: one word at a time given its accents
    assert len(forms) <= 1 + 8 * len(one) and " ".join([given] + [own] * 7) in forms
    # of what the index holds only, the others of a sequence too
    held = stems.phrase_forms(said, "pl", holds=lambda t: t != own)
    assert held and all(t != own for sequence in held for t in sequence.split())
    parsed = parse('"despues habia"').known({stems.term("después", "es"), stems.term("había", "es")}.__contains__)
    assert parsed.terms()[0].known == (f'{stems.term("después", "es")} {stems.term("había", "es")}',)
    assert stems.phrase_forms(stems.words("dom nad"), "en") == {"en_dom en_nad"}


def test_a_phrase_never_meets_a_segments_last_word_and_its_first_with_accents(archive):
    # the index holds "się" as typed without accents after the segment's words: "mnie" was
    # last, then "sie", one after the other (migration 0023 sets them apart)
    add_story(archive, "Apart", "pl", [(0.0, 4.0, "Się bałam o mnie")])
    said = add_story(archive, "Said", "pl", [(0.0, 4.0, "Dla mnie się skończyło.")])
    for typed in ('"mnie się"', '"mnie sie"'):
        assert _ids(FTSBackend(archive).search(SearchQuery(typed, KEEPER, meaning=False))) == [said]


def test_an_archive_indexed_before_0023_is_indexed_again_with_the_words_typed_without_accents_apart(tmp_path):
    import sqlite3

    from storyatlas.archive import Archive

    path = tmp_path / "old.sqlite3"
    old_archive(path, 22, "pl", "Woda zalała piwnicę",
                lambda text, lang: stems.index_terms(text, lang).replace(f" {stems.UNACCENTED} ", " | "))
    old = sqlite3.connect(path, isolation_level=None)
    old.execute("DELETE FROM word_index_remake")  # made again once, as 0022 asked
    assert old.execute("SELECT terms FROM segment_terms").fetchone()[0].endswith("pl_piwnic | pl_zalal")
    old.close()
    with Archive(path) as archive:
        assert archive.conn.execute("SELECT terms FROM segment_terms").fetchone()[0].endswith("pl_piwnic _ pl_zalal")
        assert FTSBackend(archive).search(SearchQuery('"piwnice zalala"', KEEPER, meaning=False)).stories == ()
        assert _ids(FTSBackend(archive).search(SearchQuery("zalala", KEEPER, meaning=False))) == [1]


def test_a_word_typed_with_a_star_finds_the_words_it_begins_in_every_language(archive, monkeypatch):
    english = add_story(archive, "River", "en", [(0.0, 4.0, "The river came up, the riverside flooded.")])
    french = add_story(archive, "Rivière", "fr", [(0.0, 4.0, "J'ai peur de la rivière."),
                                                   (4.0, 8.0, "L'inondation a tout pris.")])
    add_story(archive, "Rivington", "en", [(0.0, 4.0, "Rivington Street was dry.")], visibility="private")
    points = add_story(archive, "Bank", "en", [(0.0, 4.0, "We walked along.")])
    index_points.add(archive, points, IndexPoint(0.0, "Riverbank walks"), KEEPER)
    backend, visitor = FTSBackend(archive), Viewer.anonymous()
    found = _search(backend, "riv*", visitor, meaning=False)
    assert sorted(_ids(found)) == sorted([english, french, points])
    marked = {m.snippet for h in found.stories for m in h.moments}
    assert f"The {MARK_OPEN}river{MARK_CLOSE} came up, the {MARK_OPEN}riverside{MARK_CLOSE} flooded." in marked
    assert f"J'ai peur de la {MARK_OPEN}rivière{MARK_CLOSE}." in marked
    assert "Rivington" not in str(found)  # a private story's word: never found, marked or offered
    assert _ids(_search(backend, "riv", visitor, meaning=False)) == []  # without the star: the word "riv"
    # the stem of the word meant ("inond", of "inondation") is shorter than the letters typed
    assert _ids(_search(backend, "inonda*", meaning=False)) == [french]
    assert sorted(_ids(_search(backend, "riv* -flood*", visitor, meaning=False))) == [french, points]
    assert _search(backend, "ri*", meaning=False).stories == ()  # two letters: the word "ri"
    assert found.begun_cut == ()
    # more words begin with it than are searched: the shortest are, and the searcher is told;
    # of the terms of the stories they may see (en_river, en_riversid, and rivière's fr_rivi and
    # fr_rivier, as typed without its accent), so a private story's words neither take their
    # place nor tell that there are more
    monkeypatch.setattr(vocabulary, "BEGUN", 4)
    assert _search(backend, "riv*", visitor, meaning=False).begun_cut == ()
    assert _search(backend, "riv*", meaning=False).begun_cut == ("riv",)
    monkeypatch.setattr(vocabulary, "BEGUN", 1)
    cut = _search(backend, "Riv*", visitor, meaning=False)
    assert len({english, french} & set(_ids(cut))) == 1 and cut.begun_cut == ("Riv",)


def test_a_word_typed_with_a_star_finds_a_word_said_since_the_vocabulary_was_read(backend, archive, monkeypatch):
    monkeypatch.setattr(vocabulary, "_READ_AT_ONCE", 0)  # as a large archive's is: read again in the background
    assert _search(backend, "famil*", meaning=False).stories  # the vocabulary read
    release, read = threading.Event(), vocabulary._read
    monkeypatch.setattr(vocabulary, "_read", lambda conn: release.wait(10) and read(conn))
    story = add_story(archive, "Barn", "en", [(0.0, 3.0, "Zwieblowski hid there.")])
    # while it is read again, the index's own terms answer: the answer is kept until the archive changes
    assert _ids(_search(backend, "zwieb*", meaning=False)) == [story]
    assert str(archive.path) in vocabulary._refreshing
    release.set()
    wait_for(lambda: str(archive.path) not in vocabulary._refreshing, 5, "the reading to end")
    assert _ids(_search(backend, "zwiebl*", meaning=False)) == [story]
