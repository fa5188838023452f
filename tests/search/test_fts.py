import pytest

from storyatlas.archive import Viewer
from storyatlas.errors import SearchError
from storyatlas.search import MARK_CLOSE, MARK_OPEN, SearchQuery, fts
from storyatlas.search.fts import FTSBackend
from storyatlas.search.query import fts_query
from tests.conftest import add_story

KEEPER = Viewer.keeper()  # the archive's own tools: every story


def _query(text, **options):
    return SearchQuery(text, KEEPER, **options)


@pytest.fixture
def backend(archive):
    add_story(archive, "Hochwasser in Görlitz", "de", [
        (0.0, 4.0, "Im Frühling kam das Wasser.", "In spring the water came."),
        (4.5, 9.0, "Die Überschwemmung hat unseren Keller zerstört.", "The flood destroyed our cellar."),
    ], country="DE", collection="Flood memories")
    add_story(archive, "The night the river came", "en", [
        (0.0, 3.0, "My name is Anna."),
        (3.5, 7.0, "We pumped the cellar for three days."),
        (60.0, 64.0, "Later we pumped the cellar again."),
    ], country="PL", collection="Flood memories")
    add_story(archive, "Powódź", "pl", [
        (0.0, 5.0, "Woda zalała całą naszą ulicę i piwnicę.", "The water flooded our whole street and the cellar."),
    ], country="PL", collection="Other")
    return FTSBackend(archive)


def _ids(results):
    return [h.story_id for h in results.stories]


def test_a_phrase_finds_its_moment_with_its_time_and_a_highlighted_snippet(backend):
    results = backend.search(_query("pumped the cellar"))
    assert _ids(results) == [2]
    moments = results.stories[0].moments
    assert sorted(m.start for m in moments) == [3.5, 60.0]
    assert f"{MARK_OPEN}pumped{MARK_CLOSE}" in moments[0].snippet
    assert "<mark>cellar</mark>" in moments[0].snippet_html()


def test_accents_do_not_matter(backend):
    with_accent = backend.search(_query("Überschwemmung"))
    without = backend.search(_query("uberschwemmung"))
    assert _ids(with_accent) == _ids(without) == [1]
    assert with_accent.stories[0].moments[0].start == 4.5


def test_the_english_translation_is_searched_too(backend):
    results = backend.search(_query("cellar"))
    assert set(_ids(results)) == {1, 2, 3}
    german = next(h for h in results.stories if h.story_id == 1)
    assert german.moments[0].text_en == "The flood destroyed our cellar."


@pytest.mark.parametrize("filters, expected", [
    ({"language": "de"}, {1}),
    ({"language": "DE"}, {1}),
    ({"country": "pl"}, {2, 3}),
    ({"collection": "Flood memories"}, {1, 2}),
    ({"country": "PL", "collection": "Other"}, {3}),
])
def test_filters(backend, filters, expected):
    assert set(_ids(backend.search(_query("cellar", **filters)))) == expected


def test_results_are_grouped_by_story_and_paginated(backend):
    first = backend.search(_query("cellar", limit=2))
    second = backend.search(_query("cellar", limit=2, offset=2))
    assert first.total_stories == 3 and len(first.stories) == 2 and len(second.stories) == 1
    assert set(_ids(first)) | set(_ids(second)) == {1, 2, 3}


def test_when_no_moment_has_every_word_any_word_is_enough(backend):
    results = backend.search(_query("Keller Anna"))
    assert results.relaxed and set(_ids(results)) == {1, 2}


@pytest.mark.parametrize("text", ['"', "AND", "NEAR(", "*", "a:b", "(((", "-x", "'; DROP TABLE stories; --"])
def test_no_input_is_a_syntax_error(backend, text):
    backend.search(_query(text))  # must not raise


def test_an_empty_query_finds_nothing(backend):
    assert backend.search(_query("  ?! ")).stories == ()
    assert fts_query("?!") is None


