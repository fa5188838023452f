"""A query calls up the themes whose trigger phrases it holds, in any of the vocabulary's languages."""

import random
import unicodedata

import pytest

from storyatlas import stems
from storyatlas.archive import tags
from storyatlas.search.query import fold, query_words, typed_words
from storyatlas.search.themed import MIN_PHRASE_STEM, MIN_STEM, named, query_themes, query_triggers
from storyatlas.themes import store


def _said(phrase, lang):
    """A trigger phrase's terms in its language where their stems are long enough to count, else {None}."""
    said = {stems.term(w.casefold(), lang) for w in phrase.split()} if lang in stems.SNOWBALL else {""}
    least = MIN_STEM if len(phrase.split()) == 1 else MIN_PHRASE_STEM
    return frozenset(said) if all(len(t.partition("_")[2]) >= least for t in said) else frozenset({None})


class _ReadingEveryTrigger:
    """A trigger phrase's words all in the query folded, or all its words' terms in its language
    (stems of MIN_STEM letters at least, MIN_PHRASE_STEM in a phrase of several words) among
    those of the query's words in each language they are no function word of (Polish ones
    alternated too); a one-word trigger only where no other that a word meets is nearer to
    it: written as the word is typed, then folded alike, then by terms."""

    def __init__(self, triggers):
        self.triggers = [(theme_id, [(p, lang, _said(p, lang)) for lang, ps in by_lang.items() for p in ps
                                     if p.split()]) for theme_id, by_lang in triggers]
        self.one_word = {}  # by its folded word and by its term: every one a word may meet
        for _, phrases in self.triggers:
            for p, _, said in phrases:
                if len(p.split()) == 1:
                    for key in (fold(p), *said):
                        self.one_word.setdefault(key, []).append(
                            (unicodedata.normalize("NFC", p).casefold(), fold(p), said))

    def themes(self, text):
        words = query_words(text)
        typed = typed_words(text)
        terms = {w: {stems.term(form, lang) for lang in stems.LANGUAGES if not stems.is_stop_word(w, lang)
                     for form in (w, fold(w))} for w in typed}
        terms = {w: own.union(*map(stems.alternated, own)) for w, own in terms.items()}

        def nearness(word, written, folded, said):  # None where the one-word trigger does not meet the word
            return 0 if written == word else 1 if folded == fold(word) else 2 if said <= terms[word] else None

        nearest = {w: min((n for key in (fold(w), *terms[w]) for t in self.one_word.get(key, ())
                           if (n := nearness(w, *t)) is not None), default=None) for w in typed}

        def holds(phrase, said):
            if len(phrase.split()) == 1:
                one = (unicodedata.normalize("NFC", phrase).casefold(), fold(phrase), said)
                return any((n := nearness(w, *one)) is not None and n == nearest[w] for w in typed)
            return {fold(w) for w in phrase.split()} <= words or said <= set().union(*terms.values())

        return tuple(theme_id for theme_id, phrases in self.triggers if any(holds(p, said) for p, _, said in phrases))


@pytest.mark.slow
def test_a_query_calls_up_each_theme_a_whole_trigger_phrase_of_it_names_in_the_vocabularys_order(archive):
    store.vocabulary(archive)  # the shipped vocabulary, ten thousand trigger words
    triggers = query_triggers(archive)  # the vocabulary's triggers and the themes' names
    phrases = [p for _, by_lang in triggers for ps in by_lang.values() for p in ps if p.split()]
    several = [p for p in phrases if len(p.split()) > 1]
    assert len(phrases) > 5000 and several
    rng = random.Random(5)
    queries = [*rng.sample(phrases, 400),
               *(p.split()[0] for p in rng.sample(several, min(200, len(several)))),  # part of a phrase
               *(f"{a} {b}" for a, b in zip(rng.sample(phrases, 200), rng.sample(phrases, 200))),
               *(p.upper() for p in rng.sample(phrases, 50)),
               "", "the", "zzzz unheard of"]
    called_up = 0
    reading = _ReadingEveryTrigger(triggers)
    for text in queries:
        expected = reading.themes(text)
        assert query_themes(archive, text) == expected, text
        called_up += bool(expected)
    assert called_up > 600
    # in any of its forms: these called up no theme, where the trigger's own word did
    for word in ("Überschwemmung", "Überschwemmungen", "inondations", "powodzi", "floods", "flooded"):
        assert query_themes(archive, word) == ("floods",), word
    assert query_themes(archive, "die") == ()  # a German function word is not stemmed as German
    # a phrase's words in other forms, though a stem is short: "woda" is "wod" (Polish "wielki woda", high water)
    for text in ("wielka woda", "wielkiej wody", "Wielka Woda"):
        assert query_themes(archive, text) == ("floods",), text
    assert query_themes(archive, "wielka") == query_themes(archive, "wody") == ()
    # a Polish stem's last consonant alternated: "fabryce" (fabryka, a factory) is "fabryc"
    assert query_themes(archive, "praca w fabryce") == ("work",)


