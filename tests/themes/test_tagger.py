"""The tagger on hand-written transcripts, with a small vocabulary of its own (the
repository's vocabulary is measured by benchmarks/themes.py and tested in test_vocabulary.py)."""

import pytest

from storyatlas.themes import Tagger, Theme, Vocabulary
from storyatlas.themes.lemmas import Lemmatizer, build_index, fold

VOCAB = Vocabulary((
    Theme("floods", "Floods", "", {}, {"en": ("flood", "sandbag", "river burst its banks"),
                                        "de": ("hochwasser", "überschwemmung", "sandsack"),
                                        "pl": ("powódź", "zalać", "worek z piaskiem")}),
    Theme("eviction", "Eviction", "", {"pt": "Despejo"}, {"en": ("evict", "eviction", "bailiff"),
                                                           "pl": ("eksmisja", "komornik"),
                                                           "pt": ("despejo", "despejar")}),
))


@pytest.fixture(scope="module")
def tagger(tmp_path_factory):
    return Tagger(VOCAB, tmp_path_factory.mktemp("cache"))


def test_english_story_gets_its_theme_with_the_segments_that_justify_it(tagger):
    result = tagger.tag("en", [
        ("My name is Anna.", None),
        ("The river burst its banks in the night.", None),
        ("We filled sandbags until morning.", None),
    ])
    assert [t.theme_id for t in result.themes] == ["floods"]
    assert result.themes[0].segments == [1, 2]
    assert {e.trigger for e in result.themes[0].evidence} == {"river burst its banks", "sandbag"}


def test_inflected_words_of_the_original_language_match_through_lemmas(tagger):
    # "Überschwemmungen" and "Sandsäcke" are plural: only the lemma table knows them
    result = tagger.tag("de", [("Die Überschwemmungen kamen zweimal.", "The floods came twice."),
                               ("Wir haben Sandsäcke geschleppt.", "We dragged sandbags.")])
    floods = result.themes[0]
    assert floods.theme_id == "floods"
    assert {(e.segment, e.side) for e in floods.evidence} >= {(0, "original"), (1, "original"), (1, "english")}


def test_a_passing_mention_counts_for_less_than_what_the_story_is_about(tmp_path_factory):
    from storyatlas.themes import default_vocabulary

    tagger = Tagger(default_vocabulary(), tmp_path_factory.mktemp("cache"))
    bees = [("I kept bees for forty years.", None), ("Every summer we sold honey at the market.", None),
            ("My grandson keeps them now.", None)]
    assert "floods" not in {t.theme_id for t in tagger.tag("en", bees).themes}
    mention = tagger.tag("en", bees[:2] + [("Once, the year of the flood, we lost two hives.", None)] + bees[2:])
    assert mention.themes[0].theme_id != "floods"
    flood = tagger.tag("en", [("The river burst its banks in the night.", None),
                              ("We filled sandbags until the water reached the cellar.", None)])
    assert flood.themes[0].theme_id == "floods"
    assert flood.themes[0].score > max((t.score for t in mention.themes if t.theme_id == "floods"), default=0)


def test_polish_forms_come_from_the_part_of_speech_tables(tagger):
    result = tagger.tag("pl", [("Komornik przyszedł rano.", "The bailiff came in the morning."),
                               ("Po eksmisji mieszkaliśmy u siostry.", "After the eviction we lived with my sister.")])
    assert result.themes[0].theme_id == "eviction" and result.themes[0].segments == [0, 1]


def test_entities_are_found_and_countries_normalised(tagger):
    result = tagger.tag("en", [("In 1997 the Oder flooded Wrocław and the Red Cross came from Germany.", None)])
    kinds = {(e.kind, e.text) for e in result.entities}
    assert ("date", "1997") in kinds and ("organisation", "the Red Cross") in kinds
    germany = next(e for e in result.entities if e.text == "Germany")
    assert (germany.kind, germany.country) == ("place", "DE")


def test_the_vocabulary_version_changes_with_its_content():
    edited = Vocabulary(VOCAB.themes[:1])
    assert VOCAB.version != edited.version and len(VOCAB.version) == 12


def test_lemma_index_keeps_only_forms_of_wanted_words_and_splits_compounds():
    index = build_index("de", {"uberschwemmung", "sandsack"})
    assert index["uberschwemmungen"] == ["uberschwemmung"]
    assert index["sacke"] == ["sack"]  # the head of the compound
    assert len(index) < 50
    lemmas = Lemmatizer("de", index)
    assert lemmas.candidates("Überschwemmungen!") == [("uberschwemmungen", "uberschwemmung")]
    assert "sandsack" in lemmas.candidates("Sandsäcke")[0]
    assert fold("Überschwemmung") == "uberschwemmung"


def test_a_story_told_without_the_theme_words_is_found_by_its_meaning(tmp_path_factory):
    from storyatlas.themes import default_vocabulary

    tagger = Tagger(default_vocabulary(), tmp_path_factory.mktemp("cache"))
    story = [("Since my husband died I can go a whole week without saying a word to anybody.", None),
             ("I leave the radio on just so there is a voice in the house.", None),
             ("Sundays are the worst, the hours do not move.", None)]
    reading = tagger.read("en", story)
    assert not reading.hits.get("loneliness")  # none of its trigger words
    loneliness = next(t for t in tagger.choose(reading) if t.theme_id == "loneliness")
    assert [(e.side, e.trigger) for e in loneliness.evidence] == [("meaning", "")]
    assert 0.4 <= loneliness.score <= 1.0


def test_the_shipped_background_vectors_match_the_background_text():
    # a stale background.npz is not wrong, but costs every process ten seconds at start:
    # `python scripts/encode_background.py` writes it again
    from importlib import resources

    import numpy as np

    from storyatlas.themes import meaning

    with resources.files("storyatlas.themes").joinpath("background.npz").open("rb") as f:
        saved = np.load(f)
        assert str(saved["stamp"]) == meaning.background_stamp()
        assert saved["vectors"].shape == (len(meaning.background_texts()), 384)