def test_reindex_rebuilds_the_index_from_the_archive(archive, backend):
    archive.conn.execute("DELETE FROM segment_terms")
    archive.conn.execute("DELETE FROM story_terms")
    assert backend.search(_query("cellar")).stories == ()
    assert backend.rebuild() == 6
    assert set(_ids(backend.search(_query("cellar")))) == {1, 2, 3}


def test_a_damaged_index_says_to_reindex_and_reindex_mends_it(archive, backend):
    """FTS5 reports a damaged b-tree as a malformed database: the search says what to do,
    and `storyatlas reindex` makes the index again even then."""
    for table in ("segment_terms", "story_terms"):
        archive.conn.execute(f"UPDATE {table}_data SET block = x'0102030405060708' WHERE id > 10")
    with pytest.raises(SearchError, match="run `storyatlas reindex`"):
        backend.search(_query("cellar"))
    assert backend.rebuild() == 6
    assert set(_ids(backend.search(_query("cellar")))) == {1, 2, 3}
    for table in ("segment_terms", "story_terms"):
        archive.conn.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")


def test_a_story_transcribed_again_replaces_its_moments_in_the_index(archive, backend):
    from storyatlas.transcribe import Transcript, TranscriptSegment

    again = Transcript("transcribe", "en", 0.9, 5.0, (TranscriptSegment(0.0, 5.0, "We bailed the basement."),), "hand")
    archive.save_transcription(2, again, None, [None])
    archive.save_transcription(2, again, None, [None])

    assert 2 not in _ids(backend.search(_query("pumped")))
    assert _ids(backend.search(_query("basement"))) == [2]
    assert len(backend.search(_query("basement")).stories[0].moments) == 1


def test_facets_count_matching_stories(backend):
    facets = backend.search(_query("cellar")).facets
    assert facets["country"] == [("PL", 2), ("DE", 1)]
    assert dict(facets["collection"]) == {"Flood memories": 2, "Other": 1}
    assert dict(facets["language"]) == {"de": 1, "en": 1, "pl": 1}


def test_only_visible_stories_are_found_or_counted(archive, backend):
    archive.conn.execute("UPDATE stories SET visibility = 'private' WHERE id = 3")
    results = backend.search(SearchQuery("cellar", Viewer()))  # anonymous: public stories only
    assert set(_ids(results)) == {1, 2} and results.total_stories == 2
    assert dict(results.facets["country"]) == {"PL": 1, "DE": 1}
    assert 3 in _ids(backend.search(_query("cellar")))
    # nor when no moment holds every word and stories holding any of them are counted
    relaxed = backend.search(SearchQuery("cellar Anna", Viewer()))
    assert relaxed.relaxed and set(_ids(relaxed)) == {1, 2} and relaxed.total_stories == 2
    assert dict(relaxed.facets["country"]) == {"PL": 1, "DE": 1}


def test_a_storys_score_is_higher_the_more_it_is_about_the_word(archive):
    short = add_story(archive, "Short", "en", [(0.0, 3.0, "The cellar flooded.")])
    long = add_story(archive, "Long", "en", [(0.0, 3.0, "The cellar flooded."),
                                             (3.0, 9.0, "Then we went to my aunt by the sea for the summer.")])
    hits = FTSBackend(archive).search(_query("cellar", meaning=False)).stories
    assert [h.story_id for h in hits] == [short, long] and hits[0].score > hits[1].score > 0


def test_a_misspelled_word_gets_suggestions(backend):
    results = backend.search(_query("celar"))
    assert results.stories == () and "cellar" in results.suggestions