def test_a_themes_name_calls_it_up_in_every_language_and_the_second_part_of_its_label_does_not(archive):
    store.vocabulary(archive)
    # the vocabulary leaves out of its triggers the words every story says in passing
    [work] = [by_lang for theme_id, by_lang in tags.theme_triggers(archive) if theme_id == "work"]
    assert "work" not in work["en"] and "travail" not in work["fr"]
    for name, theme in (("work", "work"), ("Travail", "work"), ("trabajo", "work"), ("Praca", "work"),
                        ("care", "care"), ("soins", "care"), ("Cuidados", "care"), ("transport", "transport"),
                        ("Travail et lieux de travail", "work"), ("Local democracy", "democracy")):
        assert query_themes(archive, name) == (theme,), name
    assert query_themes(archive, "memory") == query_themes(archive, "local") == ()  # "War and memory"
    assert [named(label) for label in ("Work and workplaces", "Local democracy and participation", "Family",
                                       "Leaving to work abroad", "Starzenie się i starość", "Evacuare și strămutare")
            ] == ["Work", "Local democracy", "Family", "Leaving to work abroad", "Starzenie się", "Evacuare"]


def test_a_word_calls_up_only_the_nearest_of_the_one_word_triggers_it_meets(archive):
    store.vocabulary(archive)
    # Spanish "deporte" is sport's; French "déporté", and "deport", the stem of six languages, war's
    # and migration's: as typed before folded alike, and that before a stem
    assert query_themes(archive, "deporte") == query_themes(archive, "Deporte y clubes") == ("sport",)
    assert query_themes(archive, "déporté") == ("war",)
    assert query_themes(archive, "deportes") == ("migration", "sport", "war")  # a form of every one of them
    # "protestant" is religion's, though its English stem is protest's "protest"
    assert query_themes(archive, "protestant") == ("religion",)
    assert query_themes(archive, "carbón") == ("mining",)  # "carbon" (climate) by its Spanish stem
    assert query_themes(archive, "protestant protest") == ("protest", "religion")  # each word its own


def test_a_word_in_a_trigger_of_the_language_its_query_is_told_in_calls_up_no_other_languages(archive):
    from storyatlas.archive import Viewer
    from storyatlas.search import SearchQuery
    from storyatlas.search.fts import FTSBackend
    from storyatlas.search.themed import called_up

    store.vocabulary(archive)
    # Portuguese "padre" is a priest (religion), Spanish and Italian "padre" a father (family)
    assert called_up(archive, "mi padre emigró").themes == ("emigration", "family", "religion")
    assert called_up(archive, "mi padre emigró", "es").themes == ("emigration", "family")
    assert called_up(archive, "o padre da aldeia", "pt").themes == ("religion",)
    # English "pastor" is religion's; a word with no trigger in the language told calls up every language's
    assert called_up(archive, "el pastor y sus ovejas", "es").themes == ("farming",)
    assert called_up(archive, "the padre", "en").themes == ("family", "religion")
    # the search tells the language by the query's function words
    found = FTSBackend(archive).search(SearchQuery("mi padre emigró", Viewer.keeper()))
    assert found.themes == ("emigration", "family")


def test_a_trigger_phrase_with_a_function_word_in_it_meets_the_other_forms_of_its_words(archive):
    from storyatlas.search.themed import called_up

    store.vocabulary(archive)
    # "rupere de nor", "worek z piaskiem", "carte de séjour", "vigile del fuoco": a query's
    # function word has no index term, so such phrases met only their words as written
    for text, theme in (("ruperi de nori", "floods"), ("worki z piaskiem", "floods"),
                        ("cartes de séjour", "migration"), ("i vigili del fuoco", "emergency")):
        assert theme in called_up(archive, text).themes, text
    # one word besides the function word counts as a one-word trigger: "paro" (unemployment)
    # is "par" to the stemmer, as "pared" (a wall) is
    assert called_up(archive, "en la pared").themes == ()


def test_a_query_is_about_its_themes_where_most_of_its_words_searched_call_them_up(archive):
    from storyatlas.search.fts import _theme_share
    from storyatlas.search.query import parse
    from storyatlas.search.themed import called_up

    store.vocabulary(archive)
    for text, about in (("powodzi", True), ("Hochwasser und Überschwemmungen", True), ("floods -cellar", True),
                        ("nur zwei Bahnsteige in Betrieb", False),  # "Betrieb" calls up work
                        ("flood diary", False), ("the", False), ("zzzz", False),
                        # a theme's whole label, though its second part calls nothing up
                        ("Krieg und Erinnerung", True), ("War and memory", True), ("Krieg, Erinnerung", False),
                        # in other forms too
                        ("Krieg und Erinnerungen", True), ("guerres et mémoire", True)):
        assert (_theme_share(parse(text), called_up(archive, text).words) > 0.5) is about, text
    # "Betrieb" calls work up, one of the two words searched: half, which is not most
    text = "nur zwei Bahnsteige in Betrieb"
    assert _theme_share(parse(text), called_up(archive, text).words) == 0.5


def test_a_query_no_moment_holds_whole_is_relaxed_though_a_theme_found_stories(archive):
    from storyatlas.archive import Viewer
    from storyatlas.search import SearchQuery
    from storyatlas.search.fts import FTSBackend
    from tests.conftest import add_story

    store.vocabulary(archive)
    said = add_story(archive, "Said", "en", [(0.0, 4.0, "The flood came at night.")])
    tagged = add_story(archive, "Tagged", "en", [(0.0, 4.0, "We left the house.")])
    archive.conn.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, 'floods', 1)", (tagged,))
    # "flood" calls up floods; no moment says "wardrobe": the tagged story kept the query
    # from being relaxed, and the moment saying "flood" was never shown
    found = FTSBackend(archive).search(SearchQuery("flood wardrobe", Viewer.anonymous(), meaning=False))
    assert found.themes == ("floods",) and found.relaxed and found.worded == 1
    assert [hit.story_id for hit in found.stories] == [said, tagged]


def test_stories_found_only_through_a_theme_are_counted_and_come_after_those_with_the_words(archive):
    from storyatlas.archive import Viewer
    from storyatlas.search import SearchQuery
    from storyatlas.search.fts import FTSBackend
    from tests.conftest import add_story

    store.vocabulary(archive)
    said = [add_story(archive, f"Said {i}", "en", [(0.0, 4.0, f"The flood came {i}.")], country="PL") for i in (1, 2)]
    tagged = [add_story(archive, f"Tagged {i}", "en", [(0.0, 4.0, "The river rose.")], country="DE") for i in (1, 2, 3)]
    hidden = add_story(archive, "Private", "en", [(0.0, 4.0, "We left the house.")], country="DE",
                       visibility="private")
    add_story(archive, "Other", "en", [(0.0, 4.0, "Nothing of the kind.")], country="DE")
    with archive.transaction() as c:
        c.executemany("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, 'floods', ?)",
                      [(tagged[0], 2.0), (tagged[1], 4.0), (tagged[2], 3.0), (hidden, 9.0)])
    backend = FTSBackend(archive)

    def page(**options):
        found = backend.search(SearchQuery("flood", Viewer.anonymous(), meaning=False, **options))
        return found, [h.story_id for h in found.stories]

    first, ids = page(limit=1)
    assert first.themes == ("floods",) and ids[0] in said
    # every story the theme reaches is counted, though the page holds none of them
    assert first.total_stories == first.by_words == 5
    assert dict(first.facets["country"]) == {"PL": 2, "DE": 3} and dict(first.facets["theme"]) == {"floods": 3}
    # they follow the stories with the words, best theme score first
    second = page(limit=2, offset=1)[1]
    assert second[0] in said and second[1] == tagged[1]
    assert page(limit=3, offset=2)[1] == [tagged[1], tagged[2], tagged[0]]
    assert page(limit=5)[1][2:] == [tagged[1], tagged[2], tagged[0]]
    # a story under two of the themes a query calls up is counted once
    with archive.transaction() as c:
        c.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, 'schools', 1.0)", (tagged[1],))
    both = backend.search(SearchQuery("flood OR school", Viewer.anonymous(), meaning=False, limit=1))
    assert both.themes == ("floods", "schools") and both.total_stories == 5
    # by its best score under them
    themed = backend.search(SearchQuery("flood OR school", Viewer.anonymous(), meaning=False, limit=3, offset=2))
    assert [h.story_id for h in themed.stories] == [tagged[1], tagged[2], tagged[0]]