def test_a_moment_starts_where_its_first_matched_word_is_said(archive):
    # each line's words spread one a second from its start
    add_story(archive, "Timed", "en", [
        (0.0, 5.0, "Then the water came in."),
        (10.0, 15.0, "A waterfall and water everywhere.", None),
        (20.0, 27.0, "We pumped water then pumped the cellar."),
        (30.0, 33.0, "It was cold.", "The water was cold."),
    ], timed=True)
    add_story(archive, "Keller", "de", [(0.0, 5.0, "Wir pumpten die Kellern aus.")], timed=True)
    backend = FTSBackend(archive)

    def at(text):
        return sorted((m.start, m.at) for h in backend.search(_query(text)).stories for m in h.moments)

    # the word, not "waterfall" holding it; a line matched only in its English starts where it does
    assert at("water") == [(0.0, 2.0), (10.0, 13.0), (20.0, 22.0), (30.0, 30.0)]
    # where the phrase is said, as marked, not its first word said earlier alone ("pumped water")
    assert at('"pumped the cellar"') == [(20.0, 24.0)]
    assert at("Keller") == [(0.0, 3.0)]  # another form of the word
    # words timed as said before the text was corrected: every word of the line is looked at
    archive.conn.execute("UPDATE words SET word = ' Then' WHERE word = ' Then' AND start = 0.0")
    archive.conn.execute("UPDATE words SET word = ' WATER' WHERE word = ' water' AND start = 2.0")
    assert at("water")[0] == (0.0, 2.0)
    archive.conn.execute("UPDATE words SET word = ' wave' WHERE word = ' WATER'")
    assert at("water")[0] == (0.0, 0.0)


def test_a_long_query_pasted_in_finds_its_words_however_many_forms_they_have(backend):
    # a hundred words nobody said, then one said: the forms of every word, in every
    # language, are looked up 200 at a time, and the said word's come among the last
    unsaid = " ".join(f"ab{chr(97 + i // 26)}{chr(97 + i % 26)}x" for i in range(100))
    found = backend.search(_query(f"{unsaid} Anna", meaning=False))
    assert found.relaxed and _ids(found) == [2]


def test_a_search_inside_a_transaction_sees_what_it_changed(archive, backend):
    anonymous = Viewer()
    assert _ids(backend.search(SearchQuery("Keller", anonymous, meaning=False))) == [1]
    with archive.transaction() as c:
        c.execute("UPDATE stories SET visibility = 'private' WHERE id = 1")
        found = backend.search(SearchQuery("Keller", anonymous, meaning=False))
        assert found.stories == () and found.total_stories == 0


def test_the_stories_a_viewer_may_reach_are_kept_for_a_few_states_only(backend):
    for i in range(30):  # each filter, another set of stories
        backend.search(SearchQuery("Keller", Viewer(), country=f"C{i}", meaning=False))
    assert 0 < len(fts._reachable) <= 17


def test_a_snippet_is_escaped_for_a_page_and_marked_as_each_shell_marks():
    from storyatlas.search import Moment

    moment = Moment(1, 0.0, 2.0, "", None, f"<b>the</b> {MARK_OPEN}flood{MARK_CLOSE} & after", 0.5)
    assert moment.snippet_html() == "&lt;b&gt;the&lt;/b&gt; <mark>flood</mark> &amp; after"
    assert moment.snippet_marked("[", "]") == "<b>the</b> [flood] & after"


def test_a_search_of_a_pasted_text_is_refused_saying_how_long_one_may_be(backend):
    longest = " ".join(["cellar"] + [f"word{i}" for i in range(fts.MAX_QUERY_WORDS - 1)])
    found = backend.search(_query(longest, meaning=False))
    assert found.relaxed and sorted(_ids(found)) == [1, 2, 3]  # every story says "cellar"
    limit = f"at most {fts.MAX_QUERY_WORDS} words and {fts.MAX_QUERY_CHARACTERS} characters"
    # 2,000 quoted pairs were "the search index cannot answer ...: run `storyatlas reindex`"
    for text in (longest + " one", '"the cellar" ' * 2000, "c" * (fts.MAX_QUERY_CHARACTERS + 1)):
        with pytest.raises(SearchError, match=limit):
            backend.search(_query(text))
    assert _ids(backend.search(_query("c" * fts.MAX_QUERY_CHARACTERS, meaning=False))) == []