def test_a_story_found_through_its_theme_shows_where_it_tells_it_up_to_the_moments_asked(archive):
    from storyatlas.archive import Viewer
    from storyatlas.search import SearchQuery
    from storyatlas.search.fts import FTSBackend
    from tests.conftest import add_story

    store.vocabulary(archive)
    story = add_story(archive, "Tagged", "en", [(i * 4.0, i * 4.0 + 4.0, f"The river rose, part {i}.")
                                                for i in range(4)])
    segments = [s.id for s in archive.segments(story, Viewer.keeper())]
    with archive.transaction() as c:
        c.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, 'floods', 0.9)", (story,))
        c.executemany("INSERT INTO theme_evidence (story_id, theme_id, segment_id, trigger, side) "
                      "VALUES (?, 'floods', ?, 'river rose', 'english')", [(story, s) for s in segments[1:]])

    def moments(**options):
        [hit] = FTSBackend(archive).search(SearchQuery("flood", Viewer.anonymous(), meaning=False, **options)).stories
        return [(m.start, m.why) for m in hit.moments]
    assert moments() == [(4.0, ("theme",)), (8.0, ("theme",)), (12.0, ("theme",))]  # where it is told
    assert moments(moments_per_story=2) == [(4.0, ("theme",)), (8.0, ("theme",))]


def test_a_story_found_through_its_theme_is_no_hit_where_it_tells_it_only_with_a_word_left_out(archive):
    from storyatlas.archive import Viewer
    from storyatlas.search import SearchQuery
    from storyatlas.search.fts import FTSBackend
    from tests.conftest import add_story

    store.vocabulary(archive)
    lines = [(0.0, 4.0, "The bailiff came in November."), (4.0, 8.0, "The river rose into the street.")]
    stories = [add_story(archive, title, "en", lines[:n]) for title, n in (("Bailiff only", 1), ("Both", 2))]
    with archive.transaction() as c:
        for story in stories:
            c.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, 'floods', 0.9)", (story,))
            c.executemany("INSERT INTO theme_evidence (story_id, theme_id, segment_id, trigger, side) "
                          "VALUES (?, 'floods', ?, 'came', 'english')",
                          [(story, s.id) for s in archive.segments(story, Viewer.keeper())])

    def found(text):
        results = FTSBackend(archive).search(SearchQuery(text, Viewer.anonymous(), meaning=False))
        return results.total_stories, [(h.story_id, [m.text for m in h.moments]) for h in results.stories]
    assert found("flood")[0] == 2
    assert found("flood -bailiff") == (1, [(stories[1], ["The river rose into the street."])])


def test_a_theme_a_moderator_adds_or_edits_is_called_up_at_once(archive):
    from storyatlas.search import themed
    from storyatlas.themes.vocabulary import Theme

    store.vocabulary(archive)
    assert query_themes(archive, "onion bed") == ()  # the shipped vocabulary, filed
    store.save_theme(archive, Theme("onion_beds", "Allotments", triggers={"en": ("onion bed",)}))
    assert query_themes(archive, "onion bed") == ("onion_beds",)
    store.save_theme(archive, Theme("onion_beds", "Allotments", triggers={"en": ("shallot",)}))
    assert query_themes(archive, "onion bed") == () and query_themes(archive, "shallots shallot") == ("onion_beds",)
    store.save_theme(archive, Theme("onion_beds", "Kitchen gardens", triggers={"en": ("shallot",)}))
    assert "onion_beds" not in query_themes(archive, "allotments")  # its name no more
    assert "onion_beds" in query_themes(archive, "kitchen gardens")
    assert len(themed._filed) == 1  # only the vocabulary as it is now stays filed
    store.save_theme(archive, Theme("blank", "Blank", triggers={"en": (" ", "marrow")}))  # one trigger of no words
    assert query_themes(archive, "shallot") == ("onion_beds",)
